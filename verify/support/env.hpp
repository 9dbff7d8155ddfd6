// Test environment shared by every suite: the seed (MENAGERIE_SEED), the breadth tier (MENAGERIE_TEST_TIER) and
// the GPU gate (MENAGERIE_REQUIRE_GPU). main() prints all three so any failure can be replayed from the log.
#pragma once
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace menagerie::test {

enum class Tier { smoke, full };

std::uint64_t seed();       // MENAGERIE_SEED, default 20261123
Tier tier();                // MENAGERIE_TEST_TIER = smoke (default) | full
bool require_gpu();         // MENAGERIE_REQUIRE_GPU=1: a missing GPU fails gpu tests instead of skipping them
std::string replay_line();  // "MENAGERIE_SEED=... MENAGERIE_TEST_TIER=..." to paste in front of the test command

// Per-test seed: the global seed mixed with the test's full name, so tests are independent yet replayable.
std::uint64_t test_seed();

}  // namespace menagerie::test

// First statement of every gpu test: skip cleanly without a GPU, or fail when MENAGERIE_REQUIRE_GPU=1.
#define MENAGERIE_REQUIRE_GPU_OR_SKIP()                                                   \
  do {                                                                                    \
    if (!::menagerie::gpu_available()) {                                                  \
      if (::menagerie::test::require_gpu()) FAIL() << "no GPU visible and MENAGERIE_REQUIRE_GPU=1"; \
      GTEST_SKIP() << "no GPU visible";                                                   \
    }                                                                                     \
  } while (0)
