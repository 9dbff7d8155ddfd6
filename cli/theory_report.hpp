// Pieces of `menagerie theory` (cli/theory.cpp) that other files of cli/ define or use.
#pragma once
#include <filesystem>
#include <string>

namespace menagerie::cli {

// The Markdown parameter and state-size tables of docs/mixers.md §2.2 from the contracts; *all_match is false
// when a contract disagrees with the formula or table there (cli/theory_params.cpp).
std::string parameter_table(bool* all_match);

// The "## Theory" section of `menagerie report`: a link to <dir>/theory.md with its provenance date and SHA and its
// construction table, or a line saying it has not been generated (theory::report_summary_section).
std::string theory_section(const std::filesystem::path& dir);

}  // namespace menagerie::cli
