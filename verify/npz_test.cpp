// .npz: round trips (also with ZIP64 records forced on), np.savez's files read bit-exactly and re-written byte for
// byte, numpy loading our archives, and malformed archives (truncated, compressed, corrupt CRC, inconsistent
// directory, foreign members, overlapping members before any is read) rejected with a one-line FormatError.
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "core/io/atomic_file.hpp"
#include "core/io/bytes.hpp"
#include "core/io/npy.hpp"
#include "core/io/npz.hpp"
#include "verify/fixtures/io/io_fixtures.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace fx = test::io_fixtures;
using Members = std::map<std::string, DynTensor>;

Members random_members(std::mt19937_64& rng) {
  Members m;
  int i = 0;
  for (DType d : {DType::f32, DType::f64, DType::i32, DType::i64})
    for (const Shape& s : fx::round_trip_shapes()) m.emplace(cat("t", i++, "_", dtype_name(d)), fx::random_tensor(d, s, rng));
  return m;
}

// Offsets inside a two-member archive without comment: the central directory starts where the end record says.
std::size_t cd_offset(const std::vector<std::byte>& z) { return io::load_le<std::uint32_t>(&z[z.size() - 6]); }
void put16(std::vector<std::byte>& z, std::size_t at, std::uint16_t v) {
  z[at] = static_cast<std::byte>(v & 0xff);
  z[at + 1] = static_cast<std::byte>(v >> 8);
}

Members two_members(std::mt19937_64& rng) {
  return {{"a", fx::random_tensor(DType::f32, {2, 3}, rng)}, {"b", fx::random_tensor(DType::i64, {4}, rng)}};
}

TEST(Npz, RoundTripsEveryDtypeAndShape) {
  std::mt19937_64 rng(test::test_seed());
  const Members m = random_members(rng);
  EXPECT_EQ(parse_npz(encode_npz(m), "mem"), m);
  EXPECT_EQ(parse_npz(encode_npz({}), "mem"), Members{});
}

TEST(Npz, RoundTripsWithZip64RecordsForcedOn) {
  std::mt19937_64 rng(test::test_seed());
  const Members m = random_members(rng);
  const auto z = encode_npz(m, 0);  // every size and offset "exceeds" the limit
  EXPECT_NE(z, encode_npz(m));
  EXPECT_EQ(parse_npz(z, "mem"), m);
}

TEST(Npz, WritesFilesAtomically) {
  std::mt19937_64 rng(test::test_seed());
  const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_npz_", rng());
  std::filesystem::create_directories(dir);
  const Members m = two_members(rng);
  write_npz(dir / "a.npz", m);
  EXPECT_EQ(read_npz(dir / "a.npz"), m);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  EXPECT_THROW(write_npz(dir / "a.npz", {{"x", DynTensor(DType::bf16, {2})}}), InputError);
  EXPECT_EQ(read_npz(dir / "a.npz"), m) << "a failed write leaves the old file intact";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "and no temporary behind";
  std::filesystem::remove_all(dir);
}

TEST(Npz, ReadsNumpyFixturesBitExactlyAndWritesThemByteForByte) {
  int seen = 0;
  for (const auto& [rel, entry] : fx::manifest().at("good").items()) {
    if (entry.at("format") != "npz") continue;
    ++seen;
    const Members got = read_npz(fx::dir() / rel);
    Members want;
    for (const auto& t : entry.at("tensors")) want.emplace(t.at("name").get<std::string>(), fx::expected_tensor(t));
    EXPECT_EQ(got, want) << rel;
    EXPECT_EQ(encode_npz(got), fx::bytes_of(fx::dir() / rel)) << rel << ": differs from np.savez";
  }
  EXPECT_EQ(seen, 2);
}

TEST(Npz, RejectsTheBadFixtures) {
  const auto bad = fx::bad_fixtures(".npz");
  EXPECT_GE(bad.size(), 3u);
  for (const auto& [path, phrase] : bad) {
    EXPECT_TRUE(fx::throws_format_error([&] { read_npz(path); }, phrase)) << path;
    EXPECT_TRUE(fx::throws_format_error([&] { read_npz(path); }, path.string()));
  }
  EXPECT_TRUE(fx::throws_format_error([&] { read_npz(fx::dir() / "bad/compressed.npz"); },
                                      "compressed .npz (np.savez_compressed) is not supported; save with np.savez"));
}

TEST(Npz, RejectsTruncationAnywhere) {
  std::mt19937_64 rng(test::test_seed());
  for (std::uint64_t limit : {npz_zip64_limit, std::uint64_t{0}}) {
    const auto z = encode_npz(two_members(rng), limit);
    for (std::size_t cut = 0; cut < z.size(); cut += 7)
      EXPECT_TRUE(fx::throws_format_error([&] { parse_npz(std::span(z.data(), cut), "cut.npz"); }, "cut.npz"))
          << "cut at " << cut << " of " << z.size();
  }
}

