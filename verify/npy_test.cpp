// .npy: round trips of every dtype and shape, numpy's files read bit-exactly and re-written byte for byte, numpy
// reading our files (when /usr/bin/python3 has numpy), and every malformed case rejected with a one-line FormatError.
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "core/io/npy.hpp"
#include "verify/fixtures/io/io_fixtures.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace fx = test::io_fixtures;

std::vector<std::byte> to_bytes(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

// A version-1.0 file with this header dict (as given, plus '\n') and data.
std::vector<std::byte> npy_with_header(const std::string& dict, std::size_t data_bytes, int major = 1) {
  std::string h = dict + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  out += h;
  out.append(data_bytes, '\x11');
  return to_bytes(out);
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  std::mt19937_64 rng(test::test_seed());
  for (DType d : fx::all_dtypes()) {
    if (d == DType::bf16) continue;  // numpy has no bfloat16
    for (const Shape& s : fx::round_trip_shapes()) {
      const DynTensor t = fx::random_tensor(d, s, rng);
      const auto file = encode_npy(t);
      EXPECT_EQ(parse_npy(file, "mem"), t) << dtype_name(d) << " " << shape_str(s);
      const auto data_start = file.size() - t.bytes().size();
      EXPECT_EQ(data_start % 64, 0u) << "numpy aligns the data to 64 bytes";
      EXPECT_EQ(static_cast<char>(file[data_start - 1]), '\n');
    }
  }
}

TEST(Npy, WritesAndReadsFilesAtomically) {
  std::mt19937_64 rng(test::test_seed());
  const auto dir = std::filesystem::temp_directory_path() / ("menagerie_npy_" + std::to_string(rng()));
  std::filesystem::create_directories(dir);
  const DynTensor t = fx::random_tensor(DType::f64, {4, 5}, rng);
  write_npy(dir / "a.npy", t);
  EXPECT_EQ(read_npy(dir / "a.npy"), t);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "no temporary file left behind";
  EXPECT_THROW(write_npy(dir / "missing_dir" / "a.npy", t), InputError);
  EXPECT_THROW(read_npy(dir / "nope.npy"), InputError);
  std::filesystem::remove_all(dir);
}

TEST(Npy, RejectsBfloat16OnWrite) {
  EXPECT_THROW(encode_npy(DynTensor(DType::bf16, {2})), InputError);
}

TEST(Npy, ReadsNumpyFixturesBitExactlyAndWritesThemByteForByte) {
  int seen = 0;
  for (const auto& [rel, entry] : fx::manifest().at("good").items()) {
    if (entry.at("format") != "npy") continue;
    ++seen;
    const auto file = fx::bytes_of(fx::dir() / rel);
    const DynTensor t = read_npy(fx::dir() / rel);
    EXPECT_EQ(t, fx::expected_tensor(entry.at("tensors").at(0))) << rel;
    if (entry.at("writer_exact").get<bool>()) {
      EXPECT_EQ(encode_npy(t), file) << rel << ": differs from np.save";
    }
  }
  EXPECT_GE(seen, 7);
}

TEST(Npy, RejectsTheBadFixtures) {
  const auto bad = fx::bad_fixtures(".npy");
  EXPECT_GE(bad.size(), 10u);
  for (const auto& [path, phrase] : bad) {
    EXPECT_TRUE(fx::throws_format_error([&] { read_npy(path); }, phrase)) << path;
    EXPECT_TRUE(fx::throws_format_error([&] { read_npy(path); }, path.string())) << "message names the file";
  }
}

TEST(Npy, RejectsTruncationAnywhere) {
  std::mt19937_64 rng(test::test_seed());
  const auto good = encode_npy(fx::random_tensor(DType::f32, {3, 4}, rng));
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{6}, std::size_t{8}, std::size_t{9},
                          std::size_t{10}, std::size_t{40}, std::size_t{127}, std::size_t{128}, good.size() - 1}) {
    const std::span<const std::byte> part(good.data(), cut);
    EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(part, "cut.npy"); }, "cut.npy")) << "cut at " << cut;
  }
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(std::span(good.data(), good.size() - 1), "x"); },
                                      "truncated .npy data: 47 bytes, expected 48 bytes"));
  auto longer = good;
  longer.push_back(std::byte{0});
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(longer, "x"); }, "1 trailing bytes"));
}

