// Whole-file IO with the project's two guarantees: readers never allocate more than the caller allows, and writers
// never leave a partial file behind. A write goes to "<path>.tmp.<pid>" and is renamed over <path> only after every
// byte is flushed (rename is atomic within a filesystem); on any failure the temporary is removed and InputError
// names the path. Readers throw InputError naming the path for missing, unreadable or oversized files.
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

// The whole file; throws InputError if it is missing, not a regular file, unreadable or larger than max_bytes.
std::vector<std::byte> read_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace menagerie
