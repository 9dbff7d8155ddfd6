// Error types shared by every layer. Only `main` turns them into exit codes (docs/architecture.md):
//   InputError and its kinds -> one-line message, exit status 2 (bad flags, config files, tensor files, shapes);
//   any other Error          -> internal failure, exit status 1.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace menagerie {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The user gave something we cannot accept; the message names the value and what was expected.
struct InputError : Error {
  using Error::Error;
};
// A malformed file (npy, safetensors, config): truncated, bad header, wrong dtype, sizes that do not add up.
struct FormatError : InputError {
  using InputError::InputError;
};
// A shape or size that violates a contract (Problem::validate) or that a kernel does not support.
struct ShapeError : InputError {
  using InputError::InputError;
};
// A feature that exists in the design but is not built yet, or not in this build (e.g. CUDA off).
struct NotAvailableError : InputError {
  using InputError::InputError;
};

// cat("n = ", 3, ", expected even") -> "n = 3, expected even"
template <class... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

// require<ShapeError>(n % 2 == 0, "N = ", n, " must be even")
template <class E = InputError, class... Args>
void require(bool ok, Args&&... args) {
  if (!ok) throw E(cat(std::forward<Args>(args)...));
}

}  // namespace menagerie
