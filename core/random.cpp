// Host fills of core/random.hpp: walk the blocks that cover [first, first + n), expand each block into its L
// elements with the philox::*_lanes functions (the same ones the device kernels call) and store them in logical
// order; strided views are filled through a contiguous scratch copy.
#include "core/random.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/philox.hpp"

namespace menagerie {
namespace {

// dst[k] = element first + k for k < n, where block b yields elements [L b, L b + L) as lanes(b).v[0..L).
template <int L, class T, class BlockFn>
void generate(T* dst, std::uint64_t first, std::uint64_t n, BlockFn lanes) {
  std::uint64_t i = first;
  const std::uint64_t end = first + n;
  while (i < end) {
    const auto v = lanes(i / L);
    for (auto j = static_cast<int>(i % L); j < L && i < end; ++j, ++i) *dst++ = v.v[j];
  }
}

// Runs gen(contiguous pointer, n) and stores its output into `out` in logical row-major order.
template <class T, class Gen>
void fill_logical(TensorView<T> out, Gen gen) {
  const auto n = static_cast<std::uint64_t>(out.numel());
  if (n == 0) return;
  if (out.is_contiguous()) {
    gen(out.data(), n);
    return;
  }
  std::vector<T> tmp(n);
  gen(tmp.data(), n);
  std::vector<std::int64_t> idx(out.rank(), 0);
  for (std::uint64_t k = 0; k < n; ++k) {
    std::int64_t off = 0;
    for (std::size_t a = 0; a < idx.size(); ++a) off += idx[a] * out.strides()[a];
    out.data()[off] = tmp[k];
    for (std::size_t a = idx.size(); a-- > 0;) {
      if (++idx[a] < out.shape()[a]) break;
      idx[a] = 0;
    }
  }
}

template <class T>
void fill_uniform_impl(TensorView<T> out, std::uint64_t seed, std::uint64_t stream, T lo, T hi,
                       std::uint64_t first) {
  check_uniform_args(lo, hi);
  check_stream_range(first, static_cast<std::uint64_t>(out.numel()));
  fill_logical(out, [&](T* dst, std::uint64_t n) {
    generate<philox::lanes_v<T>>(dst, first, n, [&](std::uint64_t b) {
      return philox::uniform_lanes(philox::block(seed, stream, b), lo, hi);
    });
  });
}

template <class T>
void fill_normal_impl(TensorView<T> out, std::uint64_t seed, std::uint64_t stream, T mean, T std,
                      std::uint64_t first) {
  check_normal_args(mean, std);
  check_stream_range(first, static_cast<std::uint64_t>(out.numel()));
  fill_logical(out, [&](T* dst, std::uint64_t n) {
    generate<philox::lanes_v<T>>(dst, first, n, [&](std::uint64_t b) {
      return philox::normal_lanes(philox::block(seed, stream, b), mean, std);
    });
  });
}

template <class T>
void fill_uniform_int_impl(TensorView<T> out, std::uint64_t seed, std::uint64_t stream, std::int64_t n,
                           std::uint64_t first) {
  check_uniform_int_args(n, std::int64_t{std::numeric_limits<T>::max()});
  check_stream_range(first, static_cast<std::uint64_t>(out.numel()));
  const auto un = static_cast<std::uint64_t>(n);
  fill_logical(out, [&](T* dst, std::uint64_t count) {
    std::uint64_t i = first;
    for (std::uint64_t k = 0; k < count; ++k, ++i)
      dst[k] = static_cast<T>(philox::below(philox::block(seed, stream, i), un));
  });
}

}  // namespace

void check_uniform_args(float lo, float hi) {
  require(std::isfinite(lo) && std::isfinite(hi) && lo <= hi && std::isfinite(hi - lo), "uniform range [", lo,
          ", ", hi, "): expected finite lo <= hi with finite hi - lo");
}
void check_uniform_args(double lo, double hi) {
  require(std::isfinite(lo) && std::isfinite(hi) && lo <= hi && std::isfinite(hi - lo), "uniform range [", lo,
          ", ", hi, "): expected finite lo <= hi with finite hi - lo");
}
void check_normal_args(double mean, double std) {
  require(std::isfinite(mean) && std::isfinite(std) && std >= 0, "normal(mean = ", mean, ", std = ", std,
          "): expected a finite mean and a finite std >= 0");
}
void check_uniform_int_args(std::int64_t n, std::int64_t max_value) {
  const std::int64_t cap = std::min<std::int64_t>(max_value, (std::int64_t{1} << 32) - 1) + 1;
  require(n >= 1 && n <= cap, "uniform integer bound n = ", n, ": expected 1 <= n <= ", cap);
}
void check_stream_range(std::uint64_t first, std::uint64_t count) {
  require(count <= std::numeric_limits<std::uint64_t>::max() - first, "stream range starting at element ", first,
          " with ", count, " elements: expected first + count < 2^64");
}

void fill_uniform(TensorView<float> out, std::uint64_t seed, std::uint64_t stream, float lo, float hi,
                  std::uint64_t first) {
  fill_uniform_impl(out, seed, stream, lo, hi, first);
}
void fill_uniform(TensorView<double> out, std::uint64_t seed, std::uint64_t stream, double lo, double hi,
                  std::uint64_t first) {
  fill_uniform_impl(out, seed, stream, lo, hi, first);
}
void fill_normal(TensorView<float> out, std::uint64_t seed, std::uint64_t stream, float mean, float std,
                 std::uint64_t first) {
  fill_normal_impl(out, seed, stream, mean, std, first);
}
void fill_normal(TensorView<double> out, std::uint64_t seed, std::uint64_t stream, double mean, double std,
                 std::uint64_t first) {
  fill_normal_impl(out, seed, stream, mean, std, first);
}
void fill_uniform_int(TensorView<std::int32_t> out, std::uint64_t seed, std::uint64_t stream, std::int64_t n,
                      std::uint64_t first) {
  fill_uniform_int_impl(out, seed, stream, n, first);
}
void fill_uniform_int(TensorView<std::int64_t> out, std::uint64_t seed, std::uint64_t stream, std::int64_t n,
                      std::uint64_t first) {
  fill_uniform_int_impl(out, seed, stream, n, first);
}

}  // namespace menagerie
