// menagerie report: placeholder until written below.
#include "cli/commands.hpp"

namespace menagerie::cli {
void add_report(CLI::App& app) { app.add_subcommand("report", "write reports/<name>.md"); }
}  // namespace menagerie::cli
