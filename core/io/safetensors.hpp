// safetensors files (https://github.com/huggingface/safetensors), read strictly and written exactly as the official
// serializer (safetensors 0.4+, what PyTorch's save_file uses) writes them:
//   uint64 LE N | N bytes of JSON header (UTF-8, padded with spaces to a multiple of 8) | data buffer
//   header = {"__metadata__":{"k":"v",...},                       (only when there is metadata; string -> string)
//             "name":{"dtype":"F32","shape":[2,3],"data_offsets":[begin,end]}, ...}   compact, no spaces
//   entries ordered by dtype as the serializer's Dtype enum (I64, F64, F32, I32, BF16), then by name; offsets are
//   relative to the data buffer, which the tensors cover exactly, back to back in that order.
// Reading rejects with a one-line FormatError naming the file: N > 100 MB or past the end of the file, a header that
// is not a JSON object, duplicate names, missing/extra/mistyped fields, dtypes other than F32 F64 I32 I64 BF16,
// end - begin != numel * itemsize, offsets out of range, overlapping tensors, holes or trailing bytes in the buffer.
#pragma once
#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace menagerie {

struct Safetensors {
  std::map<std::string, DynTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// The serializer's limit on N (safetensors MAX_HEADER_SIZE).
inline constexpr std::size_t safetensors_max_header_bytes = 100'000'000;

Safetensors read_safetensors(const std::filesystem::path& path);
Safetensors parse_safetensors(std::span<const std::byte> file, std::string_view what);

std::vector<std::byte> encode_safetensors(const Safetensors& st);
void write_safetensors(const std::filesystem::path& path, const Safetensors& st);

}  // namespace menagerie
