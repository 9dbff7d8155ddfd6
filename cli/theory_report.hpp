// Pieces of `menagerie theory` (cli/theory.cpp) kept in their own files.
#pragma once
#include <filesystem>
#include <string>

namespace menagerie::cli {

// The Markdown parameter and state-size tables of specs/mixers.md §2.2 from the contracts; *all_match is false
// when a contract disagrees with the spec's formula or table (cli/theory_params.cpp).
std::string parameter_table(bool* all_match);

// The "## Theory" section of `menagerie report`: a link to <dir>/theory.md with its provenance date and SHA and its
// construction table, or a line saying it has not been generated (cli/theory.cpp).
std::string theory_section(const std::filesystem::path& dir);

}  // namespace menagerie::cli
