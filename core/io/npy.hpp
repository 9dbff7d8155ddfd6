// NumPy .npy files (format versions 1.0, 2.0, 3.0), read strictly and written exactly as numpy 1.24's np.save:
//   "\x93NUMPY" major minor | header length (1.0: uint16 LE; 2.0, 3.0: uint32 LE) | header | data
//   header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" + 21 - len(repr(shape[0])) spaces of
//            growth room (none at rank 0) + spaces + '\n', padded so the data starts at a multiple of 64;
//            version 1.0 unless the header length does not fit in 16 bits.
//   data   = numel * itemsize bytes, C order, little-endian.
// Accepted dtypes: '<f4' '<f8' '<i4' '<i8' (and 'f4' 'f8' 'i4' 'i8', native = little-endian). Everything else
// (other dtypes, big-endian, object arrays, fortran_order True, a malformed header, data that is not exactly
// numel * itemsize bytes) is a one-line FormatError starting with the file name. Rank 0 and zero-size are valid.
#pragma once
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace menagerie {

// Largest header accepted when reading (numpy itself refuses more than 10000 bytes by default).
inline constexpr std::size_t npy_max_header_bytes = std::size_t{1} << 20;

DynTensor read_npy(const std::filesystem::path& path);
// Parses the bytes of a whole .npy file; `what` starts every error message (a path, "x.npz: member 'a.npy'").
DynTensor parse_npy(std::span<const std::byte> file, std::string_view what);

// The magic, version, header length and padded header that precede the data of a tensor of this dtype and shape.
// Throws InputError for bfloat16, which numpy cannot represent.
std::vector<std::byte> encode_npy_header(DType dtype, const Shape& shape);
std::vector<std::byte> encode_npy(const DynTensor& t);
void write_npy(const std::filesystem::path& path, const DynTensor& t);

}  // namespace menagerie
