// JSON-lines results files; the guarantees are in results.hpp.
#include "train/results.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace menagerie::train {

void append_json_line(const std::filesystem::path& path, const json& line) {
  const std::string text = line.dump() + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  require(fd >= 0, path.string(), ": cannot open for appending: ", std::strerror(errno));
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  const bool synced = n == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  require(n == static_cast<ssize_t>(text.size()), path.string(), ": short write (", n, " of ", text.size(),
          " bytes): ", std::strerror(err));
  require(synced, path.string(), ": fsync failed");
}

std::vector<json> read_json_lines(const std::filesystem::path& path) {
  std::vector<json> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::size_t start = 0, line = 1;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // torn last line
    out.push_back(parse_json(std::string_view(text).substr(start, end - start), cat(path.string(), " line ", line)));
    start = end + 1;
    ++line;
  }
  return out;
}

std::uint64_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(n);
}

void truncate_file(const std::filesystem::path& path, std::uint64_t bytes) {
  if (!std::filesystem::exists(path)) {
    require(bytes == 0, path.string(), ": missing, expected ", bytes, " bytes of results");
    return;
  }
  require(file_size_or_zero(path) >= bytes, path.string(), " is shorter (", file_size_or_zero(path),
          " bytes) than its checkpoint records (", bytes, ")");
  require(::truncate(path.c_str(), static_cast<off_t>(bytes)) == 0, path.string(), ": truncate failed: ",
          std::strerror(errno));
}

}  // namespace menagerie::train
