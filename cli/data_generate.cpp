// menagerie data <task> [--param value ...] --seed S -o FILE: one subcommand per generator of synthetics/tasks.hpp,
// its options built from the task's config fields (so `--help` lists every parameter with its default).
//   FILE.npz                                  members "inputs" and "labels", int64 [n, N] (continuous-mqar:
//                                             "key_ids", "value_ids" [n, R] and "labels" [n, D]), as np.savez writes
//   FILE.npy                                  FILE_inputs.npy and FILE_labels.npy (one file per member)
// Bad parameters and output paths are one-line errors (exit 2) raised before anything is generated or written; the
// files of one -o are written atomically as a set (all of them or none). Also: menagerie data mqar-gap-stats prints the gap-slot table of docs/synthetics.md §1.1.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "core/io/atomic_file.hpp"
#include "core/io/npy.hpp"
#include "core/io/npz.hpp"
#include "synthetics/gap_stats.hpp"
#include "synthetics/tasks.hpp"

namespace menagerie::cli {

namespace {

namespace fs = std::filesystem;
namespace syn = synthetics;

std::string dashed(std::string_view name) {
  std::string s(name);
  for (auto& c : s)
    if (c == '_') c = '-';
  return s;
}

// The files -o FILE names: FILE.npz itself, or FILE_<member>.npy per member.
std::vector<fs::path> output_files(const fs::path& out, const std::vector<std::string>& member_names) {
  if (out.extension() == ".npz") return {out};
  std::vector<fs::path> files;
  for (const auto& name : member_names)
    files.push_back(fs::path(out).replace_filename(out.stem().string() + "_" + name + ".npy"));
  return files;
}

template <class Output>
std::vector<std::string> member_names() {
  if constexpr (std::is_same_v<Output, syn::ContinuousMqarExamples>) return {"key_ids", "labels", "value_ids"};
  return {"inputs", "labels"};
}

// Checks the output path before any work: a .npz or .npy name in an existing directory, and every file it names a
// place a file can go (not a directory).
void check_output(const fs::path& out, const std::vector<std::string>& member_names) {
  const auto ext = out.extension().string();
  require(ext == ".npz" || ext == ".npy", "-o ", out.string(), ": expected a file name ending in .npz or .npy");
  const auto dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  require(fs::is_directory(dir), "-o ", out.string(), ": directory ", dir.string(), " does not exist");
  for (const auto& file : output_files(out, member_names)) check_file_destination(file);
}

std::map<std::string, DynTensor> members(const syn::Examples& ex) {
  return {{"inputs", DynTensor(ex.inputs)}, {"labels", DynTensor(ex.labels)}};
}
std::map<std::string, DynTensor> members(const syn::ContinuousMqarExamples& ex) {
  return {{"key_ids", DynTensor(ex.key_ids)}, {"value_ids", DynTensor(ex.value_ids)}, {"labels", DynTensor(ex.labels)}};
}

// The .npy files of FILE.npy are written as one set (core/io/atomic_file.hpp): all of them or none.
void write(const fs::path& out, const std::map<std::string, DynTensor>& tensors) {
  if (out.extension() == ".npz") {
    write_npz(out, tensors);
    std::printf("wrote %s (", out.string().c_str());
  } else {
    std::vector<std::string> names;
    for (const auto& [name, t] : tensors) names.push_back(name);
    const auto paths = output_files(out, names);
    std::vector<FileOutput> files;
    for (std::size_t i = 0; i < paths.size(); ++i) {
      const DynTensor& t = tensors.at(names[i]);
      files.push_back({paths[i], [&t](std::ostream& os) {
                         const auto header = encode_npy_header(t.dtype(), t.shape());
                         os.write(reinterpret_cast<const char*>(header.data()),
                                  static_cast<std::streamsize>(header.size()));
                         os.write(reinterpret_cast<const char*>(t.bytes().data()),
                                  static_cast<std::streamsize>(t.bytes().size()));
                       }});
    }
    write_files_atomic(files);
    std::printf("wrote ");
    for (const auto& f : files) std::printf("%s ", f.path.string().c_str());
    std::printf("(");
  }
  bool first = true;
  for (const auto& [name, t] : tensors) {
    std::printf("%s%s %s", first ? "" : ", ", name.c_str(), shape_str(t.shape()).c_str());
    first = false;
  }
  std::printf(")\n");
}

template <class Config, class Output>
void add_task(CLI::App& data, const syn::TaskDef<Config, Output>& def) {
  struct State {
    Config config;
    std::uint32_t seed = 0;
    std::string output;
  };
  auto state = std::make_shared<State>();
  state->config = def.defaults;
  auto* sub = data.add_subcommand(dashed(def.name), std::string(def.summary));
  state->config.fields([&](std::string_view field, auto& member, std::string_view help) {
    auto* opt = sub->add_option("--" + dashed(field), member, std::string(help));
    if constexpr (std::is_same_v<std::decay_t<decltype(member)>, bool>) {
      opt->default_str(member ? "true" : "false");
    } else {
      opt->capture_default_str();
    }
  });
  add_seed_option(*sub, state->seed, "seed S: the data are a pure function of (parameters, S)");
  sub->add_option("-o,--output", state->output,
                  "FILE.npz (inputs, labels) or FILE.npy (writes FILE_inputs.npy, FILE_labels.npy)")
      ->required();
  sub->callback([state, generate = def.generate, task = std::string(def.name)] {
    const fs::path out = state->output;
    check_output(out, member_names<Output>());
    // Large requests take tens of seconds: on a terminal, say which phase is running and how long it took.
    const bool tty = ::isatty(2) != 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto phase = [&](const char* what) {
      if (tty)
        std::fprintf(stderr, "%s %s ... (%.1f s)\n", what, task.c_str(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    };
    phase("generating");
    const auto tensors = members(generate(state->config, state->seed));  // the generator validates the parameters
    phase("writing");
    write(out, tensors);
  });
}

void add_gap_stats(CLI::App& data) {
  struct State {
    std::int64_t samples = 20000;
    std::uint32_t seed = 0;
    double power_a = 0.01;
  };
  auto state = std::make_shared<State>();
  auto* sub = data.add_subcommand(
      "mqar-gap-stats", "print MQAR's gap-slot statistics for the paper settings (docs/synthetics.md §1.1)");
  sub->add_option("--samples", state->samples, "sequences drawn per (N, D)")->capture_default_str();
  add_seed_option(*sub, state->seed, "seed of the draws");
  sub->add_option("--power-a", state->power_a, "power-law exponent a")->capture_default_str();
  sub->callback([state] {
    require(state->samples >= 2 && state->samples <= 100000000, "--samples ", state->samples,
            ": expected 2 .. 100000000");
    const auto seed = state->seed;
    fmt::print("MQAR gap slot g_0 of the first key (its first, unconditioned draw), a = {}, {} samples per row\n",
               state->power_a, state->samples);
    fmt::print("measured +- standard error (exact value from p)\n");
    fmt::print("{:<12} {:>5}  {:<24} {:<24} {:<26} {}\n", "(N, D)", "slots", "P(slot 0)", "P(slot < D)", "E[slot]",
               "key->query distance mean [min, max]");
    for (const auto& [N, D] : syn::paper_gap_settings()) {
      const auto s = syn::mqar_gap_stats(N, D, state->power_a, state->samples, seed);
      fmt::print("({:>4}, {:>3}) {:>5}  {:.3f} +- {:.3f} ({:.3f})   {:.3f} +- {:.3f} ({:.3f})   {:>5.2f} +- {:.2f} ({:>5.2f})"
                 "    {:.1f} [{}, {}]\n",
                 N, D, s.slots, s.p_slot0, s.se_slot0, s.exact_slot0, s.p_below_d, s.se_below_d, s.exact_below_d,
                 s.mean_slot, s.se_mean, s.exact_mean, s.mean_distance, s.min_distance, s.max_distance);
    }
  });
}

}  // namespace

void add_data_generate(CLI::App& data) {
  syn::for_each_task([&](const auto& def) { add_task(data, def); });
  add_gap_stats(data);
}

}  // namespace menagerie::cli