TEST(Npy, RejectsBadMagicAndVersions) {
  std::mt19937_64 rng(test::test_seed());
  const auto good = encode_npy(fx::random_tensor(DType::i32, {5}, rng));
  auto m = good;
  m[1] = std::byte{'n'};
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(m, "x"); }, "not a .npy file"));
  for (auto [major, minor] : {std::pair{4, 0}, std::pair{0, 0}, std::pair{1, 1}}) {
    m = good;
    m[6] = static_cast<std::byte>(major);
    m[7] = static_cast<std::byte>(minor);
    EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(m, "x"); }, "unsupported .npy format version"));
  }
}

TEST(Npy, RejectsAbsurdHeaderLengths) {
  // Version 2.0 has a 32-bit length: claim 2 MiB (absurd) and 1000 bytes (past the end of a small file).
  auto f = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 2);
  auto set_len = [&](std::uint32_t len) {
    for (int i = 0; i < 4; ++i) f[8 + i] = static_cast<std::byte>((len >> (8 * i)) & 0xff);
  };
  set_len(2u << 20);
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(f, "x"); }, "is absurd"));
  set_len(1000);
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(f, "x"); }, "runs past the end of the file"));
}

TEST(Npy, ParsesTheHeaderVariantsNumpyAccepts) {
  const DynTensor a = parse_npy(npy_with_header("{\"descr\":\"f8\",\"shape\":(2,3,),\"fortran_order\":False}", 48),
                                "x");
  EXPECT_EQ(a.dtype(), DType::f64);
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(parse_npy(npy_with_header("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", 8), "x").shape(),
            Shape{});
  EXPECT_EQ(parse_npy(npy_with_header("{'descr': '<i4', 'fortran_order': False, 'shape': (0, 5), }", 0), "x").numel(),
            0);
}

TEST(Npy, RejectsMalformedHeaders) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", "dtype '<f2' not supported"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "big-endian"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "dtype '|u1' not supported"},
      {"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", "dtype '|O' not supported"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", "structured dtypes"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "fortran_order is True"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "expected True or False"},
      {"{'descr': '<f4', 'shape': (2,), }", "missing key 'fortran_order'"},
      {"{'fortran_order': False, 'shape': (2,), }", "missing key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, }", "missing key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "duplicate key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", "not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "negative extent"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "expected a non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1234567890123456789012,), }", "too many digits"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", "text after the closing"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", "expected a quoted string"},
      {"['descr', '<f4']", "expected '{'"},
      {"{'descr: '<f4'}", "expected ':'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000, 1000000000), }", "too large"},
  };
  for (const auto& [dict, phrase] : cases)
    EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(npy_with_header(dict, 8), "hdr.npy"); }, phrase)) << dict;
}

TEST(Npy, RejectsDataSizeMismatch) {
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(npy_with_header(dict, 47), "x"); }, "truncated"));
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npy(npy_with_header(dict, 49), "x"); }, "trailing bytes"));
  EXPECT_TRUE(fx::throws_format_error(
      [&] { parse_npy(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (600000000000000000,), }",
                                      8), "x"); },
      "more bytes than any file holds"));
}

// numpy loads what we write, and re-saving it with np.save reproduces our bytes exactly.
TEST(Npy, NumpyLoadsOurFiles) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no numpy";
  std::mt19937_64 rng(test::test_seed());
  const auto dir = std::filesystem::temp_directory_path() / ("menagerie_npy_numpy_" + std::to_string(rng()));
  std::filesystem::create_directories(dir);
  int i = 0;
  for (DType d : {DType::f32, DType::f64, DType::i32, DType::i64})
    for (const Shape& s : {Shape{}, Shape{0, 3}, Shape{2, 3, 5}, Shape{1000}})
      write_npy(dir / cat("t", i++, ".npy"), fx::random_tensor(d, s, rng));
  const std::string cmd = "/usr/bin/python3 -c \"\nimport io, sys, glob, numpy as np\nfor f in sorted(glob.glob(sys.argv[1] "
                          "+ '/*.npy')):\n  a = np.load(f); b = io.BytesIO(); np.save(b, a)\n  assert b.getvalue() == "
                          "open(f, 'rb').read(), f\nprint('ok')\n\" " + dir.string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace menagerie
