// menagerie data: generate synthetic datasets (one subcommand per task) and inspect tensor files.
#include "cli/commands.hpp"

namespace menagerie::cli {

void add_data(CLI::App& app) {
  auto* sub = app.add_subcommand("data", "generate synthetic recall data, or inspect .npy/.npz/.safetensors files");
  sub->require_subcommand(1);
  add_data_inspect(*sub);
  add_data_generate(*sub);
}

}  // namespace menagerie::cli
