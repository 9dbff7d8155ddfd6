// .npz reading and writing; the layout is in npz.hpp. ZIP field offsets follow PKWARE's APPNOTE (4.3.7 local
// header, 4.3.12 central directory header, 4.3.14-4.3.16 ZIP64 and end records, 4.5.3 ZIP64 extra field).
#include "core/io/npz.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <set>

#include "core/io/atomic_file.hpp"
#include "core/io/bytes.hpp"
#include "core/io/npy.hpp"

namespace menagerie {

namespace {

using io::load_le;
using Members = std::map<std::string, DynTensor>;

constexpr std::uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr std::uint32_t kEnd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50;
constexpr std::size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kEnd64Size = 56, kLocator64Size = 20;
constexpr std::uint32_t kSaturated32 = 0xffffffff;
constexpr std::uint16_t kDosDate1980 = (1 << 5) | 1;  // 1980-01-01, the date of zipfile's ZipInfo(name)

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), updatable: crc32(b, crc32(a)) == crc32(a ++ b).
std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (auto b : data) crc = table[(crc ^ static_cast<std::uint32_t>(b)) & 0xff] ^ (crc >> 8);
  return ~crc;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// ---- writing ----

struct Written {
  std::string name;
  std::uint32_t crc;
  std::uint64_t size, offset;
};

void write_archive(const Members& tensors, std::uint64_t limit,
                   const std::function<void(std::span<const std::byte>)>& put) {
  std::uint64_t pos = 0;
  auto emit = [&](std::span<const std::byte> b) {
    put(b);
    pos += b.size();
  };
  std::vector<Written> entries;
  for (const auto& [key, t] : tensors) {
    const std::string name = key + ".npy";
    require(name.size() <= 0xffff, "npz member name of ", name.size(), " bytes is longer than ZIP allows (65535)");
    const auto header = encode_npy_header(t.dtype(), t.shape());
    const std::uint64_t size = header.size() + t.bytes().size();
    const std::uint32_t crc = crc32(t.bytes(), crc32(header));
    const bool big = size > limit;
    std::vector<std::byte> local;
    io::append_le(local, kLocalSig);
    io::append_le(local, static_cast<std::uint16_t>(big ? 45 : 20));
    io::append_le(local, static_cast<std::uint16_t>(is_ascii(name) ? 0 : 0x800));
    io::append_le(local, std::uint16_t{0});  // method: stored
    io::append_le(local, std::uint16_t{0});  // time 00:00:00
    io::append_le(local, kDosDate1980);
    io::append_le(local, crc);
    for (int i = 0; i < 2; ++i) io::append_le(local, big ? kSaturated32 : static_cast<std::uint32_t>(size));
    io::append_le(local, static_cast<std::uint16_t>(name.size()));
    io::append_le(local, std::uint16_t{20});  // np.savez forces the ZIP64 extra field
    io::append_text(local, name);
    io::append_le(local, std::uint16_t{1});
    io::append_le(local, std::uint16_t{16});
    io::append_le(local, size);
    io::append_le(local, size);
    entries.push_back({name, crc, size, pos});
    emit(local);
    emit(header);
    emit(t.bytes());
  }
  const std::uint64_t cd_offset = pos;
  for (const auto& e : entries) {
    std::vector<std::uint64_t> extra;
    const bool big = e.size > limit, far = e.offset > limit;
    if (big) extra.insert(extra.end(), {e.size, e.size});
    if (far) extra.push_back(e.offset);
    const std::uint8_t version = extra.empty() ? 20 : 45;
    std::vector<std::byte> cd;
    io::append_le(cd, kCentralSig);
    io::append_le(cd, version);
    io::append_le(cd, std::uint8_t{3});  // made on Unix
    io::append_le(cd, version);
    io::append_le(cd, std::uint8_t{0});
    io::append_le(cd, static_cast<std::uint16_t>(is_ascii(e.name) ? 0 : 0x800));
    io::append_le(cd, std::uint16_t{0});
    io::append_le(cd, std::uint16_t{0});
    io::append_le(cd, kDosDate1980);
    io::append_le(cd, e.crc);
    for (int i = 0; i < 2; ++i) io::append_le(cd, big ? kSaturated32 : static_cast<std::uint32_t>(e.size));
    io::append_le(cd, static_cast<std::uint16_t>(e.name.size()));
    io::append_le(cd, static_cast<std::uint16_t>(extra.empty() ? 0 : 4 + 8 * extra.size()));
    io::append_le(cd, std::uint16_t{0});        // comment length
    io::append_le(cd, std::uint16_t{0});        // disk number
    io::append_le(cd, std::uint16_t{0});        // internal attributes
    io::append_le(cd, std::uint32_t{0600u << 16});  // external attributes: -rw-------
    io::append_le(cd, far ? kSaturated32 : static_cast<std::uint32_t>(e.offset));
    io::append_text(cd, e.name);
    if (!extra.empty()) {
      io::append_le(cd, std::uint16_t{1});
      io::append_le(cd, static_cast<std::uint16_t>(8 * extra.size()));
      for (auto v : extra) io::append_le(cd, v);
    }
    emit(cd);
  }
  const std::uint64_t cd_end = pos, cd_size = cd_end - cd_offset, count = entries.size();
  std::vector<std::byte> end;
  if (count > 0xffff || cd_offset > limit || cd_size > limit) {
    io::append_le(end, kEnd64Sig);
    io::append_le(end, std::uint64_t{44});
    io::append_le(end, std::uint16_t{45});
    io::append_le(end, std::uint16_t{45});
    io::append_le(end, std::uint32_t{0});
    io::append_le(end, std::uint32_t{0});
    for (auto v : {count, count, cd_size, cd_offset}) io::append_le(end, v);
    io::append_le(end, kLocator64Sig);
    io::append_le(end, std::uint32_t{0});
    io::append_le(end, cd_end);
    io::append_le(end, std::uint32_t{1});
  }
  io::append_le(end, kEndSig);
  io::append_le(end, std::uint16_t{0});
  io::append_le(end, std::uint16_t{0});
  for (int i = 0; i < 2; ++i) io::append_le(end, static_cast<std::uint16_t>(std::min<std::uint64_t>(count, 0xffff)));
  io::append_le(end, static_cast<std::uint32_t>(std::min<std::uint64_t>(cd_size, kSaturated32)));
  io::append_le(end, static_cast<std::uint32_t>(std::min<std::uint64_t>(cd_offset, kSaturated32)));
  io::append_le(end, std::uint16_t{0});
  emit(end);
}

// ---- reading ----

struct CentralEntry {
  std::string name;
  std::uint16_t flags, method;
  std::uint32_t crc;
  std::uint64_t csize, usize, offset;
};

class Reader {
 public:
  Reader(std::span<const std::byte> f, std::string_view what) : f_(f), what_(what) {}

