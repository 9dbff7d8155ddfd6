// gather_fp32: the token embedding lookup (core/ops/embedding.hpp), fp32.
//   forward    one thread per element e = r D + d of y:  y[e] = weight[ids[r] D + d]
//   backward   dweight[v,:] = sum over r with ids[r] = v of dy[r,:], in a fixed order, without float atomics:
//              1. keys[r] = ids[r] (unsigned), vals[r] = r;  start[v] = end[v] = 0 for every v
//              2. CUB's stable radix sort of (keys, vals) over the bits of V - 1: each id's positions come out as one
//                 segment [start[v], end[v]) of the sorted order, in increasing r (stability)
//              3. one thread per sorted index i marks its id's segment: start[k] = i where the key changes before i,
//                 end[k] = i + 1 where it changes after i
//              4. the sorted order in chunks of kChunk indices; one thread per (chunk c, column d) walks its chunk's
//                 runs of equal ids, summing dy[vals[i], d] in increasing i. A run whose whole segment lies in the
//                 chunk is written to dweight; a run that continues from the previous chunk goes to first[c, d], one
//                 that starts in the chunk and continues into the next to last[c, d]
//              5. one thread per element (v, d): 0 for an id that occurs nowhere; for a segment over chunks cs < ce,
//                 last[cs, d] + first[cs + 1, d] + ... + first[ce, d] in that order (one within a chunk: done in 4)
//              Every element written once, the same bits every run. Steps 4-5 keep a skewed batch parallel: MQAR's
//              filler id 0 fills most of its rows (26 000 of 32 768 at T 64, B 512), which one thread per (v, d)
//              summed one after another.
// Workspace (256-byte aligned pieces): keys_in, keys_out, vals_in, vals_out [rows] 32-bit; start, end [V] int32;
// first, last [chunks, D] fp32; CUB's temporary storage.
#include <cub/device/device_radix_sort.cuh>

#include <bit>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/embedding/variants.hpp"

namespace menagerie::opt::embedding::gather_fp32 {
namespace {

constexpr int kThreads = 256, kColumns = 64;
constexpr std::int64_t kChunk = 128;
constexpr std::int64_t kMax32 = std::int64_t{1} << 31;
constexpr std::size_t kAlign = 256;

std::size_t aligned(std::size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
int end_bit(std::int64_t V) { return V > 1 ? static_cast<int>(std::bit_width(static_cast<std::uint64_t>(V - 1))) : 1; }
unsigned blocks(std::int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

struct Layout {
  unsigned *keys_in, *keys_out;
  int *vals_in, *vals_out, *start, *end;
  float *first, *last;
  void* temp;
  std::size_t temp_bytes;
};

std::size_t cub_temp_bytes(std::int64_t rows, std::int64_t V) {
  std::size_t bytes = 0;
  MENAGERIE_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, static_cast<const unsigned*>(nullptr),
                                                       static_cast<unsigned*>(nullptr),
                                                       static_cast<const int*>(nullptr), static_cast<int*>(nullptr),
                                                       static_cast<int>(rows), 0, end_bit(V)));
  return bytes;
}

std::int64_t chunks(std::int64_t rows) { return (rows + kChunk - 1) / kChunk; }

Layout layout(void* workspace, std::int64_t rows, std::int64_t V, std::int64_t D) {
  auto* base = static_cast<unsigned char*>(workspace);
  const std::size_t r4 = aligned(static_cast<std::size_t>(rows) * 4), v4 = aligned(static_cast<std::size_t>(V) * 4);
  Layout l{};
  l.keys_in = reinterpret_cast<unsigned*>(base);
  l.keys_out = reinterpret_cast<unsigned*>(base + r4);
  l.vals_in = reinterpret_cast<int*>(base + 2 * r4);
  l.vals_out = reinterpret_cast<int*>(base + 3 * r4);
  l.start = reinterpret_cast<int*>(base + 4 * r4);
  l.end = reinterpret_cast<int*>(base + 4 * r4 + v4);
  const std::size_t p4 = aligned(static_cast<std::size_t>(chunks(rows) * D) * 4);
  l.first = reinterpret_cast<float*>(base + 4 * r4 + 2 * v4);
  l.last = reinterpret_cast<float*>(base + 4 * r4 + 2 * v4 + p4);
  l.temp = base + 4 * r4 + 2 * v4 + 2 * p4;
  l.temp_bytes = cub_temp_bytes(rows, V);
  return l;
}

__global__ void gather_kernel(const std::int64_t* __restrict__ ids, const float* __restrict__ w, float* __restrict__ y,
                              std::int64_t n, std::int64_t D) {
  const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (e >= n) return;
  const std::int64_t r = e / D, d = e - r * D;
  y[e] = w[ids[r] * D + d];
}

__global__ void keys_kernel(const std::int64_t* __restrict__ ids, unsigned* __restrict__ keys, int* __restrict__ vals,
                            std::int64_t rows) {
  const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (r >= rows) return;
  keys[r] = static_cast<unsigned>(ids[r]);
  vals[r] = static_cast<int>(r);
}

__global__ void clear_kernel(int* __restrict__ start, int* __restrict__ end, std::int64_t V) {
  const std::int64_t v = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (v >= V) return;
  start[v] = 0;
  end[v] = 0;
}

__global__ void segments_kernel(const unsigned* __restrict__ keys, int* __restrict__ start, int* __restrict__ end,
                                std::int64_t rows) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= rows) return;
  const unsigned k = keys[i];
  if (i == 0 || keys[i - 1] != k) start[k] = static_cast<int>(i);
  if (i == rows - 1 || keys[i + 1] != k) end[k] = static_cast<int>(i + 1);
}

