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

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix
// (or its "[json.exception.out_of_range.406] " prefix).
std::string parser_message(const std::string& what) {
  const auto pos = what.find("parse error");
  if (pos == std::string::npos) {
    const auto id = what.find("] ");
    return id == std::string::npos ? what : what.substr(id + 2);
  }
  const auto colon = what.find(": ", pos);
  return colon == std::string::npos ? what.substr(pos) : what.substr(colon + 2);
}

}  // namespace

json parse_json(std::string_view text, std::string_view where) {
  // The parser reports each key and each opened or closed container as it goes. A stack of the keys seen per open
  // container finds duplicates and names the member being read, for errors the parser reports without a position
  // (a number beyond a double). Nesting is capped: the containers' destructors and dump() recurse.
  struct Open {
    bool object;
    std::set<std::string> keys;
    std::string key;  // the member being read (objects)
  };
  std::vector<Open> open;
  std::string duplicate;
  const json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    if (event == E::object_start || event == E::array_start) {
      if (depth >= kMaxJsonDepth)
        throw FormatError(cat(where, ": JSON nested deeper than ", kMaxJsonDepth,
                              " levels (arrays and objects inside each other); expected at most ", kMaxJsonDepth));
      open.push_back({event == E::object_start, {}, {}});
    } else if (event == E::object_end || event == E::array_end) {
      if (!open.empty()) open.pop_back();
    } else if (event == E::key && !open.empty()) {
      open.back().key = parsed.get<std::string>();
      if (duplicate.empty() && !open.back().keys.insert(open.back().key).second) duplicate = open.back().key;
    }
    return true;
  };
  // "optimizer.lr", "x[]" (inside an array), "" at the top level: where the parser stopped.
  const auto member = [&] {
    std::string path;
    for (const auto& o : open) path += o.object ? (path.empty() ? "" : ".") + io::excerpt(o.key, 40) : "[]";
    return path;
  };
  json out;
  try {
    out = json::parse(text.begin(), text.end(), cb);
  } catch (const json::parse_error& e) {
    throw FormatError(cat(where, ":", line_col(text, e.byte), ": ", io::excerpt(parser_message(e.what()), 200)));
  } catch (const json::out_of_range& e) {  // 406: a number beyond the range of a double (1e999)
    const std::string at = member();
    throw FormatError(cat(where, ": ", at.empty() ? "" : cat("key '", at, "': "),
                          io::excerpt(parser_message(e.what()), 120), "; expected a number within +-1.8e308"));
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
  // A container holding containers, or more than 8 members, is described by its size, not serialised: a message
  // must not cost the size of the value.
  if (v.is_structured()) {
    bool flat = v.size() <= 8;
    for (auto it = v.begin(); flat && it != v.end(); ++it) flat = !it->is_structured();
    if (!flat) return cat(v.type_name(), " of ", v.size(), v.is_array() ? " element" : " key", v.size() == 1 ? "" : "s");
  }
  const std::string text = v.dump(-1, ' ', true, json::error_handler_t::replace);
  return cat(v.type_name(), " ", io::excerpt(text, 40));
}

std::string json_path(std::string_view where, std::string_view key) {
  return where.find(": ") == std::string_view::npos ? cat(where, ": ", key) : cat(where, ".", key);
}

void detail::json_type_error(const json& v, std::string_view where, std::string_view expected) {
  throw FormatError(cat(where, " must be ", expected, ", got ", describe_json(v)));
}

void detail::json_integer_error(const json& v, std::string_view where, long long min, unsigned long long max) {
  json_type_error(v, where, cat("an integer in [", min, ", ", max, "]"));
}

void require_object(const json& obj, std::string_view where) {
  if (!obj.is_object()) throw FormatError(cat(where, ": expected a JSON object, got ", describe_json(obj)));
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
