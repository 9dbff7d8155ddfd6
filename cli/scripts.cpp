// See scripts.hpp.
#include "cli/scripts.hpp"

#include <cstdlib>
#include <system_error>

namespace menagerie::cli {

namespace fs = std::filesystem;

fs::path project_file(const std::string& relative) {
  if (fs::exists(relative)) return relative;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto p = exe.parent_path().parent_path().parent_path() / relative;
    if (fs::exists(p)) return p;
  }
  return {};
}

std::string python_with(const std::string& module) {
  for (const char* p : {"python3", "/usr/bin/python3"})
    if (std::system((std::string(p) + " -c 'import " + module + "' >/dev/null 2>&1").c_str()) == 0) return p;
  return {};
}

std::string quoted(const fs::path& p) {
  std::string s = "'";
  for (char c : p.string()) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return s + "'";
}

}  // namespace menagerie::cli
