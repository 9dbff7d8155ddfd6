// Running the project's Python scripts from the CLI (sweep plots, the attention benchmark's peers and report):
// finding them, choosing an interpreter, quoting for the shell.
#pragma once
#include <filesystem>
#include <string>

namespace menagerie::cli {

// `relative` (e.g. "train/plot_sweep.py") under the working directory if it is there, else under the source tree
// above build*/bin/menagerie; empty when neither has it.
std::filesystem::path project_file(const std::string& relative);

// The first of python3 (the PATH's) and /usr/bin/python3 (Debian's) that imports `module`; empty if none does
// (a pyenv or venv python3 may lack python3-matplotlib; Debian's may lack torch).
std::string python_with(const std::string& module);

// p in single quotes for /bin/sh, embedded quotes escaped.
std::string quoted(const std::filesystem::path& p);

}  // namespace menagerie::cli