// grid (chunks, ceil(D / kColumns)), block kColumns: thread (c, d) walks chunk c's runs (step 4 above). The chunk's
// keys and positions are first staged in shared memory, so that the loop's only global load is dy's (independent
// loads, not a chain of a position's load and then dy's).
__global__ void __launch_bounds__(kColumns) chunk_kernel(const float* __restrict__ dy, const unsigned* __restrict__ keys,
                                                         const int* __restrict__ vals, const int* __restrict__ start,
                                                         const int* __restrict__ end, float* __restrict__ dw,
                                                         float* __restrict__ first, float* __restrict__ last,
                                                         std::int64_t rows, std::int64_t D) {
  __shared__ unsigned skeys[kChunk];
  __shared__ int svals[kChunk];
  const std::int64_t c = blockIdx.x, d = static_cast<std::int64_t>(blockIdx.y) * kColumns + threadIdx.x;
  const std::int64_t lo = c * kChunk, hi = std::min(lo + kChunk, rows);
  for (std::int64_t i = lo + threadIdx.x; i < hi; i += kColumns) skeys[i - lo] = keys[i], svals[i - lo] = vals[i];
  __syncthreads();
  if (d >= D) return;
  for (std::int64_t i = lo; i < hi;) {
    const unsigned k = skeys[i - lo];
    const std::int64_t sk = start[k], ek = end[k], run_end = std::min(ek, hi);
    float s = 0.f;
    for (; i < run_end; ++i) s += dy[static_cast<std::int64_t>(svals[i - lo]) * D + d];
    if (sk < lo)
      first[c * D + d] = s;
    else if (ek > hi)
      last[c * D + d] = s;
    else
      dw[static_cast<std::int64_t>(k) * D + d] = s;
  }
}

// one thread per element e = v D + d of dweight (step 5 above).
__global__ void combine_kernel(const int* __restrict__ start, const int* __restrict__ end,
                               const float* __restrict__ first, const float* __restrict__ last,
                               float* __restrict__ dw, std::int64_t n, std::int64_t D) {
  const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (e >= n) return;
  const std::int64_t v = e / D, d = e - v * D, s = start[v], t = end[v];
  if (s == t) {
    dw[e] = 0.f;
    return;
  }
  const std::int64_t cs = s / kChunk, ce = (t - 1) / kChunk;
  if (cs == ce) return;
  float acc = last[cs * D + d];
  for (std::int64_t c = cs + 1; c <= ce; ++c) acc += first[c * D + d];
  dw[e] = acc;
}

