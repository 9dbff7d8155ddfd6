// menagerie data inspect FILE...: placeholder, implemented with core/io.
#include "cli/commands.hpp"

namespace menagerie::cli {
void add_data_inspect(CLI::App&) {}
}  // namespace menagerie::cli
