// Each subcommand registers itself on the app; main.cpp only parses and maps errors to exit codes.
#pragma once
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace menagerie::cli {

void add_info(CLI::App& app);
void add_data(CLI::App& app);
void add_data_inspect(CLI::App& data);   // menagerie data inspect FILE...   (cli/data_inspect.cpp)
void add_data_generate(CLI::App& data);  // menagerie data <task> ...        (cli/data_generate.cpp)
void add_report(CLI::App& app);
void add_verify(CLI::App& app);
void add_gate(CLI::App& app);   // menagerie gate | baseline update   (cli/gate.cpp)
void add_bench(CLI::App& app);  // menagerie bench kernels | conv   (cli/bench.cpp)
void add_bench_train(CLI::App& bench);  // menagerie bench train --out DIR (cli/bench_train.cpp)
void add_theory(CLI::App& app);  // menagerie theory [--quick] [--out reports/theory.md] (cli/theory.cpp)
void add_distill(CLI::App& app);  // menagerie distill [--out reports/distillation.md] (cli/distill.cpp)
void add_inspect(CLI::App& app);  // menagerie inspect --checkpoint RUN [--example N] [--out DIR] (cli/inspect.cpp)
void add_train(CLI::App& app);  // menagerie train --config run.json   (cli/train.cpp)
void add_sweep(CLI::App& app);  // menagerie sweep --config sweep.json (cli/sweep.cpp)
// --seed, the same rule on every subcommand (cli/seed_option.cpp): a decimal integer in [0, 2^32 - 1], numpy's
// seed range; anything else ("-1", "1e3", "0x10", 2^32) is a one-line error, exit 2, before any work.
CLI::Option* add_seed_option(CLI::App& sub, std::uint32_t& seed, const std::string& help);
CLI::Option* add_seed_option(CLI::App& sub, std::uint64_t& seed, const std::string& help);
// A subcommand the design has but this build does not implement yet: says so and exits 2.
void add_pending(CLI::App& app, const char* name, const char* what, int issue);

}  // namespace menagerie::cli