  Members read() {
    require<FormatError>(f_.size() >= kEndSize, what_, ": not a .npz file (", f_.size(),
                         " bytes, too short for a ZIP archive)");
    require<FormatError>(io::as_text(f_).substr(0, 6) != "\x93NUMPY", what_,
                         ": this is a .npy file, not a .npz archive");
    const auto [cd_offset, cd_size, count, cd_end] = find_directory();
    require<FormatError>(count <= cd_size / kCentralSize, what_, ": the end record claims ", count,
                         " members, more than a ", cd_size, "-byte central directory holds");
    std::vector<CentralEntry> entries;
    std::uint64_t p = cd_offset;
    for (std::uint64_t i = 0; i < count; ++i) entries.push_back(central_entry(p, cd_end));
    require<FormatError>(p == cd_end, what_, ": central directory has ", cd_end - p,
                         " bytes after its last entry (corrupt archive)");

    // Every member's span is checked (inside the file, before the central directory, no two overlapping) before
    // any member is read, so the CRC and parsing work and the tensors' memory are bounded by the file's size, not
    // by what a hostile directory claims (members nested in each other would be read again and again).
    std::set<std::string> keys;
    std::vector<std::span<const std::byte>> data;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // [local header, end of data) per member
    for (const auto& e : entries) {
      const std::string member = cat(what_, ": member '", io::excerpt(e.name), "'");
      require<FormatError>(e.name.size() >= 4 && e.name.substr(e.name.size() - 4) == ".npy", member,
                           " is not a .npy array (np.savez writes only <name>.npy members)");
      require<FormatError>(keys.insert(e.name.substr(0, e.name.size() - 4)).second, member,
                           " appears twice in the archive");
      data.push_back(member_data(e, member, cd_offset, spans));
    }
    auto sorted = spans;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size(); ++i)
      require<FormatError>(sorted[i].first >= sorted[i - 1].second, what_, ": members overlap at bytes [",
                           sorted[i].first, ", ", sorted[i - 1].second, ") (corrupt or malicious archive)");

