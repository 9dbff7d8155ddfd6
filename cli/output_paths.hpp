// Up-front checks of the output paths the subcommands take, made before any work, so a path that is a file where
// a directory is expected, or one that cannot be created or written, is a one-line InputError naming the flag, the
// path and what was expected (exit 2) rather than a std::filesystem exception halfway through.
#pragma once
#include <filesystem>
#include <string_view>

namespace menagerie::cli {

// `dir` is a directory the process can write into, or does not exist yet and can be created: its nearest existing
// ancestor is a writable directory and no ancestor on the way is a file.
void require_output_dir(std::string_view flag, const std::filesystem::path& dir);

// `file` can be written: its directory exists and is writable, and it is a regular file or does not exist.
void require_output_file(std::string_view flag, const std::filesystem::path& file);

}  // namespace menagerie::cli
