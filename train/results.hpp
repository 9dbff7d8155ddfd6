// Results files: JSON lines (one object per line), appended so that a crash cannot corrupt them.
//   append_json_line: the line and its '\n' go out in one write(2) on an O_APPEND descriptor, then fsync(2); a
//                     crash leaves every earlier line whole and at most a torn last line without its '\n'.
//   read_json_lines:  every complete line, parsed; a last line without '\n' (torn) is dropped; a complete line
//                     that does not parse is a FormatError naming the file and line.
//   truncate_file:    cut the file back to `bytes` (resuming from a checkpoint drops lines written after it).
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/json.hpp"

namespace menagerie::train {

void append_json_line(const std::filesystem::path& path, const json& line);
std::vector<json> read_json_lines(const std::filesystem::path& path);
std::uint64_t file_size_or_zero(const std::filesystem::path& path);
void truncate_file(const std::filesystem::path& path, std::uint64_t bytes);

}  // namespace menagerie::train
