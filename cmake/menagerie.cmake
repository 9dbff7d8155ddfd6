# One place for flags, warnings, target kinds and test registration. Every folder's CMakeLists.txt uses only
# these functions, so a target's kind (library, test, benchmark, tool) says how it is built and labelled.
include_guard(GLOBAL)
include(GoogleTest)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()

set(MENAGERIE_CXX_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)

# Compile options for a menagerie target: C++ warnings on host code, relaxed constexpr for device code.
function(_menagerie_flags target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${MENAGERIE_CXX_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall>)
endfunction()

# Precompiled headers (docs/architecture.md, Build time): the third-party headers whose parsing dominates a
# translation unit. Tests parse gtest, rapidcheck and Boost.Multiprecision (the Mp references) in every file; the CLI
# parses CLI11, nlohmann-json and fmt in every file. Only third-party and standard headers go here, so no project
# header's dependencies are hidden; the asan preset builds without them (CMAKE_DISABLE_PRECOMPILE_HEADERS) and so
# checks that every file still includes what it uses.
set(MENAGERIE_MP_PCH <boost/multiprecision/cpp_bin_float.hpp> <cmath> <functional> <map> <string> <vector>)
set(MENAGERIE_TEST_PCH <gtest/gtest.h> <rapidcheck.h> ${MENAGERIE_MP_PCH} <algorithm> <filesystem> <random>)
set(MENAGERIE_CLI_PCH <CLI/CLI.hpp> <nlohmann/json.hpp> <fmt/format.h> ${MENAGERIE_MP_PCH} <filesystem>)

# menagerie_library(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...] [PCH <header> ...])
# A folder's library; includes are rooted at the repository root ("core/tensor.hpp"). PCH: headers to precompile
# for its C++ files.
function(menagerie_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS;PCH" ${ARGN})
  if(NOT ARG_SOURCES)  # a folder with headers only (so far)
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARG_PUBLIC_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  _menagerie_flags(${name})
  if(ARG_PCH)
    target_precompile_headers(${name} PRIVATE ${ARG_PCH})
  endif()
endfunction()

# menagerie_arch_objects(<library> ARCHITECTURES <archs> SOURCES ... DEPS ...)
# CUDA sources that need other architectures than the build's (sm_90a's wgmma), compiled as an object library
# (include paths from DEPS) and linked into <library>.
function(menagerie_arch_objects library)
  cmake_parse_arguments(ARG "" "" "ARCHITECTURES;SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SOURCES)
    return()
  endif()
  add_library(${library}_arch OBJECT ${ARG_SOURCES})
  set_target_properties(${library}_arch PROPERTIES CUDA_ARCHITECTURES "${ARG_ARCHITECTURES}"
                                                   CUDA_SEPARABLE_COMPILATION OFF)
  target_link_libraries(${library}_arch PRIVATE ${ARG_DEPS})
  _menagerie_flags(${library}_arch)
  target_sources(${library} PRIVATE $<TARGET_OBJECTS:${library}_arch>)
endfunction()

# menagerie_test(<name> LABELS cpu|gpu [slow] SOURCES ... DEPS ...)
# A GoogleTest executable; each test case becomes a ctest test with the given labels. The first test with a C++
# source precompiles MENAGERIE_TEST_PCH; every later test reuses that PCH (same flags: all are executables built
# by this function). Discovery runs after the
# build (the binary lists its tests; that needs no GPU), so the generated ctest files hold plain add_test lines and
# the same build directory runs under the GPU machine's ctest, which cannot load this machine's discovery script.
function(menagerie_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE menagerie_test_support ${ARG_DEPS})
  _menagerie_flags(${name})
  get_property(pch_owner GLOBAL PROPERTY MENAGERIE_TEST_PCH_OWNER)
  if(pch_owner)
    target_precompile_headers(${name} REUSE_FROM ${pch_owner})
  elseif(ARG_SOURCES MATCHES "\\.cpp(;|$)")
    target_precompile_headers(${name} PRIVATE ${MENAGERIE_TEST_PCH})
    set_property(GLOBAL PROPERTY MENAGERIE_TEST_PCH_OWNER ${name})
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE POST_BUILD
    DISCOVERY_TIMEOUT 120
    TEST_PREFIX "${name}."
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
  if("gpu" IN_LIST ARG_LABELS)
    foreach(tool memcheck racecheck initcheck synccheck)
      add_test(NAME ${name}.sanitizer_${tool}
        COMMAND ${PROJECT_SOURCE_DIR}/cmake/run_sanitized.sh ${tool} $<TARGET_FILE:${name}>)
      set_tests_properties(${name}.sanitizer_${tool} PROPERTIES
        LABELS "sanitizer;gpu;slow" SKIP_RETURN_CODE 77 TIMEOUT 1800)
    endforeach()
  endif()
endfunction()

# menagerie_benchmark(<name> SOURCES ... DEPS ...)
# A Google Benchmark executable. Debian ships the library only as a shared object, which the GPU machine lacks:
# it is copied next to the executable and found through an $ORIGIN rpath, so the build directory travels whole.
function(menagerie_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE benchmark::benchmark ${ARG_DEPS})
  _menagerie_flags(${name})
  set_target_properties(${name} PROPERTIES BUILD_RPATH "$ORIGIN" INSTALL_RPATH "$ORIGIN")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E copy_if_different
      $<TARGET_FILE:benchmark::benchmark> $<TARGET_SONAME_FILE:benchmark::benchmark>
      $<TARGET_FILE_DIR:${name}>
    COMMENT "bundling libbenchmark beside ${name}" VERBATIM)
endfunction()
