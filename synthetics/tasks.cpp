// Task lookup by id and parameter parsing (see tasks.hpp).
#include "synthetics/tasks.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace menagerie::synthetics {

std::string task_id(std::string_view name) {
  std::string id(name);
  for (auto& ch : id)
    if (ch == '-') ch = '_';
  return id;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for_each_task([&](const auto& def) { names.emplace_back(def.name); });
  return names;
}

void parse_param(std::string_view task, std::string_view name, std::string_view text, std::int64_t& out) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  require(!text.empty() && ec == std::errc() && ptr == end, task, ": ", name, " = '", text,
          "' is not an integer");
  out = v;
}

void parse_param(std::string_view task, std::string_view name, std::string_view text, double& out) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  require(!s.empty() && end == s.c_str() + s.size() && errno == 0 && std::isfinite(v), task, ": ", name, " = '",
          text, "' is not a finite number");
  out = v;
}

void parse_param(std::string_view task, std::string_view name, std::string_view text, bool& out) {
  if (text == "true" || text == "1") {
    out = true;
  } else if (text == "false" || text == "0") {
    out = false;
  } else {
    throw InputError(cat(task, ": ", name, " = '", text, "' is not a boolean (true, false, 1 or 0)"));
  }
}

Examples generate(std::string_view task, const std::map<std::string, std::string>& params, std::uint32_t seed) {
  const auto id = task_id(task);
  Examples out;
  bool found = false;
  for_each_task([&](const auto& def) {
    if (def.name != id) return;
    found = true;
    auto config = def.defaults;
    for (const auto& [name, text] : params) set_param(config, id, name, text);
    if constexpr (std::is_same_v<decltype(def.generate(config, seed)), Examples>) {
      out = def.generate(config, seed);
    } else {
      throw InputError(cat("task '", id, "' produces an embedding-row layout, not token sequences; generate it with ",
                           "continuous_mqar() or `menagerie data continuous-mqar`"));
    }
  });
  if (!found) {
    std::string all;
    for (const auto& n : task_names()) all += (all.empty() ? "" : ", ") + n;
    throw InputError(cat("unknown task '", task, "' (expected one of: ", all, ")"));
  }
  return out;
}

}  // namespace menagerie::synthetics
