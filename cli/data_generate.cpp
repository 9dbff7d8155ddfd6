// menagerie data <task>: placeholder, implemented with synthetics/.
#include "cli/commands.hpp"

namespace menagerie::cli {
void add_data_generate(CLI::App&) {}
}  // namespace menagerie::cli
