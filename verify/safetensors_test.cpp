// safetensors: round trips of every dtype (bf16 included) and metadata, files of the official serializer read
// bit-exactly and re-written byte for byte, and every malformed header or buffer rejected with a one-line
// FormatError that names the problem.
#include <random>

#include <gtest/gtest.h>

#include "core/io/bytes.hpp"
#include "core/io/safetensors.hpp"
#include "verify/fixtures/io/io_fixtures.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace fx = test::io_fixtures;

// A file with this header text and a data buffer of `buffer` bytes (non-zero filler).
std::vector<std::byte> st_file(std::string_view header, std::size_t buffer) {
  std::vector<std::byte> out;
  io::append_le(out, static_cast<std::uint64_t>(header.size()));
  io::append_text(out, header);
  out.insert(out.end(), buffer, std::byte{0x3f});
  return out;
}

Safetensors random_file(std::mt19937_64& rng) {
  Safetensors st;
  int i = 0;
  for (DType d : fx::all_dtypes())
    for (const Shape& s : fx::round_trip_shapes()) st.tensors.emplace(cat("layer", i++, ".w"), fx::random_tensor(d, s, rng));
  st.metadata = {{"format", "pt"}, {"note", "quote \" backslash \\ newline \n tab \t unicode \xc3\xa9 ctrl \x01"}};
  return st;
}

void expect_equal(const Safetensors& a, const Safetensors& b) {
  EXPECT_EQ(a.tensors, b.tensors);
  EXPECT_EQ(a.metadata, b.metadata);
}

TEST(Safetensors, RoundTripsEveryDtypeShapeAndMetadata) {
  std::mt19937_64 rng(test::test_seed());
  const Safetensors st = random_file(rng);
  expect_equal(parse_safetensors(encode_safetensors(st), "mem"), st);
  expect_equal(parse_safetensors(encode_safetensors({}), "mem"), {});
}

TEST(Safetensors, WritesInTheSerializersLayout) {
  std::mt19937_64 rng(test::test_seed());
  Safetensors st;
  st.tensors.emplace("a_bf16", fx::random_tensor(DType::bf16, {3}, rng));
  st.tensors.emplace("b_i32", fx::random_tensor(DType::i32, {2}, rng));
  st.tensors.emplace("c_f32", fx::random_tensor(DType::f32, {1}, rng));
  st.tensors.emplace("d_f64", fx::random_tensor(DType::f64, {1}, rng));
  st.tensors.emplace("e_i64", fx::random_tensor(DType::i64, {1}, rng));
  st.tensors.emplace("f_f32", fx::random_tensor(DType::f32, {2}, rng));
  const auto file = encode_safetensors(st);
  const auto n = io::load_le<std::uint64_t>(file.data());
  EXPECT_EQ(n % 8, 0u);
  const std::string header(io::as_text(std::span(file).subspan(8, n)));
  EXPECT_EQ(header.find_last_not_of(' ') + 1, header.rfind('}') + 1) << "padded with spaces only";
  const std::string expected =
      R"({"e_i64":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"d_f64":{"dtype":"F64","shape":[1],)"
      R"("data_offsets":[8,16]},"c_f32":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"f_f32":{"dtype":"F32",)"
      R"("shape":[2],"data_offsets":[20,28]},"b_i32":{"dtype":"I32","shape":[2],"data_offsets":[28,36]},"a_bf16":)"
      R"({"dtype":"BF16","shape":[3],"data_offsets":[36,42]}})";
  EXPECT_EQ(header.substr(0, header.rfind('}') + 1), expected);
  EXPECT_EQ(file.size(), 8 + n + 42);
}

TEST(Safetensors, WritesFilesAtomicallyAndRejectsUnwritableNames) {
  std::mt19937_64 rng(test::test_seed());
  const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_st_", rng());
  std::filesystem::create_directories(dir);
  const Safetensors st = random_file(rng);
  write_safetensors(dir / "m.safetensors", st);
  expect_equal(read_safetensors(dir / "m.safetensors"), st);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  std::filesystem::remove_all(dir);
  Safetensors bad;
  bad.tensors.emplace("__metadata__", DynTensor(DType::f32, {1}));
  EXPECT_THROW(encode_safetensors(bad), InputError);
  bad.tensors.clear();
  bad.tensors.emplace("bad\xff", DynTensor(DType::f32, {1}));
  EXPECT_THROW(encode_safetensors(bad), InputError);
}

TEST(Safetensors, ReadsOfficialFixturesBitExactlyAndWritesThemByteForByte) {
  int seen = 0;
  for (const auto& [rel, entry] : fx::manifest().at("good").items()) {
    if (entry.at("format") != "safetensors") continue;
    ++seen;
    const Safetensors got = read_safetensors(fx::dir() / rel);
    Safetensors want;
    for (const auto& t : entry.at("tensors")) want.tensors.emplace(t.at("name").get<std::string>(), fx::expected_tensor(t));
    want.metadata = entry.at("metadata").get<std::map<std::string, std::string>>();
    expect_equal(got, want);
    EXPECT_EQ(encode_safetensors(got), fx::bytes_of(fx::dir() / rel)) << rel << ": differs from the serializer";
  }
  EXPECT_EQ(seen, 2);
}

