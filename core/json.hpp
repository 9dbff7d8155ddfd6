// Strict JSON for config files and file headers, over nlohmann::json. Every failure is a one-line FormatError that
// names where it happened and what was expected:
//   parse_json / read_json_file:  "FILE:LINE:COL: <what the parser saw>"; duplicate keys are rejected
//                                 ("FILE: duplicate key 'lr'"), since JSON leaves their meaning undefined.
//   get_field<double>(obj, "lr", "run.json: optimizer")
//                                 -> "run.json: optimizer.lr must be a number, got string \"fast\""
//                                 -> "run.json: optimizer: missing required key 'lr'"
//   reject_unknown_keys(obj, {"lr", "betas"}, "run.json: optimizer")
//                                 -> "run.json: optimizer: unknown key 'lrr' (expected one of: lr, betas)"
// Nesting deeper than kMaxJsonDepth arrays/objects is refused at parse time (a 140 KB file of '[' would otherwise
// overflow the stack of every recursive walk); a number beyond a double (1e999) is a FormatError naming its key.
// Messages are built only on failure, and describe a container by its size, never by serialising it.
// Supported T: bool, std::string, any integer type (range-checked: a JSON 3.0 or 1e3 is not an integer), float,
// double (integers accepted), std::vector<U> of those, and nlohmann::json itself (no check).
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"

namespace menagerie {

using json = nlohmann::json;

inline constexpr int kMaxJsonDepth = 64;

// Parses text (UTF-8); `where` names the source in messages (a file name). Trailing whitespace is allowed.
json parse_json(std::string_view text, std::string_view where);
// Reads and parses a file (at most 64 MiB); a missing file is an InputError naming it.
json read_json_file(const std::filesystem::path& path);

// "string \"fast\"", "array [1,2]", "number 3.5": the kind and a short (<= 40 chars) one-line rendering.
std::string describe_json(const json& v);
// The name of a member in messages: ("run.json", "model") -> "run.json: model";
// ("run.json: model", "d_model") -> "run.json: model.d_model".
std::string json_path(std::string_view where, std::string_view key);

namespace detail {
template <class T> struct is_vector : std::false_type {};
template <class U, class A> struct is_vector<std::vector<U, A>> : std::true_type {};

[[noreturn]] void json_type_error(const json& v, std::string_view where, std::string_view expected);
// "<where> must be an integer in [min, max], got ..."
[[noreturn]] void json_integer_error(const json& v, std::string_view where, long long min, unsigned long long max);
}  // namespace detail

// The value converted to T, or a FormatError "<where> must be <expected>, got <describe_json(v)>".
template <class T>
T get_as(const json& v, std::string_view where) {
  if constexpr (std::is_same_v<T, json>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) detail::json_type_error(v, where, "true or false");
    return v.get<bool>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) detail::json_type_error(v, where, "a string");
    return v.get<std::string>();
  } else if constexpr (std::is_integral_v<T>) {
    const auto fail = [&] {
      detail::json_integer_error(v, where, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
    };
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) fail();
      return static_cast<T>(u);
    }
    if (v.is_number_integer()) {
      const auto s = v.get<std::int64_t>();
      if (s < 0 && (std::is_unsigned_v<T> || s < static_cast<std::int64_t>(std::numeric_limits<T>::min()))) fail();
      if (s > 0 && static_cast<std::uint64_t>(s) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) fail();
      return static_cast<T>(s);
    }
    fail();
    return T{};  // not reached: fail() throws
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) detail::json_type_error(v, where, "a number");
    return v.get<T>();
  } else if constexpr (detail::is_vector<T>::value) {
    if (!v.is_array()) detail::json_type_error(v, where, "an array");
    T out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      out.push_back(get_as<typename T::value_type>(v[i], cat(where, "[", i, "]")));
    return out;
  } else {
    static_assert(std::is_same_v<T, json>, "get_as: unsupported type");
  }
}

// Throws FormatError "<where>: expected a JSON object, got ..." unless obj is an object.
void require_object(const json& obj, std::string_view where);

// The required field `key` of the object, as T.
template <class T>
T get_field(const json& obj, std::string_view key, std::string_view where) {
  require_object(obj, where);
  const auto it = obj.find(key);
  if (it == obj.end()) throw FormatError(cat(where, ": missing required key '", key, "'"));
  return get_as<T>(*it, json_path(where, key));
}

// The optional field `key` of the object as T, or `fallback` when the key is absent (null is not absent).
template <class T>
T get_field_or(const json& obj, std::string_view key, T fallback, std::string_view where) {
  require_object(obj, where);
  const auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  return get_as<T>(*it, json_path(where, key));
}

// Throws FormatError naming the first key of obj not in `allowed`.
void reject_unknown_keys(const json& obj, std::span<const std::string_view> allowed, std::string_view where);
inline void reject_unknown_keys(const json& obj, std::initializer_list<std::string_view> allowed,
                                std::string_view where) {
  reject_unknown_keys(obj, std::span<const std::string_view>(allowed.begin(), allowed.size()), where);
}

}  // namespace menagerie
