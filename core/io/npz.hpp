// NumPy .npz archives: a ZIP file of "<name>.npy" members, read strictly and written exactly as np.savez (numpy
// 1.24 on Python 3.11's zipfile) writes them, members in key order:
//   per member: local header (version 20, method 0 = stored, time 00:00 1980-01-01, CRC-32, sizes, and the ZIP64
//               extra field {1, 16, size, size} numpy always forces), then the .npy bytes (npy.hpp);
//   central directory (made by 20 on Unix, external attributes 0600 << 16, no extras unless a size or offset exceeds
//   2^31 - 1: then ZIP64 values as zipfile writes them), end record (+ ZIP64 end record and locator when needed).
// Reading parses the central directory and checks every member against it: local header, offsets and sizes inside
// the file and not overlapping, CRC-32, stored (method 0) only. np.savez_compressed archives (deflate, method 8),
// encrypted or multi-disk archives and members that are not .npy are one-line FormatErrors naming the file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace menagerie {

// Python zipfile's ZIP64_LIMIT: sizes and offsets above it are written as ZIP64 fields.
inline constexpr std::uint64_t npz_zip64_limit = (std::uint64_t{1} << 31) - 1;

// Keys are the member names without ".npy", as np.load gives them.
std::map<std::string, DynTensor> read_npz(const std::filesystem::path& path);
std::map<std::string, DynTensor> parse_npz(std::span<const std::byte> file, std::string_view what);

void write_npz(const std::filesystem::path& path, const std::map<std::string, DynTensor>& tensors);
// The archive's bytes; zip64_limit is a parameter only so tests can exercise the ZIP64 records on small data.
std::vector<std::byte> encode_npz(const std::map<std::string, DynTensor>& tensors,
                                  std::uint64_t zip64_limit = npz_zip64_limit);

}  // namespace menagerie
