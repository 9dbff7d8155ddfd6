// add_seed_option (cli/commands.hpp): one --seed rule for every subcommand, checked on the text before CLI11
// converts it (CLI11 would wrap "-1" into an unsigned 2^64 - 1).
#include <string>

#include "cli/commands.hpp"

namespace menagerie::cli {

namespace {

constexpr std::uint64_t kMaxSeed = 0xffffffffu;

// "" when `text` is a decimal integer in [0, kMaxSeed], else the one-line reason.
std::string seed_error(const std::string& text) {
  const std::string expected = "expected an integer in [0, 2^32 - 1] (numpy's seed range)";
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return "'" + text + "' is not a seed: " + expected;
  const auto first = text.find_first_not_of('0');
  const std::string digits = first == std::string::npos ? "0" : text.substr(first);
  if (digits.size() > 10 || std::stoull(digits) > kMaxSeed) return text + " is too large: " + expected;
  return "";
}

template <class T>
CLI::Option* add(CLI::App& sub, T& seed, const std::string& help) {
  return sub.add_option("--seed", seed, help + " (an integer in [0, 2^32 - 1])")
      ->check(CLI::Validator(seed_error, "SEED", "seed"))
      ->capture_default_str();
}

}  // namespace

CLI::Option* add_seed_option(CLI::App& sub, std::uint32_t& seed, const std::string& help) {
  return add(sub, seed, help);
}
CLI::Option* add_seed_option(CLI::App& sub, std::uint64_t& seed, const std::string& help) {
  return add(sub, seed, help);
}

}  // namespace menagerie::cli
