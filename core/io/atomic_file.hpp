// Whole-file IO with the project's two guarantees: readers never allocate more than the caller allows, and writers
// never leave a partial file behind. A write goes to "<path>.tmp.<pid>" and is renamed over <path> only after every
// byte is flushed (rename is atomic within a filesystem); on any failure the temporary is removed and InputError
// names the path. A writer killed mid-write (SIGKILL, power loss) cannot remove its temporary: the next write to the
// same path removes every "<path>.tmp.<pid>" whose process no longer exists. A set of files (write_files_atomic)
// appears together or not at all. Readers throw InputError naming the path for missing, unreadable or oversized
// files.
#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <ostream>
#include <span>
#include <vector>

namespace menagerie {

// Writes `bytes` to `path` atomically (temp file + rename). The parent directory must exist.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes);

// Streaming variant: `fill` writes the content to the stream (it may throw; then nothing is left behind).
void write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& fill);

// One file of a set written together.
struct FileOutput {
  std::filesystem::path path;
  std::function<void(std::ostream&)> fill;
};

// Writes every file of the set or none. First checks every destination (a parent directory that exists, the path
// not a directory nor anything else but a regular file, no path twice), then writes each to its temporary, then
// renames them into place. On any failure it removes the temporaries and the files of this set already renamed
// into place, and throws InputError naming the path.
void write_files_atomic(const std::vector<FileOutput>& outputs);

// The destination check write_files_atomic makes, for callers that check before long work: throws InputError
// unless the parent directory exists and the path is a regular file or does not exist.
void check_file_destination(const std::filesystem::path& path);

// The temporary a write to `path` by process `pid` uses: "<path>.tmp.<pid>".
std::filesystem::path temporary_path(const std::filesystem::path& path, long pid);

// Removes the temporaries "<path>.tmp.<pid>" (regular files) left by writers that no longer run (kill(pid, 0) says
// no such process); returns how many it removed. Every write calls it for its path before creating its own.
std::size_t remove_stale_temporaries(const std::filesystem::path& path);

// The whole file; throws InputError if it is missing, not a regular file, unreadable or larger than max_bytes.
std::vector<std::byte> read_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace menagerie
