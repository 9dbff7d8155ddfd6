// Device fills of optimized/common/random_device.hpp. One thread per Philox block: block b yields elements
// [L b, L b + L) through the same philox::*_lanes functions as the host (core/philox.hpp), and the thread stores
// those that fall in [first, first + n). Grid-stride loop, so any n fits one launch.
#include <algorithm>
#include <limits>

#include "core/philox.hpp"
#include "core/random.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/random_device.hpp"

namespace menagerie::cuda {
namespace {

template <class T>
struct UniformGen {
  static constexpr int L = philox::lanes_v<T>;
  T lo, hi;
  __device__ philox::Lanes<T> operator()(const philox::Counter& x) const { return philox::uniform_lanes(x, lo, hi); }
};

template <class T>
struct NormalGen {
  static constexpr int L = philox::lanes_v<T>;
  T mean, std;
  __device__ philox::Lanes<T> operator()(const philox::Counter& x) const {
    return philox::normal_lanes(x, mean, std);
  }
};

template <class T>
struct One {
  T v[1];
};
template <class T>
struct IntGen {
  static constexpr int L = 1;
  std::uint64_t bound;
  __device__ One<T> operator()(const philox::Counter& x) const {
    return {{static_cast<T>(philox::below(x, bound))}};
  }
};

struct Words {
  std::uint32_t v[4];
};
struct WordGen {
  static constexpr int L = 4;
  __device__ Words operator()(const philox::Counter& x) const { return {{x.w[0], x.w[1], x.w[2], x.w[3]}}; }
};

template <class T, class Gen>
__global__ void fill_kernel(T* out, std::uint64_t first, std::uint64_t n, std::uint64_t seed, std::uint64_t stream_id,
                            Gen gen) {
  constexpr int L = Gen::L;
  const std::uint64_t b0 = first / L, blocks = (first + n - 1) / L - b0 + 1;
  const std::uint64_t step = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t k = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; k < blocks; k += step) {
    const std::uint64_t b = b0 + k;
    const auto v = gen(philox::block(seed, stream_id, b));
#pragma unroll
    for (int j = 0; j < L; ++j) {
      const std::uint64_t i = b * L + static_cast<std::uint64_t>(j);
      if (i >= first && i - first < n) out[i - first] = v.v[j];
    }
  }
}

template <class T, class Gen>
void launch(T* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, std::uint64_t first, Gen gen,
            cudaStream_t stream) {
  require(n >= 0, "device fill of n = ", n, " elements: expected n >= 0");
  const auto un = static_cast<std::uint64_t>(n);
  check_stream_range(first, un);
  if (n == 0) return;
  constexpr unsigned threads = 256;
  const std::uint64_t blocks = (first + un - 1) / Gen::L - first / Gen::L + 1;
  const auto grid = static_cast<unsigned>(std::min<std::uint64_t>((blocks + threads - 1) / threads, 1u << 16));
  fill_kernel<<<grid, threads, 0, stream>>>(out, first, un, seed, stream_id, gen);
  MENAGERIE_LAUNCH_CHECK();
}

}  // namespace

void fill_uniform_device(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, float lo, float hi,
                         cudaStream_t stream, std::uint64_t first) {
  check_uniform_args(lo, hi);
  launch(out, n, seed, stream_id, first, UniformGen<float>{lo, hi}, stream);
}
void fill_uniform_device(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, double lo,
                         double hi, cudaStream_t stream, std::uint64_t first) {
  check_uniform_args(lo, hi);
  launch(out, n, seed, stream_id, first, UniformGen<double>{lo, hi}, stream);
}
void fill_normal_device(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, float mean,
                        float std, cudaStream_t stream, std::uint64_t first) {
  check_normal_args(mean, std);
  launch(out, n, seed, stream_id, first, NormalGen<float>{mean, std}, stream);
}
void fill_normal_device(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, double mean,
                        double std, cudaStream_t stream, std::uint64_t first) {
  check_normal_args(mean, std);
  launch(out, n, seed, stream_id, first, NormalGen<double>{mean, std}, stream);
}
void fill_uniform_int_device(std::int32_t* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id,
                             std::int64_t bound, cudaStream_t stream, std::uint64_t first) {
  check_uniform_int_args(bound, std::int64_t{std::numeric_limits<std::int32_t>::max()});
  launch(out, n, seed, stream_id, first, IntGen<std::int32_t>{static_cast<std::uint64_t>(bound)}, stream);
}
void fill_uniform_int_device(std::int64_t* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id,
                             std::int64_t bound, cudaStream_t stream, std::uint64_t first) {
  check_uniform_int_args(bound, std::numeric_limits<std::int64_t>::max());
  launch(out, n, seed, stream_id, first, IntGen<std::int64_t>{static_cast<std::uint64_t>(bound)}, stream);
}
void philox_words_device(std::uint32_t* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id,
                         cudaStream_t stream, std::uint64_t first) {
  launch(out, n, seed, stream_id, first, WordGen{}, stream);
}

}  // namespace menagerie::cuda