    Members out;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      const std::string member = cat(what_, ": member '", io::excerpt(e.name), "'");
      const auto crc = crc32(data[i]);
      require<FormatError>(crc == e.crc, member, ": CRC-32 mismatch (stored ", hex(e.crc), ", computed ", hex(crc),
                           "): the archive is corrupt");
      out.emplace(e.name.substr(0, e.name.size() - 4), parse_npy(data[i], member));
    }
    return out;
  }

 private:
  struct Directory {
    std::uint64_t offset, size, count, end;
  };

  static std::string hex(std::uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int sh = 28; sh >= 0; sh -= 4) s += digits[(v >> sh) & 15];
    return s;
  }
  template <class U>
  U at(std::uint64_t off) const {
    return load_le<U>(f_.data() + off);
  }

  // The end record is the last 22 bytes plus a comment of its stated length; search back over possible comments.
  Directory find_directory() const {
    const std::size_t n = f_.size();
    std::size_t pos = n - kEndSize;
    const std::size_t lowest = n - kEndSize - std::min<std::size_t>(n - kEndSize, 0xffff);
    for (;; --pos) {
      if (at<std::uint32_t>(pos) == kEndSig && pos + kEndSize + at<std::uint16_t>(pos + 20) == n) break;
      require<FormatError>(pos > lowest, what_, ": no ZIP end-of-central-directory record (not a .npz archive, or ",
                           "truncated)");
    }
    const auto disk = at<std::uint16_t>(pos + 4), cd_disk = at<std::uint16_t>(pos + 6);
    const auto here = at<std::uint16_t>(pos + 8);
    Directory d{at<std::uint32_t>(pos + 16), at<std::uint32_t>(pos + 12), at<std::uint16_t>(pos + 10), pos};
    require<FormatError>(disk == 0 && cd_disk == 0 && here == d.count, what_,
                         ": multi-disk (split) ZIP archives are not supported");
    if (pos >= kLocator64Size && at<std::uint32_t>(pos - kLocator64Size) == kLocator64Sig) {
      const std::uint64_t loc = pos - kLocator64Size;
      const auto end64 = at<std::uint64_t>(loc + 8);
      require<FormatError>(at<std::uint32_t>(loc + 4) == 0 && at<std::uint32_t>(loc + 16) == 1, what_,
                           ": multi-disk (split) ZIP64 archives are not supported");
      require<FormatError>(end64 <= loc && loc - end64 >= kEnd64Size && at<std::uint32_t>(end64) == kEnd64Sig,
                           what_, ": the ZIP64 end record locator points to offset ", end64,
                           ", where there is no ZIP64 end record");
      require<FormatError>(at<std::uint32_t>(end64 + 16) == 0 && at<std::uint32_t>(end64 + 20) == 0 &&
                               at<std::uint64_t>(end64 + 24) == at<std::uint64_t>(end64 + 32),
                           what_, ": multi-disk (split) ZIP64 archives are not supported");
      d = {at<std::uint64_t>(end64 + 48), at<std::uint64_t>(end64 + 40), at<std::uint64_t>(end64 + 32), end64};
    } else {
      require<FormatError>(d.count != 0xffff && d.size != kSaturated32 && d.offset != kSaturated32, what_,
                           ": the end record needs a ZIP64 end record, which is missing");
    }
    require<FormatError>(d.offset <= d.end && d.size == d.end - d.offset, what_, ": central directory at offset ",
                         d.offset, " of ", d.size, " bytes does not end where the end record starts (", d.end,
                         "): truncated archive or data prepended?");
    return d;
  }

  CentralEntry central_entry(std::uint64_t& p, std::uint64_t cd_end) const {
    require<FormatError>(cd_end - p >= kCentralSize && at<std::uint32_t>(p) == kCentralSig, what_,
                         ": corrupt central directory entry at offset ", p);
    CentralEntry e{};
    e.flags = at<std::uint16_t>(p + 8);
    e.method = at<std::uint16_t>(p + 10);
    e.crc = at<std::uint32_t>(p + 16);
    e.csize = at<std::uint32_t>(p + 20);
    e.usize = at<std::uint32_t>(p + 24);
    const std::uint64_t name_len = at<std::uint16_t>(p + 28), extra_len = at<std::uint16_t>(p + 30);
    const std::uint64_t comment_len = at<std::uint16_t>(p + 32);
    const auto disk = at<std::uint16_t>(p + 34);
    e.offset = at<std::uint32_t>(p + 42);
    const std::uint64_t total = kCentralSize + name_len + extra_len + comment_len;
    require<FormatError>(cd_end - p >= total, what_, ": central directory entry at offset ", p,
                         " runs past the directory");
    e.name = std::string(io::as_text(f_.subspan(p + kCentralSize, name_len)));
    const std::string member = cat(what_, ": member '", io::excerpt(e.name), "'");
    require<FormatError>(disk == 0, member, " lives on disk ", disk, " (multi-disk archives are not supported)");
    require<FormatError>((e.flags & 0x41) == 0, member, " is encrypted (not supported)");
    require<FormatError>(e.method != 8, what_,
                         ": compressed .npz (np.savez_compressed) is not supported; save with np.savez (member '",
                         io::excerpt(e.name), "' is deflated)");
    require<FormatError>(e.method == 0, member, " uses ZIP compression method ", e.method,
                         " (only 0, stored, is supported; save with np.savez)");
    zip64_extra(e, f_.subspan(p + kCentralSize + name_len, extra_len), member);
    require<FormatError>(e.csize == e.usize, member, " is stored but its compressed size ", e.csize,
                         " differs from its size ", e.usize);
    p += total;
    return e;
  }

  // Replaces the saturated 32-bit fields of e by the 64-bit values of the ZIP64 extra field (id 1), in the order
  // APPNOTE 4.5.3 gives: size, compressed size, local header offset.
  void zip64_extra(CentralEntry& e, std::span<const std::byte> extra, const std::string& member) const {
    std::uint64_t* fields[] = {&e.usize, &e.csize, &e.offset};
    bool needed = false;
    for (auto* f : fields) needed = needed || *f == kSaturated32;
    if (!needed) return;
    std::size_t q = 0;
    while (q + 4 <= extra.size()) {
      const auto id = load_le<std::uint16_t>(&extra[q]);
      const std::size_t len = load_le<std::uint16_t>(&extra[q + 2]);
      require<FormatError>(q + 4 + len <= extra.size(), member, ": extra field runs past its entry");
      if (id == 1) {
        std::size_t r = q + 4;
        for (auto* f : fields) {
          if (*f != kSaturated32) continue;
          require<FormatError>(r + 8 <= q + 4 + len, member, ": ZIP64 extra field too short");
          *f = load_le<std::uint64_t>(&extra[r]);
          r += 8;
        }
        return;
      }
      q += 4 + len;
    }
    throw FormatError(cat(member, ": sizes need a ZIP64 extra field, which is missing"));
  }

  // The member's stored bytes, after checking its local header against the central directory.
  std::span<const std::byte> member_data(const CentralEntry& e, const std::string& member, std::uint64_t cd_offset,
                                         std::vector<std::pair<std::uint64_t, std::uint64_t>>& spans) const {
    const std::uint64_t p = e.offset;
    require<FormatError>(p <= cd_offset && cd_offset - p >= kLocalSize && at<std::uint32_t>(p) == kLocalSig, member,
                         ": no local header at offset ", p, " (corrupt archive)");
    const std::uint64_t name_len = at<std::uint16_t>(p + 26), extra_len = at<std::uint16_t>(p + 28);
    const std::uint64_t start = p + kLocalSize + name_len + extra_len;
    require<FormatError>(start <= cd_offset && e.csize <= cd_offset - start, member, ": data at [", start, ", +",
                         e.csize, ") runs past the start of the central directory (", cd_offset, ")");
    require<FormatError>(io::as_text(f_.subspan(p + kLocalSize, name_len)) == e.name, member,
                         ": local header names '", io::excerpt(io::as_text(f_.subspan(p + kLocalSize, name_len))),
                         "' instead");
    require<FormatError>(at<std::uint16_t>(p + 8) == e.method, member,
                         ": compression method differs between local header and central directory");
    if ((at<std::uint16_t>(p + 6) & 0x8) == 0) {  // without a data descriptor, the local header repeats CRC and sizes
      const auto lcs = at<std::uint32_t>(p + 18), lus = at<std::uint32_t>(p + 22);
      require<FormatError>(at<std::uint32_t>(p + 14) == e.crc &&
                               (lcs == kSaturated32 || lcs == e.csize) && (lus == kSaturated32 || lus == e.usize),
                           member, ": local header CRC or sizes differ from the central directory");
    }
    spans.emplace_back(p, start + e.csize);
    return f_.subspan(start, e.csize);
  }

  std::span<const std::byte> f_;
  std::string what_;
};

}  // namespace

Members parse_npz(std::span<const std::byte> file, std::string_view what) { return Reader(file, what).read(); }

Members read_npz(const std::filesystem::path& path) {
  const auto bytes = read_file(path, std::size_t{1} << 40);
  return parse_npz(bytes, path.string());
}

std::vector<std::byte> encode_npz(const Members& tensors, std::uint64_t zip64_limit) {
  std::vector<std::byte> out;
  write_archive(tensors, zip64_limit, [&](std::span<const std::byte> b) { out.insert(out.end(), b.begin(), b.end()); });
  return out;
}

void write_npz(const std::filesystem::path& path, const Members& tensors) {
  write_file_atomic(path, [&](std::ostream& os) {
    write_archive(tensors, npz_zip64_limit, [&](std::span<const std::byte> b) {
      os.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    });
  });
}

}  // namespace menagerie
