// Fuzzes the JSON config reader on arbitrary bytes as a run config file's text: parse_json (core/json.hpp: strict
// parsing, duplicate keys, nesting cap, numbers beyond a double), then train::parse_run_config itself (the keys and
// ranges of every section, each mixer object's keys as its contract declares them, the data mixture with one
// example generated per segment to find the longest sequence). train/run_config.cpp is compiled into this target
// (it needs only core and synthetics), so the fuzzer exercises the code `menagerie train` runs.
// Expected: the text is accepted, or rejected with an InputError (FormatError, ShapeError): return 0.
// Failure (a crash libFuzzer reports): any other exception (std::bad_alloc, nlohmann::json's exceptions, ...), an
// ASan or UBSan report, a stack overflow, more than -timeout seconds on one input, more than -rss_limit_mb of memory
// (a config must not make the reader allocate what it names), or a broken invariant: parsed JSON, dumped, parses
// back equal.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/errors.hpp"
#include "core/json.hpp"
#include "train/run_config.hpp"
#include "verify/fuzz/fuzz_support.hpp"

using namespace menagerie;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json j;
  try {
    j = parse_json(text, "fuzz.json");
  } catch (const InputError& e) {
    return fuzz::rejected(e);
  }
  fuzz::check(!describe_json(j).empty(), "describe_json names every value");
  fuzz::check(parse_json(j.dump(), "dumped.json") == j, "parsed JSON, dumped, parses back equal");
  try {
    (void)train::parse_run_config(j, "fuzz.json");
  } catch (const InputError& e) {
    return fuzz::rejected(e);
  }
  return 0;
}
