// Atomic whole-file writes (temp + rename, single files and sets), removal of dead writers' temporaries, and
// bounded whole-file reads; see atomic_file.hpp.
#include "core/io/atomic_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <string>
#include <system_error>

#include "core/errors.hpp"

namespace menagerie {

namespace fs = std::filesystem;

namespace {

fs::path parent_or_dot(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

}  // namespace

void check_file_destination(const fs::path& path) {
  require(!path.empty(), "cannot write a file with an empty path");
  require(path.has_filename(), path.string(), ": expected a file path, not a directory");
  std::error_code ec;
  const auto dir = parent_or_dot(path);
  require(fs::is_directory(dir, ec), path.string(), ": directory ", dir.string(), " does not exist");
  const auto st = fs::status(path, ec);
  require(!fs::is_directory(st), path.string(), ": is a directory, expected a file to write");
  require(!fs::exists(st) || fs::is_regular_file(st), path.string(),
          ": exists and is not a regular file, expected a file to write");
}

namespace {

// Removes a file on scope exit unless disarmed: the temporaries, and the files of a set already renamed into place.
struct RemoveGuard {
  std::vector<fs::path> paths;
  bool armed = true;
  ~RemoveGuard() {
    if (!armed) return;
    for (const auto& p : paths) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }
};

void write_temporary(const FileOutput& out, const fs::path& tmp) {
  std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
  require(os.is_open(), out.path.string(), ": cannot open ", tmp.string(), " for writing");
  out.fill(os);
  os.flush();
  require(os.good(), out.path.string(), ": write failed (disk full or I/O error)");
  os.close();
  require(!os.fail(), out.path.string(), ": closing the temporary file failed");
}

}  // namespace

fs::path temporary_path(const fs::path& path, long pid) {
  return fs::path(path.string() + ".tmp." + std::to_string(pid));
}

std::size_t remove_stale_temporaries(const fs::path& path) {
  const std::string prefix = path.filename().string() + ".tmp.";
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(parent_or_dot(path), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0 || name.size() - prefix.size() > 9)
      continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::stol(digits);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code sec;
    if (!fs::is_regular_file(it->symlink_status(sec))) continue;
    if (fs::remove(it->path(), sec)) ++removed;
  }
  return removed;
}

void write_files_atomic(const std::vector<FileOutput>& outputs) {
  std::set<fs::path> seen;
  for (const auto& out : outputs) {
    check_file_destination(out.path);
    require(seen.insert(fs::absolute(out.path).lexically_normal()).second, out.path.string(),
            ": the same file is written twice");
  }
  RemoveGuard temporaries, placed;
  for (const auto& out : outputs) {
    remove_stale_temporaries(out.path);
    temporaries.paths.push_back(temporary_path(out.path, ::getpid()));
    write_temporary(out, temporaries.paths.back());
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    std::error_code ec;
    fs::rename(temporaries.paths[i], outputs[i].path, ec);
    require(!ec, outputs[i].path.string(), ": cannot rename the temporary file into place: ", ec.message(),
            placed.paths.empty() ? "" : " (the files of this set already in place were removed)");
    placed.paths.push_back(outputs[i].path);
  }
  temporaries.armed = placed.armed = false;
}

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& fill) {
  write_files_atomic({FileOutput{path, fill}});
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
