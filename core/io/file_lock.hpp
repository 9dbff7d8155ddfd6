// Advisory whole-file locks that other processes, on this host or another one sharing the filesystem (NFS, Lustre),
// see: Linux open-file-description locks (fcntl F_OFD_SETLK / F_OFD_SETLKW, an exclusive lock on the whole file),
// held as long as the FileLock lives and released by the kernel when the process dies, however it dies (SIGKILL,
// scancel, preemption), so a crashed owner never leaves a stale lock behind. The holder writes a note (who holds it:
// host, pid, Slurm task) into the lock file; a process that fails to take the lock can read the note and say who
// owns the resource. The lock file itself stays (removing it would race with a process about to lock it).
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace menagerie {

class FileLock {
 public:
  // Takes the lock on `path` (created if missing; its directory must exist) without waiting; nullopt when another
  // process holds it. On success the file's content is replaced by `note`.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& path, const std::string& note);
  // Waits until the lock is free, then takes it (writes `note` likewise).
  static FileLock acquire(const std::filesystem::path& path, const std::string& note);
  // The note of the lock's current (or last) holder; empty if the file is missing or empty.
  static std::string read_note(const std::filesystem::path& path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace menagerie
