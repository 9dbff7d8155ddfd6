// menagerie: the command line. Exit status: 0 success, 2 bad input (flags, files, shapes, not built, a path the
// filesystem refuses), 1 internal. Words not understood are named with the closest valid one (cli/parse_errors.hpp).
#include <cstdio>
#include <exception>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/parse_errors.hpp"
#include "core/errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"menagerie: sequence mixers (attention, convolutions, SSMs, recurrences): CPU references, GPU "
               "kernels, verification, benchmarks, MQAR training and theory constructions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "menagerie (see `menagerie info`)");
  menagerie::cli::add_info(app);
  menagerie::cli::add_data(app);
  menagerie::cli::add_verify(app);
  menagerie::cli::add_bench(app);
  menagerie::cli::add_gate(app);
  menagerie::cli::add_train(app);
  menagerie::cli::add_sweep(app);
  menagerie::cli::add_theory(app);
  menagerie::cli::add_distill(app);
  menagerie::cli::add_inspect(app);
  menagerie::cli::add_report(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto message = menagerie::cli::explain_parse_error(app, e, {argv, argv + argc});
    std::fprintf(stderr, "menagerie: error: %s (see --help)\n", message.c_str());
    return 2;
  } catch (const menagerie::InputError& e) {
    std::fprintf(stderr, "menagerie: error: %s\n", e.what());
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {  // a path the user gave that the filesystem refused
    std::fprintf(stderr, "menagerie: error: %s: %s\n", e.path1().string().c_str(), e.code().message().c_str());
    return 2;
  } catch (const menagerie::Error& e) {
    std::fprintf(stderr, "menagerie: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "menagerie: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
