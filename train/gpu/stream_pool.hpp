// The streams GPU backends run on, leased from a process-wide pool. Each backend holds one non-blocking stream
// (cudaStreamNonBlocking: no implicit ordering with the legacy default stream or with other backends' streams), so
// backends driven by different host threads of one process overlap on the GPU.
// Why a pool rather than a fresh stream per backend: the per-stream resources of the kernels (a cuBLAS handle per
// stream, optimized/common/gemm.hpp and softmax_attention/gemm_cublas.cu; cuFFT plans with their work areas per
// (size, stream), long_conv/fft_cufft.cu) are created on first use and kept for the process, keyed by the stream. A
// process that trains run after run (menagerie sweep --runs-per-worker) would grow them by one set per run; leased
// streams are reused, so they stay bounded by the most backends alive at once (per device).
// A lease returns its stream to the pool when destroyed, after the stream's work is done (cudaStreamSynchronize);
// streams are never destroyed (as the handles and plans bound to them). Thread safe.
#pragma once
#include "optimized/common/stream.hpp"  // cudaStream_t (train/ reaches CUDA through optimized/)

namespace menagerie::train::gpu {

class StreamLease {
 public:
  StreamLease();  // takes a free stream of the current device, or creates one
  ~StreamLease();
  StreamLease(const StreamLease&) = delete;
  StreamLease& operator=(const StreamLease&) = delete;

  cudaStream_t get() const { return stream_; }
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
  int device_ = 0;
};

// Streams created by the pool so far (all devices): what the tests check stays bounded.
int pooled_streams();

// Whether this process's CUDA context is unusable: a backend has run here (a stream was leased) and a tiny cudaMalloc
// or its cudaFree (which waits for the device) fails with anything but out-of-memory. A sticky error (an illegal
// address or a trap in any thread's kernel) fails every later call of every thread in the process.
bool context_lost();

}  // namespace menagerie::train::gpu
