// Memory estimates of training runs; the model of what is counted is in memory.hpp.
#include "train/memory.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace menagerie::train {

namespace {

double numel(const Shape& shape) {
  double n = 1;
  for (auto d : shape) n *= static_cast<double>(d);
  return n;
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

MemoryEstimate estimate_memory(const RunConfig& c) {
  constexpr double f64 = 8;
  const auto& m = c.model;
  MemoryEstimate e;
  e.parameters = 5 * f64 * static_cast<double>(model::param_count(m));
  std::int64_t T = 1;
  double tokens = 0;
  for (const auto* list : {&c.data.train, &c.data.test})
    for (const auto& seg : *list) {
      synthetics::DatasetSpec one;
      one.train = {seg};
      const std::int64_t len = max_sequence_length(one, "data");
      T = std::max(T, len);
      tokens += static_cast<double>(seg.count) * static_cast<double>(len);
    }
  e.data = 2 * f64 * tokens;
  const std::int64_t B = std::max(c.batch_size, c.eval_batch_size);
  const double bt = static_cast<double>(B) * static_cast<double>(T);
  double act = bt * (12.0 * static_cast<double>(m.d_model) * static_cast<double>(m.n_layers) +
                     2.0 * static_cast<double>(m.vocab));
  for (std::int64_t l = 0; l < m.n_layers; ++l) {
    for (const auto& s : m.mixer(l).tensors(B, T))
      if (s.role != Role::param) act += 2 * numel(s.shape);
    if (const auto state = m.mixer(l).state_size(T)) act += static_cast<double>(B) * static_cast<double>(*state) / 4;
  }
  // The GPU backend keeps the activations (fp32) in device memory, not in this process's: the host holds the
  // parameters and the data.
  e.activations = c.backend == "gpu" ? 0.0 : f64 * act;
  return e;
}

std::optional<double> available_memory() {
  std::optional<double> avail;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);)
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream in(line.substr(13));
      double kib = 0;
      if (in >> kib) avail = kib * 1024;
    }
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  double limit = 0;
  if (cgroup >> limit && limit > 0) avail = avail ? std::min(*avail, limit) : limit;  // "max" reads as no number
  return avail;
}

void check_memory(const RunConfig& c, std::string_view where, std::optional<double> available) {
  if (!available) return;
  const auto e = estimate_memory(c);
  if (e.total() <= *available) return;
  const char* largest = e.parameters >= e.activations && e.parameters >= e.data
                            ? "model.d_model, model.vocab_size, model.n_layers or the mixers' sizes"
                        : e.activations >= e.data ? "batch_size, eval_batch_size, model.d_model or the sequence length"
                                                  : "the data segments' count or sequence length";
  throw InputError(cat(where, ": needs about ", gib(e.total()), " (parameters ", gib(e.parameters), ", activations ",
                       gib(e.activations), ", data ", gib(e.data), "), more than the ", gib(*available),
                       " available; reduce ", largest));
}

}  // namespace menagerie::train
