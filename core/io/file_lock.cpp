// Whole-file open-file-description locks; the contract is in file_lock.hpp.
#include "core/io/file_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "core/errors.hpp"

namespace menagerie {

namespace {

int open_lock_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  require<InputError>(fd >= 0, path.string(), ": cannot open lock file: ", std::strerror(errno));
  return fd;
}

// F_OFD_SETLK (wait = false) or F_OFD_SETLKW (wait = true) for a write lock on the whole file; true when taken.
bool lock_whole_file(int fd, bool wait, const std::filesystem::path& path) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  for (;;) {
    if (::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return true;
    if (errno == EINTR) continue;
    if (!wait && (errno == EAGAIN || errno == EACCES)) return false;
    const int err = errno;
    ::close(fd);
    throw InputError(cat(path.string(), ": cannot lock: ", std::strerror(err)));
  }
}

void write_note(int fd, const std::string& note) {
  if (::ftruncate(fd, 0) != 0) return;  // the note is informative only; the lock is what counts
  if (::pwrite(fd, note.data(), note.size(), 0) < 0) return;
}

}  // namespace

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& path, const std::string& note) {
  const int fd = open_lock_file(path);
  if (!lock_whole_file(fd, false, path)) {
    ::close(fd);
    return std::nullopt;
  }
  write_note(fd, note);
  return FileLock(fd);
}

FileLock FileLock::acquire(const std::filesystem::path& path, const std::string& note) {
  const int fd = open_lock_file(path);
  lock_whole_file(fd, true, path);
  write_note(fd, note);
  return FileLock(fd);
}

std::string FileLock::read_note(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace menagerie
