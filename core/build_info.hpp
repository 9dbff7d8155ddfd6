// Provenance of this build, stamped at build time (cmake/build_info.cmake): every report and JSON carries it.
#pragma once
#include <string_view>

namespace menagerie::build {

std::string_view version();
std::string_view git_sha();     // short SHA, "-dirty" when tracked files differ from HEAD
std::string_view build_type();  // CMAKE_BUILD_TYPE
std::string_view compiler();
bool with_cuda();               // optimized/ holds CUDA kernels (false in the cpu-only build)

}  // namespace menagerie::build
