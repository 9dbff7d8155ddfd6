// Fuzzes the .safetensors reader, parse_safetensors (core/io/safetensors.hpp), on arbitrary bytes as a whole file:
// the header length, the JSON header (core/json.hpp's parse_json and typed accessors), each entry's dtype, shape and
// data_offsets, and the coverage of the data buffer.
// Expected: the file is accepted, or rejected with an InputError (FormatError, ShapeError): return 0.
// Failure (a crash libFuzzer reports): any other exception (std::bad_alloc, nlohmann::json's exceptions, ...), an
// ASan or UBSan report, a stack overflow, more than -timeout seconds on one input, more than -rss_limit_mb of
// memory, or a broken invariant: the tensors hold fewer data bytes than the file, and encode_safetensors of the
// result reads back as the same tensors and metadata.
#include <cstddef>
#include <cstdint>

#include "core/errors.hpp"
#include "core/io/safetensors.hpp"
#include "verify/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace menagerie;
  Safetensors st;
  try {
    st = parse_safetensors(fuzz::bytes(data, size), "fuzz.safetensors");
  } catch (const InputError& e) {
    return fuzz::rejected(e);
  }
  std::size_t total = 0;
  for (const auto& [name, t] : st.tensors) total += t.bytes().size();
  fuzz::check(total + 8 <= size, "tensors' data fewer bytes than the file");
  // Must not throw: parsed names are valid UTF-8 (the JSON parser checks) and never "__metadata__".
  const auto again = parse_safetensors(encode_safetensors(st), "re-encoded.safetensors");
  fuzz::check(again.tensors == st.tensors && again.metadata == st.metadata,
              "encode_safetensors of an accepted file reads back as the same tensors and metadata");
  return 0;
}
