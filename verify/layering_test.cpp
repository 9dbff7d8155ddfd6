// The layering checker itself: it must accept allowed edges and reject planted forbidden ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "verify/layering/layering_check.hpp"

using menagerie::layering::check_file;
using menagerie::layering::check_tree;

TEST(Layering, AllowedEdgesPass) {
  EXPECT_TRUE(check_file("core/tensor.hpp", "#include <vector>\n#include \"core/errors.hpp\"\n").empty());
  EXPECT_TRUE(check_file("reference/x.cpp", "#include <Eigen/Dense>\n#include <boost/multiprecision/cpp_bin_float.hpp>\n").empty());
  EXPECT_TRUE(check_file("optimized/a/k.cu", "#include <cuda_runtime.h>\n#include \"core/tensor.hpp\"\n").empty());
  EXPECT_TRUE(check_file("train/loop.cpp", "#include \"optimized/common/device.hpp\"\n#include \"reference/mp.hpp\"\n").empty());
}

TEST(Layering, ForbiddenEdgesFail) {
  auto v = check_file("core/x.hpp", "#include <vector>\n#include \"reference/mp.hpp\"\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].line, 2);
  EXPECT_EQ(v[0].include, "reference/mp.hpp");
  EXPECT_EQ(check_file("optimized/k.cu", "#include \"reference/softmax_attention.hpp\"\n").size(), 1u);
  EXPECT_EQ(check_file("optimized/k.cu", "#include <Eigen/Dense>\n").size(), 1u);
  EXPECT_EQ(check_file("optimized/k.cu", "#include <boost/multiprecision/cpp_bin_float.hpp>\n").size(), 1u);
  EXPECT_EQ(check_file("reference/r.cpp", "#include <cuda_runtime.h>\n").size(), 1u);
  EXPECT_EQ(check_file("synthetics/m.cpp", "#include \"reference/x.hpp\"\n").size(), 1u);
  EXPECT_EQ(check_file("train/t.cpp", "#include \"verify/support/env.hpp\"\n").size(), 1u);
  EXPECT_EQ(check_file("bench/b.cpp", "#include \"verify/support/env.hpp\"\n").size(), 1u);  // bench uses harness/
  EXPECT_EQ(check_file("bench/b.cpp", "#include \"harness/gpu_check.hpp\"\n").size(), 0u);
  EXPECT_EQ(check_file("harness/h.hpp", "#include \"train/trainer.hpp\"\n").size(), 1u);
  EXPECT_EQ(check_file("optimized/k.cu", "#include \"harness/timing.hpp\"\n").size(), 1u);
  EXPECT_EQ(check_file("bench/b.cpp", "#include \"verify/fixtures/io/io_fixtures.hpp\"\n").size(), 1u);
  EXPECT_EQ(check_file("core/x.hpp", "#include <fmt/format.h>\n").size(), 1u);
  EXPECT_EQ(check_file("core/x.hpp", "#include \"tensor.hpp\"\n").size(), 1u);  // not root-relative
}

TEST(Layering, PlantedViolationInATreeIsFound) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("menagerie_layering_" + std::to_string(::getpid()));
  fs::create_directories(root / "core");
  fs::create_directories(root / "optimized");
  std::ofstream(root / "core" / "ok.hpp") << "#include <vector>\n";
  std::ofstream(root / "optimized" / "bad.cu") << "#include \"reference/mha.hpp\"\n";
  const auto v = check_tree(root);
  fs::remove_all(root);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].file, "optimized/bad.cu");
}