TEST(Safetensors, RejectsTheBadFixtures) {
  const auto bad = fx::bad_fixtures(".safetensors");
  EXPECT_GE(bad.size(), 5u);
  for (const auto& [path, phrase] : bad) {
    EXPECT_TRUE(fx::throws_format_error([&] { read_safetensors(path); }, phrase)) << path;
    EXPECT_TRUE(fx::throws_format_error([&] { read_safetensors(path); }, path.string()));
  }
}

TEST(Safetensors, RejectsTruncationAnywhere) {
  std::mt19937_64 rng(test::test_seed());
  Safetensors st;
  st.tensors.emplace("a", fx::random_tensor(DType::f32, {2, 3}, rng));
  st.tensors.emplace("b", fx::random_tensor(DType::bf16, {5}, rng));
  const auto file = encode_safetensors(st);
  for (std::size_t cut = 0; cut < file.size(); cut += 5)
    EXPECT_TRUE(fx::throws_format_error([&] { parse_safetensors(std::span(file.data(), cut), "cut"); }, "cut"))
        << "cut at " << cut;
  auto longer = file;
  longer.push_back(std::byte{1});
  EXPECT_TRUE(fx::throws_format_error([&] { parse_safetensors(longer, "x"); }, "1 trailing bytes"));
}

TEST(Safetensors, RejectsBadHeaderLengths) {
  auto f = st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
  auto set_n = [&](std::uint64_t n) {
    for (int i = 0; i < 8; ++i) f[static_cast<std::size_t>(i)] = static_cast<std::byte>((n >> (8 * i)) & 0xff);
  };
  set_n(std::uint64_t{1} << 40);
  EXPECT_TRUE(fx::throws_format_error([&] { parse_safetensors(f, "x"); }, "is absurd"));
  set_n(safetensors_max_header_bytes);
  EXPECT_TRUE(fx::throws_format_error([&] { parse_safetensors(f, "x"); }, "runs past the end of the file"));
  set_n(~std::uint64_t{0});
  EXPECT_TRUE(fx::throws_format_error([&] { parse_safetensors(f, "x"); }, "is absurd"));
}

TEST(Safetensors, RejectsMalformedHeaders) {
  const std::string f4 = R"("dtype":"F32","shape":[2])";
  const std::vector<std::tuple<std::string, std::size_t, std::string>> cases = {
      {R"([1, 2])", 0, "does not start with '{'"},
      {R"( {})", 0, "does not start with '{'"},
      {R"({"a": )", 0, "JSON header:1:"},
      {"{\"a\xff\": 1}", 0, "JSON header:1:"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,8]},"a":{)" + f4 + R"(,"data_offsets":[0,8]}})", 8, "duplicate key 'a'"},
      {R"({"a":1})", 0, "expected a JSON object, got number 1"},
      {R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8, "missing required key 'dtype'"},
      {R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8, "missing required key 'shape'"},
      {R"({"a":{)" + f4 + R"(}})", 8, "missing required key 'data_offsets'"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,8],"extra":1}})", 8, "unknown key 'extra'"},
      {R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", 8, "dtype must be a string, got number 4"},
      {R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4,
       "dtype F16 not supported, expected one of F32, F64, I32, I64, BF16"},
      {R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", 2, "dtype U8 not supported"},
      {R"({"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8, "shape must be an array"},
      {R"({"a":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}})", 8, "negative extent"},
      {R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8, "must be an integer"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0]}})", 8, "data_offsets must be [begin, end]"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,8,9]}})", 8, "data_offsets must be [begin, end]"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[-1,8]}})", 8, "must be an integer in [0, "},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,"8"]}})", 8, "got string"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[8,0]}})", 8, "begin > end"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,12]}})", 8, "out of range (the data buffer is 8 bytes)"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,4]}})", 4, "span 4 bytes, but shape [2] of F32 needs 2 elements x 4 bytes"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,8]},"b":{)" + f4 + R"(,"data_offsets":[4,12]}})", 12, "overlap"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})", 8,
       "overlap"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[4,12]}})", 12, "hole in the data buffer: bytes [0, 4)"},
      {R"({"a":{)" + f4 + R"(,"data_offsets":[0,8]}})", 10, "2 trailing bytes"},
      {R"({"__metadata__":[1]})", 0, "__metadata__: expected a JSON object"},
      {R"({"__metadata__":{"k":1}})", 0, "__metadata__.k must be a string"},
      {R"({"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8, "too large"},
  };
  for (const auto& [header, buffer, phrase] : cases)
    EXPECT_TRUE(fx::throws_format_error([&] { parse_safetensors(st_file(header, buffer), "h.st"); }, phrase))
        << header;
}

TEST(Safetensors, AcceptsWhatTheSpecAllows) {
  // Space padding, zero-size tensors anywhere (also sharing an offset), metadata only, no tensors at all.
  const auto a = parse_safetensors(
      st_file(R"({"z":{"dtype":"I64","shape":[0,3],"data_offsets":[0,0]},"a":{"dtype":"BF16","shape":[],)"
              R"("data_offsets":[0,2]},"y":{"dtype":"F32","shape":[2,0],"data_offsets":[2,2]}}       )", 2),
      "x");
  EXPECT_EQ(a.tensors.size(), 3u);
  EXPECT_EQ(a.tensors.at("a").shape(), Shape{});
  EXPECT_EQ(parse_safetensors(st_file(R"({"__metadata__":{"k":"v"}})", 0), "x").metadata.at("k"), "v");
  EXPECT_TRUE(parse_safetensors(st_file("{}", 0), "x").tensors.empty());
}

}  // namespace
}  // namespace menagerie
