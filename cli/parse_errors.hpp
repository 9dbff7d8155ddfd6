// One-line messages for the command-line words CLI11 did not understand. CLI11 reports a mistyped subcommand as
// "A subcommand is required" and an unknown option as "The following arguments were not expected"; this names the
// word, the command it was given to, and the closest valid subcommand or option by edit distance.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace menagerie::cli {

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions, cost 1 each.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` (the first of equally close ones); candidates must not be empty.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// The message for a ParseError raised by app.parse(args): for a word not understood, names it and the closest valid
// one; otherwise CLI11's own message. `args` is the command line (argv), which gives the words' order.
std::string explain_parse_error(CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args);

}  // namespace menagerie::cli
