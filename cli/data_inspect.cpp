// menagerie data inspect FILE...: for each .npy, .npz or .safetensors file (chosen by extension), prints every
// tensor's name, dtype, shape and, when it has elements, min / max / mean of its finite values (bf16 decoded:
// value = bits << 16 as float32) plus a count of NaN/Inf. All files are read and validated before anything is
// printed, so a malformed file gives only its one-line error (exit status 2) and no partial output.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "core/io/bytes.hpp"
#include "core/io/npy.hpp"
#include "core/io/npz.hpp"
#include "core/io/safetensors.hpp"

namespace menagerie::cli {

namespace {

struct Loaded {
  std::string path, format;
  std::map<std::string, DynTensor> tensors;
  std::map<std::string, std::string> metadata;
};

Loaded load(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".npy") return {path, "npy", {{"", read_npy(path)}}, {}};
  if (ext == ".npz") return {path, "npz", read_npz(path), {}};
  if (ext == ".safetensors") {
    auto st = read_safetensors(path);
    return {path, "safetensors", std::move(st.tensors), std::move(st.metadata)};
  }
  throw InputError(cat(path, ": unknown extension '", ext, "' (expected .npy, .npz or .safetensors)"));
}

std::int64_t integer(const DynTensor& t, std::size_t i) {
  const std::byte* p = t.bytes().data() + i * dtype_size(t.dtype());
  if (t.dtype() == DType::i32) {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  std::int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

double element(const DynTensor& t, std::size_t i) {
  const std::byte* p = t.bytes().data() + i * dtype_size(t.dtype());
  switch (t.dtype()) {
    case DType::f32: { float v; std::memcpy(&v, p, 4); return v; }
    case DType::f64: { double v; std::memcpy(&v, p, 8); return v; }
    case DType::i32:
    case DType::i64: return static_cast<double>(integer(t, i));
    case DType::bf16: {
      std::uint16_t b;
      std::memcpy(&b, p, 2);
      const std::uint32_t u = std::uint32_t{b} << 16;
      float v;
      std::memcpy(&v, &u, 4);
      return v;
    }
  }
  return 0;
}

std::string stats(const DynTensor& t) {
  const auto n = static_cast<std::size_t>(t.numel());
  if (n == 0) return "empty";
  if (t.dtype() == DType::i32 || t.dtype() == DType::i64) {  // exact extremes; the mean in double
    std::int64_t lo = integer(t, 0), hi = lo;
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto v = integer(t, i);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += static_cast<double>(v);
    }
    return fmt::format("min {}  max {}  mean {:.6g}", lo, hi, sum / static_cast<double>(n));
  }
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  std::size_t finite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = element(t, i);
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
    ++finite;
  }
  std::string out = finite ? fmt::format("min {:.6g}  max {:.6g}  mean {:.6g}", lo, hi, sum / double(finite))
                           : std::string("no finite values");
  if (finite < n) out += fmt::format("  non-finite {}", n - finite);
  return out;
}

}  // namespace

void add_data_inspect(CLI::App& data) {
  auto* sub = data.add_subcommand("inspect", "print name, dtype, shape and min/max/mean of every tensor in "
                                             ".npy, .npz or .safetensors files");
  static std::vector<std::string> files;
  sub->add_option("files", files, "tensor files (.npy, .npz, .safetensors)")->required();
  sub->callback([] {
    std::vector<Loaded> loaded;
    for (const auto& f : files) loaded.push_back(load(f));
    for (const auto& l : loaded) {
      fmt::print("{} ({}, {} tensor{})\n", l.path, l.format, l.tensors.size(), l.tensors.size() == 1 ? "" : "s");
      for (const auto& [k, v] : l.metadata) fmt::print("  metadata {} = {}\n", io::excerpt(k), io::excerpt(v, 200));
      for (const auto& [name, t] : l.tensors)
        fmt::print("  {:<24} {:<8} {:<16} {}\n", name.empty() ? "-" : io::excerpt(name), dtype_name(t.dtype()),
                   shape_str(t.shape()), stats(t));
    }
  });
}

}  // namespace menagerie::cli