TEST(Npz, RejectsCorruptMembers) {
  std::mt19937_64 rng(test::test_seed());
  const auto good = encode_npz(two_members(rng));
  const std::size_t cd = cd_offset(good);
  auto check = [&](auto mutate, const std::string& phrase) {
    auto z = good;
    mutate(z);
    EXPECT_TRUE(fx::throws_format_error([&] { parse_npz(z, "m.npz"); }, phrase)) << phrase;
  };
  check([](auto& z) { z[100] ^= std::byte{1}; }, "CRC-32 mismatch");
  check([&](auto& z) { put16(z, 8, 8); put16(z, cd + 10, 8); }, "np.savez_compressed");
  check([&](auto& z) { put16(z, 8, 12); put16(z, cd + 10, 12); }, "compression method 12");
  check([&](auto& z) { put16(z, cd + 8, 1); }, "encrypted");
  check([&](auto& z) { z[cd] = std::byte{0}; }, "corrupt central directory entry");
  check([&](auto& z) { z[0] = std::byte{0}; }, "no local header");
  check([&](auto& z) { z[30] = std::byte{'x'}; }, "local header names 'x.npy'");
  check([&](auto& z) { z[cd + 46] = std::byte{'b'}; z[30] = std::byte{'b'}; }, "appears twice");
  check([&](auto& z) { z[cd + 46 + 3] = std::byte{'x'}; z[33] = std::byte{'x'}; }, "is not a .npy array");
  check([&](auto& z) { put16(z, z.size() - 12, 3); put16(z, z.size() - 14, 3); }, "more than a");
  check([&](auto& z) { z[z.size() - 6] ^= std::byte{1}; }, "does not end where the end record starts");
  check([&](auto& z) { put16(z, z.size() - 18, 1); }, "multi-disk");
  check([&](auto& z) { z[14] ^= std::byte{1}; }, "local header CRC or sizes differ");
}

// Member 'a' is stretched over member 'b' (its sizes run to the central directory): the overlap is reported before
// any member is read, not after a's CRC is computed (a hostile archive of nested members would make every read
// cost the whole file again: 37 s and 4 GiB for a 64 MiB file before this check came first).
TEST(Npz, RejectsOverlappingMembersBeforeReadingAny) {
  std::mt19937_64 rng(test::test_seed());
  auto z = encode_npz(two_members(rng));
  const std::size_t cd = cd_offset(z), start_a = 30 + 5 + 20;  // local header, "a.npy", np.savez's ZIP64 extra
  const auto stretched = static_cast<std::uint32_t>(cd - start_a);
  for (std::size_t at : {std::size_t{18}, std::size_t{22}, cd + 20, cd + 24}) {
    put16(z, at, static_cast<std::uint16_t>(stretched & 0xffff));
    put16(z, at + 2, static_cast<std::uint16_t>(stretched >> 16));
  }
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npz(z, "nested.npz"); }, "members overlap at bytes"));
}

TEST(Npz, RejectsNpyFilesAndJunk) {
  std::mt19937_64 rng(test::test_seed());
  const auto npy = encode_npy(fx::random_tensor(DType::f32, {30}, rng));
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npz(npy, "x.npz"); }, "this is a .npy file, not a .npz archive"));
  std::vector<std::byte> junk(300, std::byte{0x5a});
  EXPECT_TRUE(fx::throws_format_error([&] { parse_npz(junk, "x.npz"); }, "no ZIP end-of-central-directory record"));
}

// numpy loads our archives; np.savez of what it loaded reproduces our bytes, and the ZIP64 variant loads equal.
TEST(Npz, NumpyLoadsOurFiles) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no numpy";
  std::mt19937_64 rng(test::test_seed());
  const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_npz_numpy_", rng());
  std::filesystem::create_directories(dir);
  const Members m = random_members(rng);
  write_npz(dir / "plain.npz", m);
  write_file_atomic(dir / "zip64.npz", encode_npz(m, 0));
  const std::string cmd = cat(
      "/usr/bin/python3 -c \"\nimport io, sys, numpy as np\nd = sys.argv[1]\np = np.load(d + '/plain.npz')\n",
      "q = np.load(d + '/zip64.npz')\nassert p.files == q.files and len(p.files) == ", m.size(), "\n",
      "for k in p.files: assert np.array_equal(p[k], q[k]) and p[k].dtype == q[k].dtype, k\n",
      "b = io.BytesIO(); np.savez(b, **{k: p[k] for k in p.files})\n",
      "assert b.getvalue() == open(d + '/plain.npz', 'rb').read()\nprint('ok')\n\" ", dir.string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace menagerie
