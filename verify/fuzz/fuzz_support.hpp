// What the fuzz targets of verify/fuzz/ share: the fuzz input as bytes; rejected(), what a target returns for an
// expected rejection (an InputError or one of its kinds: printed when MENAGERIE_FUZZ_VERBOSE=1, to see what a seed
// or regression input does); and check(), an invariant whose violation aborts (libFuzzer then reports a crash and
// saves the input). Any other exception escapes the target and crashes on purpose.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "core/errors.hpp"

namespace menagerie::fuzz {

inline std::span<const std::byte> bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

inline int rejected(const InputError& e) {
  static const bool verbose = [] {
    const char* v = std::getenv("MENAGERIE_FUZZ_VERBOSE");
    return v && v[0] == '1';
  }();
  if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
  return 0;
}

inline void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", invariant);
  std::abort();
}

}  // namespace menagerie::fuzz
