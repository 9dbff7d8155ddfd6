// menagerie data: generate synthetic datasets (issue #3) and inspect tensor files.
#include "cli/commands.hpp"
#include "core/errors.hpp"

namespace menagerie::cli {

void add_data(CLI::App& app) {
  auto* sub = app.add_subcommand("data", "generate synthetic recall data, or inspect .npy/.safetensors files");
  sub->require_subcommand(1);
}

}  // namespace menagerie::cli
