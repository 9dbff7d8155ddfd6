// Atomic whole-file writes (temp + rename) and bounded whole-file reads; see atomic_file.hpp.
#include "core/io/atomic_file.hpp"

#include <unistd.h>

#include <fstream>
#include <string>
#include <system_error>

#include "core/errors.hpp"

namespace menagerie {

namespace fs = std::filesystem;

namespace {

// Removes the temporary on scope exit unless it was renamed into place.
struct TempGuard {
  fs::path tmp;
  bool armed = true;
  ~TempGuard() {
    if (!armed) return;
    std::error_code ec;
    fs::remove(tmp, ec);
  }
};

}  // namespace

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& fill) {
  require(!path.empty(), "cannot write a file with an empty path");
  TempGuard guard{fs::path(path.string() + ".tmp." + std::to_string(::getpid()))};
  {
    std::ofstream os(guard.tmp, std::ios::binary | std::ios::trunc);
    require(os.is_open(), path.string(), ": cannot open ", guard.tmp.string(), " for writing");
    fill(os);
    os.flush();
    require(os.good(), path.string(), ": write failed (disk full or I/O error)");
    os.close();
    require(!os.fail(), path.string(), ": closing the temporary file failed");
  }
  std::error_code ec;
  fs::rename(guard.tmp, path, ec);
  require(!ec, path.string(), ": cannot rename the temporary file into place: ", ec.message());
  guard.armed = false;
}

void write_file_atomic(const fs::path& path, std::span<const std::byte> bytes) {
  write_file_atomic(path, [&](std::ostream& os) {
    if (!bytes.empty())
      os.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  });
}

std::vector<std::byte> read_file(const fs::path& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  require(fs::exists(status), path.string(), ": no such file");
  require(fs::is_regular_file(status), path.string(), ": not a regular file");
  const auto size = fs::file_size(path, ec);
  require(!ec, path.string(), ": cannot read the file size: ", ec.message());
  require(size <= max_bytes, path.string(), ": file is ", size, " bytes, more than the limit of ", max_bytes);
  std::ifstream is(path, std::ios::binary);
  require(is.is_open(), path.string(), ": cannot open the file for reading (permission denied?)");
  std::vector<std::byte> out(static_cast<std::size_t>(size));
  if (!out.empty()) is.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  require(static_cast<std::size_t>(is.gcount()) == out.size() || out.empty(), path.string(), ": read ",
          is.gcount(), " of ", size, " bytes (file changed or I/O error)");
  return out;
}

}  // namespace menagerie
