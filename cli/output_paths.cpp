// The up-front output path checks of output_paths.hpp.
#include "cli/output_paths.hpp"

#include <unistd.h>

#include <system_error>

#include "core/errors.hpp"

namespace menagerie::cli {

namespace fs = std::filesystem;

namespace {

bool writable_dir(const fs::path& dir) { return ::access(dir.c_str(), W_OK | X_OK) == 0; }

}  // namespace

void require_output_dir(std::string_view flag, const fs::path& dir) {
  require(!dir.empty(), flag, ": expected a directory, got an empty path");
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (fs::exists(st)) {
    require(fs::is_directory(st), flag, " ", dir.string(), ": is a file, expected a directory");
    require(writable_dir(dir), flag, " ", dir.string(), ": directory is not writable");
    return;
  }
  // Walk up to the nearest existing ancestor: it must be a writable directory for create_directories to succeed.
  fs::path ancestor = fs::absolute(dir, ec).lexically_normal();
  while (ancestor.has_relative_path() && !fs::exists(fs::status(ancestor, ec))) ancestor = ancestor.parent_path();
  require(fs::is_directory(fs::status(ancestor, ec)), flag, " ", dir.string(), ": cannot be created, ",
          ancestor.string(), " is a file, expected a directory");
  require(writable_dir(ancestor), flag, " ", dir.string(), ": cannot be created, ", ancestor.string(),
          " is not writable");
}

void require_output_file(std::string_view flag, const fs::path& file) {
  require(!file.empty() && file.has_filename(), flag, " ", file.string(), ": expected a file path");
  std::error_code ec;
  const auto dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const auto dst = fs::status(dir, ec);
  require(fs::exists(dst), flag, " ", file.string(), ": directory ", dir.string(), " does not exist");
  require(fs::is_directory(dst), flag, " ", file.string(), ": ", dir.string(), " is a file, expected a directory");
  require(writable_dir(dir), flag, " ", file.string(), ": directory ", dir.string(), " is not writable");
  const auto st = fs::status(file, ec);
  require(!fs::is_directory(st), flag, " ", file.string(), ": is a directory, expected a file");
  require(!fs::exists(st) || fs::is_regular_file(st), flag, " ", file.string(),
          ": exists and is not a regular file, expected a file");
}

}  // namespace menagerie::cli
