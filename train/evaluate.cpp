// Batching and evaluation; the definitions are in evaluate.hpp.
#include "train/evaluate.hpp"

#include <algorithm>

#include "core/philox.hpp"

namespace menagerie::train {

std::vector<BatchRef> make_batches(const std::vector<synthetics::Segment>& segments, std::int64_t batch_size) {
  require(batch_size >= 1, "batch size ", batch_size, " must be >= 1");
  std::vector<BatchRef> out;
  for (std::size_t s = 0; s < segments.size(); ++s)
    for (std::int64_t first = 0, n = segments[s].examples.count(); first < n; first += batch_size)
      out.push_back({s, first, std::min(batch_size, n - first)});
  return out;
}

model::Batch batch_of(const synthetics::Segment& segment, const BatchRef& ref) {
  const auto& ex = segment.examples;
  const std::int64_t T = ex.seq_len();
  model::Batch b;
  b.B = ref.count;
  b.T = T;
  b.ids.assign(ex.inputs.data() + ref.first * T, ex.inputs.data() + (ref.first + ref.count) * T);
  b.labels.assign(ex.labels.data() + ref.first * T, ex.labels.data() + (ref.first + ref.count) * T);
  return b;
}

std::vector<BatchRef> epoch_order(const std::vector<BatchRef>& batches, bool shuffle, std::uint64_t seed,
                                  std::int64_t epoch) {
  std::vector<BatchRef> out = batches;
  if (!shuffle) return out;
  // Fisher-Yates with Philox words of stream (2^32 + epoch) under the run seed.
  const auto stream = (std::uint64_t{1} << 32) + static_cast<std::uint64_t>(epoch);
  for (std::size_t i = out.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(philox::word(seed, stream, i) % i);
    std::swap(out[i - 1], out[j]);
  }
  return out;
}

Evaluation evaluate(Backend& backend, const std::vector<synthetics::Segment>& test, std::int64_t batch_size,
                    Accuracy mode) {
  struct Sum {
    double acc = 0;
    std::int64_t n = 0, correct = 0, labelled = 0;
    void add(std::int64_t c, std::int64_t l) {
      acc += static_cast<double>(c) / static_cast<double>(l);
      ++n;
      correct += c;
      labelled += l;
    }
    double value(Accuracy m) const {
      if (m == Accuracy::pooled) return labelled ? static_cast<double>(correct) / static_cast<double>(labelled) : 0;
      return n ? acc / static_cast<double>(n) : 0;
    }
  };
  Sum all;
  std::map<std::string, Sum> slices;
  for (std::size_t s = 0; s < test.size(); ++s) {
    for (std::int64_t first = 0, n = test[s].examples.count(); first < n; first += batch_size) {
      const BatchRef ref{s, first, std::min(batch_size, n - first)};
      const auto p = backend.evaluate(batch_of(test[s], ref));
      std::vector<std::int64_t> correct(static_cast<std::size_t>(ref.count), 0), labelled(correct.size(), 0);
      for (std::size_t i = 0; i < p.example.size(); ++i) {
        correct[static_cast<std::size_t>(p.example[i])] += p.correct[i];
        labelled[static_cast<std::size_t>(p.example[i])] += 1;
      }
      for (std::size_t i = 0; i < correct.size(); ++i) {
        if (labelled[i] == 0) continue;
        all.add(correct[i], labelled[i]);
        for (const auto& [key, value] : test[s].examples.slices)
          slices[cat("valid/", key, "/accuracy-", value)].add(correct[i], labelled[i]);
      }
    }
  }
  Evaluation e;
  e.accuracy = all.value(mode);
  e.examples = all.n;
  e.labelled = all.labelled;
  for (const auto& [name, sum] : slices) e.slices[name] = sum.value(mode);
  return e;
}

std::int64_t tokens(const std::vector<synthetics::Segment>& segments) {
  std::int64_t n = 0;
  for (const auto& s : segments) n += s.examples.count() * s.examples.seq_len();
  return n;
}

}  // namespace menagerie::train
