// Fuzzes the .npz reader, parse_npz (core/io/npz.hpp), on arbitrary bytes as a whole archive: the ZIP end record
// search, ZIP64 records, central directory, local headers, member spans, CRC-32 and each member's .npy parse.
// Expected: the archive is accepted, or rejected with an InputError (FormatError, ShapeError): return 0.
// Failure (a crash libFuzzer reports): any other exception (std::bad_alloc, std::length_error, ...), an ASan or
// UBSan report, more than -timeout seconds on one input, more than -rss_limit_mb of memory (time and memory must be
// bounded by the file, not by what its directory claims), or a broken invariant: the accepted members hold fewer
// data bytes than the file, and encode_npz of them reads back as the same members.
#include <cstddef>
#include <cstdint>

#include "core/errors.hpp"
#include "core/io/npz.hpp"
#include "verify/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace menagerie;
  std::map<std::string, DynTensor> members;
  try {
    members = parse_npz(fuzz::bytes(data, size), "fuzz.npz");
  } catch (const InputError& e) {
    return fuzz::rejected(e);
  }
  std::size_t total = 0;
  for (const auto& [name, t] : members) total += t.bytes().size();
  fuzz::check(total < size, "members' data fewer bytes than the archive");
  const auto again = parse_npz(encode_npz(members), "re-encoded.npz");  // must not throw: nothing is expected here
  fuzz::check(again == members, "encode_npz of an accepted archive reads back as the same members");
  return 0;
}
