// Device fills from the Philox element streams of core/philox.hpp, bitwise identical to the host fills of
// core/random.hpp: out[k] = element first + k of stream `stream_id` under `seed`, for k < n (out is contiguous).
// Asynchronous on `stream`; no allocation, no synchronisation (capturable in a CUDA graph). n = 0 launches nothing.
// Arguments are checked on the host first (InputError, as core/random.hpp), launches with MENAGERIE_LAUNCH_CHECK.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

namespace menagerie::cuda {

void fill_uniform_device(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, float lo, float hi,
                         cudaStream_t stream, std::uint64_t first = 0);  // [n]
void fill_uniform_device(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, double lo,
                         double hi, cudaStream_t stream, std::uint64_t first = 0);  // [n]
void fill_normal_device(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, float mean,
                        float std, cudaStream_t stream, std::uint64_t first = 0);  // [n]
void fill_normal_device(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id, double mean,
                        double std, cudaStream_t stream, std::uint64_t first = 0);  // [n]
// Values in [0, bound), 1 <= bound <= 2^32 (2^31 for int32).
void fill_uniform_int_device(std::int32_t* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id,
                             std::int64_t bound, cudaStream_t stream, std::uint64_t first = 0);  // [n]
void fill_uniform_int_device(std::int64_t* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id,
                             std::int64_t bound, cudaStream_t stream, std::uint64_t first = 0);  // [n]
// Raw words: out[k] = philox::word(seed, stream_id, first + k).
void philox_words_device(std::uint32_t* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream_id,
                         cudaStream_t stream, std::uint64_t first = 0);  // [n]

}  // namespace menagerie::cuda
