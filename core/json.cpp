// Strict JSON parsing (duplicate keys rejected, positions in messages) and typed field access; see json.hpp.
#include "core/json.hpp"

#include <set>

#include "core/io/atomic_file.hpp"
#include "core/io/bytes.hpp"

namespace menagerie {

namespace {

// "LINE:COL" of the 1-based byte position `byte` in text.
std::string line_col(std::string_view text, std::size_t byte) {
  const std::size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return cat(line, ":", col);
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
std::string parser_message(const std::string& what) {
  auto pos = what.find("parse error");
  if (pos == std::string::npos) pos = what.find("] ");
  if (pos == std::string::npos) return what;
  const auto colon = what.find(": ", pos);
  return colon == std::string::npos ? what.substr(pos) : what.substr(colon + 2);
}

}  // namespace

json parse_json(std::string_view text, std::string_view where) {
  // The parser reports each key as it is read; a stack of the keys seen per open object finds duplicates.
  std::vector<std::set<std::string>> open;
  std::string duplicate;
  const json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (event == json::parse_event_t::key && !open.empty() && duplicate.empty()) {
      if (!open.back().insert(parsed.get<std::string>()).second) duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json out;
  try {
    out = json::parse(text.begin(), text.end(), cb);
  } catch (const json::parse_error& e) {
    throw FormatError(cat(where, ":", line_col(text, e.byte), ": ", io::excerpt(parser_message(e.what()), 200)));
  }
  require<FormatError>(duplicate.empty(), where, ": duplicate key '", io::excerpt(duplicate), "'");
  return out;
}

json read_json_file(const std::filesystem::path& path) {
  const auto bytes = read_file(path, std::size_t{64} << 20);
  return parse_json(io::as_text(bytes), path.string());
}

std::string describe_json(const json& v) {
  if (v.is_null()) return "null";
  const std::string text = v.dump(-1, ' ', true, json::error_handler_t::replace);
  return cat(v.type_name(), " ", io::excerpt(text, 40));
}

std::string json_path(std::string_view where, std::string_view key) {
  return where.find(": ") == std::string_view::npos ? cat(where, ": ", key) : cat(where, ".", key);
}

void detail::json_type_error(const json& v, std::string_view where, std::string_view expected) {
  throw FormatError(cat(where, " must be ", expected, ", got ", describe_json(v)));
}

void require_object(const json& obj, std::string_view where) {
  require<FormatError>(obj.is_object(), where, ": expected a JSON object, got ", describe_json(obj));
}

void reject_unknown_keys(const json& obj, std::span<const std::string_view> allowed, std::string_view where) {
  require_object(obj, where);
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (known) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw FormatError(cat(where, ": unknown key '", io::excerpt(key), "' (expected one of: ", list, ")"));
  }
}

}  // namespace menagerie
