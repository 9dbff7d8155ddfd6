// RAII CUDA streams and events, and the elapsed time between two events (what benchmarks time with).
//   Stream s;                     // non-blocking stream (does not synchronise with the legacy default stream)
//   Event start, stop;
//   start.record(s.get()); kernel<<<g, b, 0, s.get()>>>(...); stop.record(s.get());
//   float ms = elapsed_ms(start, stop);   // waits for stop
// Both types are move-only; a moved-from object holds nothing. Destruction never throws.
#pragma once
#include <cuda_runtime.h>

namespace menagerie::cuda {

class Stream {
 public:
  explicit Stream(unsigned flags = cudaStreamNonBlocking);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept;
  Stream& operator=(Stream&& o) noexcept;

  cudaStream_t get() const { return stream_; }
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  // Timing events by default; pass cudaEventDisableTiming for pure synchronisation.
  explicit Event(unsigned flags = cudaEventDefault);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept;
  Event& operator=(Event&& o) noexcept;

  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream);
  void synchronize() const;
  bool done() const;  // true once all work captured by the last record() has completed

 private:
  cudaEvent_t event_ = nullptr;
};

// Milliseconds between two recorded events (cudaEventElapsedTime; resolution about 0.5 us). Waits for `stop`.
float elapsed_ms(const Event& start, const Event& stop);

}  // namespace menagerie::cuda
