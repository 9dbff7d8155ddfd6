#include "verify/support/env.hpp"

#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string_view>

#include "core/errors.hpp"

namespace menagerie::test {

namespace {
std::string getenv_or(const char* name, std::string_view fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string(fallback);
}
}  // namespace

std::uint64_t seed() {
  const std::string s = getenv_or("MENAGERIE_SEED", "20261123");
  try {
    std::size_t used = 0;
    const auto v = std::stoull(s, &used);
    require(used == s.size(), "");
    return v;
  } catch (const std::exception&) {
    throw InputError(cat("MENAGERIE_SEED=", s, ": expected a non-negative integer"));
  }
}

Tier tier() {
  const std::string t = getenv_or("MENAGERIE_TEST_TIER", "smoke");
  if (t == "smoke") return Tier::smoke;
  if (t == "full") return Tier::full;
  throw InputError(cat("MENAGERIE_TEST_TIER=", t, ": expected smoke or full"));
}

bool require_gpu() { return getenv_or("MENAGERIE_REQUIRE_GPU", "0") == "1"; }

std::string replay_line() {
  return cat("MENAGERIE_SEED=", seed(), " MENAGERIE_TEST_TIER=", tier() == Tier::full ? "full" : "smoke");
}

std::uint64_t test_seed() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? cat(info->test_suite_name(), ".", info->name()) : "";
  // splitmix64 of (seed ^ hash(name)): stable across runs and platforms for a given name.
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  std::uint64_t z = seed() ^ h;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace menagerie::test
