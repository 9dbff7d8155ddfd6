// Fuzzes the .npy reader, parse_npy (core/io/npy.hpp), on arbitrary bytes as a whole file.
// Expected: the file is accepted, or rejected with an InputError (FormatError, ShapeError): return 0.
// Failure (a crash libFuzzer reports): any other exception (std::bad_alloc, std::length_error, ...), an ASan or
// UBSan report (out-of-bounds, use-after-free, leak, overflow, ...), more than -timeout seconds on one input, more
// than -rss_limit_mb of memory, or a broken invariant: an accepted file holds exactly numel * itemsize data bytes,
// and encode_npy of the tensor reads back as the same tensor.
#include <cstddef>
#include <cstdint>

#include "core/errors.hpp"
#include "core/io/npy.hpp"
#include "verify/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace menagerie;
  DynTensor t;
  try {
    t = parse_npy(fuzz::bytes(data, size), "fuzz.npy");
  } catch (const InputError& e) {
    return fuzz::rejected(e);
  }
  fuzz::check(t.bytes().size() == static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()),
              "tensor bytes == numel * itemsize");
  fuzz::check(t.bytes().size() < size, "data bytes fewer than the file's");
  const auto again = parse_npy(encode_npy(t), "re-encoded.npy");  // must not throw: nothing is expected here
  fuzz::check(again == t, "encode_npy of an accepted file reads back as the same tensor");
  return 0;
}
