// The config keys a mixer contract declares (Contract::config_keys()): each key's JSON name, default, validation and
// the Problem field it sets (a member pointer). train/run_config.cpp parses a mixer object of a run config from them
// alone, in declaration order:
//   int_key("heads", &Problem::heads, {.fallback = 1, .min = 1})
//       an integer >= min, `fallback` when absent; with .longest_sequence the default is the data's longest
//       sequence instead (the l_max of long convolutions). Messages: "<path>.heads = 0 must be >= 1".
//   real_key("eps", &Problem::eps, {.fallback = 1e-12, .min = 0})
//       a finite number >= min. Message: "<path>.eps = -1 must be finite and >= 0".
//   choice_key("conv", &Problem::conv, "short", {{"short", Conv::short_conv}, {"long_implicit", ...}})
//       one of the named strings, mapped to the field's value; `fallback` names the default.
//       Message: "<path>.conv = \"x\": expected one of short, long_implicit, long_explicit".
// The JSON's "id" names the contract; the model width sets Contract::model_width; B and T are set per call.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace menagerie {

struct IntRule {
  std::int64_t fallback = 0;
  std::int64_t min = 0;
  bool longest_sequence = false;  // the default is the data's longest sequence, not `fallback`
};

struct RealRule {
  double fallback = 0;
  double min = 0;  // and finite
};

template <class P>
struct ConfigKey {
  struct Int {
    std::int64_t P::*field;
    IntRule rule;
  };
  struct Real {
    double P::*field;
    RealRule rule;
  };
  struct Choice {
    std::string_view fallback;
    std::vector<std::string_view> names;
    std::function<void(P&, std::size_t)> set;  // sets the field to the value of names[i]
  };

  std::string_view name;
  std::variant<Int, Real, Choice> kind;
};

template <class P>
ConfigKey<P> int_key(std::string_view name, std::int64_t P::*field, IntRule rule) {
  return {name, typename ConfigKey<P>::Int{field, rule}};
}

template <class P>
ConfigKey<P> real_key(std::string_view name, double P::*field, RealRule rule) {
  return {name, typename ConfigKey<P>::Real{field, rule}};
}

template <class P, class E>
ConfigKey<P> choice_key(std::string_view name, E P::*field, std::string_view fallback,
                        std::initializer_list<std::pair<std::string_view, E>> options) {
  typename ConfigKey<P>::Choice c{fallback, {}, {}};
  std::vector<E> values;
  for (const auto& [n, v] : options) {
    c.names.push_back(n);
    values.push_back(v);
  }
  c.set = [field, values](P& p, std::size_t i) { p.*field = values.at(i); };
  return {name, std::move(c)};
}

}  // namespace menagerie
