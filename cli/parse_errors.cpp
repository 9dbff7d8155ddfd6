// Explains CLI11 parse errors about words not understood (parse_errors.hpp): walks the subcommands that were
// parsed to the deepest one, takes the first word left unmatched on the way and compares it with what that command
// accepts.
#include "cli/parse_errors.hpp"

#include <algorithm>

namespace menagerie::cli {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<std::string> subcommand_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (!sub->get_name().empty()) names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  return *std::min_element(candidates.begin(), candidates.end(), [&](const std::string& x, const std::string& y) {
    return edit_distance(word, x) < edit_distance(word, y);
  });
}

std::string explain_parse_error(CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  // The chain of parsed subcommands and, deepest first, the words each left unmatched.
  std::vector<CLI::App*> chain{&app};
  while (!chain.back()->get_subcommands().empty()) chain.push_back(chain.back()->get_subcommands().front());
  std::string command = "menagerie";
  for (std::size_t i = 1; i < chain.size(); ++i) command += " " + chain[i]->get_name();
  std::vector<std::string> words;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    for (const auto& w : (*it)->remaining(false)) words.push_back(w);

  // The first of them on the command line decides: an option, a subcommand or a stray argument.
  const auto position = [&](const std::string& w) { return std::find(args.begin(), args.end(), w) - args.begin(); };
  std::stable_sort(words.begin(), words.end(),
                   [&](const std::string& x, const std::string& y) { return position(x) < position(y); });
  CLI::App& deepest = *chain.back();
  if (!words.empty() && words.front().size() > 1 && words.front()[0] == '-') {
    const std::string name = words.front().substr(0, words.front().find('='));
    const auto valid = option_names(deepest);
    if (!valid.empty())
      return "unknown option '" + name + "' of '" + command + "'; did you mean '" + closest(name, valid) + "'?";
  }
  const auto subs = subcommand_names(deepest);
  if (!words.empty()) {
    if (subs.empty()) return "unexpected argument '" + words.front() + "' of '" + command + "'";
    return "unknown subcommand '" + words.front() + "' of '" + command + "'; did you mean '" +
           closest(words.front(), subs) + "'? (expected one of: " + joined(subs) + ")";
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) && !subs.empty() &&
      std::string_view(e.what()).find("subcommand") != std::string_view::npos)
    return "'" + command + "' needs a subcommand, one of: " + joined(subs);
  return e.what();
}

}  // namespace menagerie::cli
