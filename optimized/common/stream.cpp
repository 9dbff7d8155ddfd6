// Stream, Event and elapsed_ms of optimized/common/stream.hpp.
#include "optimized/common/stream.hpp"

#include <utility>

#include "optimized/common/check.hpp"

namespace menagerie::cuda {

Stream::Stream(unsigned flags) { MENAGERIE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, flags)); }
Stream::~Stream() {
  if (stream_) cudaStreamDestroy(stream_);
}
Stream::Stream(Stream&& o) noexcept : stream_(std::exchange(o.stream_, nullptr)) {}
Stream& Stream::operator=(Stream&& o) noexcept {
  if (this != &o) {
    if (stream_) cudaStreamDestroy(stream_);
    stream_ = std::exchange(o.stream_, nullptr);
  }
  return *this;
}
void Stream::synchronize() const { MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

Event::Event(unsigned flags) { MENAGERIE_CUDA_CHECK(cudaEventCreateWithFlags(&event_, flags)); }
Event::~Event() {
  if (event_) cudaEventDestroy(event_);
}
Event::Event(Event&& o) noexcept : event_(std::exchange(o.event_, nullptr)) {}
Event& Event::operator=(Event&& o) noexcept {
  if (this != &o) {
    if (event_) cudaEventDestroy(event_);
    event_ = std::exchange(o.event_, nullptr);
  }
  return *this;
}
void Event::record(cudaStream_t stream) { MENAGERIE_CUDA_CHECK(cudaEventRecord(event_, stream)); }
void Event::synchronize() const { MENAGERIE_CUDA_CHECK(cudaEventSynchronize(event_)); }
bool Event::done() const {
  const cudaError_t e = cudaEventQuery(event_);
  if (e == cudaErrorNotReady) {
    if (cudaPeekAtLastError() == cudaErrorNotReady) cudaGetLastError();  // an answer, not an error to report later
    return false;
  }
  MENAGERIE_CUDA_CHECK(e);
  return true;
}

float elapsed_ms(const Event& start, const Event& stop) {
  stop.synchronize();
  float ms = 0;
  MENAGERIE_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  return ms;
}

}  // namespace menagerie::cuda