void upload_ids(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(a.get("ids"), p.ids.data(), p.ids.size() * sizeof(std::int64_t),
                                       cudaMemcpyHostToDevice, stream));
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B * p.T >= kMax32) return cat("embedding gather_fp32: B T = ", p.B * p.T, " positions exceed 2^31 - 1");
  if (p.V >= kMax32) return cat("embedding gather_fp32: V = ", p.V, " exceeds 2^31 - 1");
  if (p.V * p.D >= kMax32 * kThreads || p.B * p.T * p.D >= kMax32 * kThreads)
    return cat("embedding gather_fp32: V D = ", p.V * p.D, " or B T D = ", p.B * p.T * p.D,
               " exceeds the grid (2^31 - 1 blocks of 256)");
  if (p.D > 65535 * kColumns) return cat("embedding gather_fp32: D = ", p.D, " exceeds ", 65535 * kColumns);
  return {};
}

std::size_t workspace_bytes(std::int64_t rows, std::int64_t V, std::int64_t D) {
  return 4 * aligned(static_cast<std::size_t>(rows) * 4) + 2 * aligned(static_cast<std::size_t>(V) * 4) +
         2 * aligned(static_cast<std::size_t>(chunks(rows) * D) * 4) +
         cub_temp_bytes(rows, V);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return {{"ids", static_cast<std::size_t>(p.B * p.T) * sizeof(std::int64_t), false},
          {"workspace", workspace_bytes(p.B * p.T, p.V, p.D), false}};
}

void forward_ids(std::int64_t rows, std::int64_t D, const std::int64_t* ids, const float* weight, float* y,
                 cudaStream_t stream) {
  gather_kernel<<<blocks(rows * D), kThreads, 0, stream>>>(ids, weight, y, rows * D, D);
  MENAGERIE_LAUNCH_CHECK();
}

void backward_ids(std::int64_t rows, std::int64_t V, std::int64_t D, const std::int64_t* ids, const float* dy,
                  float* dweight, void* workspace, cudaStream_t stream) {
  Layout l = layout(workspace, rows, V, D);
  keys_kernel<<<blocks(rows), kThreads, 0, stream>>>(ids, l.keys_in, l.vals_in, rows);
  MENAGERIE_LAUNCH_CHECK();
  clear_kernel<<<blocks(V), kThreads, 0, stream>>>(l.start, l.end, V);
  MENAGERIE_LAUNCH_CHECK();
  MENAGERIE_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(l.temp, l.temp_bytes, l.keys_in, l.keys_out, l.vals_in,
                                                       l.vals_out, static_cast<int>(rows), 0, end_bit(V), stream));
  segments_kernel<<<blocks(rows), kThreads, 0, stream>>>(l.keys_out, l.start, l.end, rows);
  MENAGERIE_LAUNCH_CHECK();
  const dim3 grid(static_cast<unsigned>(chunks(rows)), static_cast<unsigned>((D + kColumns - 1) / kColumns));
  chunk_kernel<<<grid, kColumns, 0, stream>>>(dy, l.keys_out, l.vals_out, l.start, l.end, dweight, l.first, l.last,
                                              rows, D);
  MENAGERIE_LAUNCH_CHECK();
  combine_kernel<<<blocks(V * D), kThreads, 0, stream>>>(l.start, l.end, l.first, l.last, dweight, V * D, D);
  MENAGERIE_LAUNCH_CHECK();
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  upload_ids(p, a, stream);
  forward_ids(p.B * p.T, p.D, a.as<const std::int64_t>("ids"), a.as<const float>("weight"), a.as<float>("y"),
              stream);
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t stream) {
  const std::string why = unsupported(p);
  require<ShapeError>(why.empty(), why);
  upload_ids(p, a, stream);
  backward_ids(p.B * p.T, p.V, p.D, a.as<const std::int64_t>("ids"), a.as<const float>("dy"),
               a.as<float>("dweight"), a.get("workspace"), stream);
}

}  // namespace menagerie::opt::embedding::gather_fp32
