// Test main for every suite: prints seed, tier and GPU state, hands the seed to rapidcheck (unless RC_PARAMS is
// set), and repeats the replay line after any failure.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "optimized/common/device.hpp"
#include "verify/support/env.hpp"

namespace {
class ReplayPrinter : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed())
      std::printf("[  REPLAY  ] %s %s --gtest_filter=%s.%s\n", menagerie::test::replay_line().c_str(),
                  ::testing::internal::GetArgvs()[0].c_str(), info.test_suite_name(), info.name());
  }
};
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();  // ctest discovery: print nothing else
  try {
    const auto seed = menagerie::test::seed();
    if (!std::getenv("RC_PARAMS")) {
      const std::string rc = "seed=" + std::to_string(seed);
      setenv("RC_PARAMS", rc.c_str(), 0);
    }
    std::printf("menagerie tests: %s, GPU: %s\n", menagerie::test::replay_line().c_str(),
                menagerie::gpu_available() ? "yes" : "none");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  ::testing::UnitTest::GetInstance()->listeners().Append(new ReplayPrinter);
  return RUN_ALL_TESTS();
}
