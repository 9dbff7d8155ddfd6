// The reference (CPU) backend: train/lm.hpp's model in float or double, parameters and AdamW state in host memory.
// A batch is split into `threads` contiguous shards of examples, one std::thread each; each shard's loss and
// gradients are divided by the whole batch's labelled count, and the shard gradients are summed in shard order, so
// the result depends on the thread count (summation order) but not on scheduling: runs are bitwise repeatable.
// A model with an auxiliary loss (train/lm.hpp: a batch mean, not a sum over examples) trains each batch in one
// shard, so the term is zoology's; evaluation (no auxiliary term) is still split.
#include <algorithm>
#include <set>
#include <thread>

#include "train/adamw.hpp"
#include "train/backend.hpp"
#include "train/gpu_backend.hpp"

namespace menagerie::train {

namespace {

model::Batch shard(const model::Batch& b, std::int64_t first, std::int64_t count) {
  model::Batch s;
  s.B = count;
  s.T = b.T;
  const auto lo = static_cast<std::ptrdiff_t>(first * b.T), hi = static_cast<std::ptrdiff_t>((first + count) * b.T);
  s.ids.assign(b.ids.begin() + lo, b.ids.begin() + hi);
  if (!b.labels.empty()) s.labels.assign(b.labels.begin() + lo, b.labels.begin() + hi);
  return s;
}

template <class T>
class ReferenceBackend final : public Backend {
 public:
  ReferenceBackend(const model::Config& c, std::int64_t threads)
      : model_(c), threads_(threads), train_threads_(model_.has_auxiliary_loss() ? 1 : threads) {
    for (const auto& s : model::tensors(c)) params_.emplace(s.name, Tensor<T>(s.shape, T(0)));
    for (std::int64_t l = 0; l < c.n_layers; ++l)
      for (const auto& f : c.mixer(l).frozen()) frozen_.insert(c.mixer_prefix(l) + f);
    grads_ = zeros();
  }

  std::string name() const override {
    return cat("reference/", sizeof(T) == 4 ? "float" : "double", " (", threads_, " threads",
               train_threads_ < threads_ ? "; training batches unsplit: auxiliary loss" : "", ")");
  }
  const model::Config& config() const override { return model_.config(); }

  Named<double> parameters() const override { return widen(params_); }
  void set_parameters(const Named<double>& p) override {
    for (auto& [name, t] : params_) {
      const auto& src = get(p, name, t.shape());
      for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<T>(src.data()[i]);
    }
  }

  double forward_backward(const model::Batch& b, const Dropout& drop) override {
    std::int64_t labelled = 0;
    for (auto l : b.labels) labelled += l != ops::cross_entropy::ignore_index;
    const double denom = static_cast<double>(std::max<std::int64_t>(labelled, 1));
    const auto shards = split(b.B, train_threads_);
    std::vector<Named<T>> g(shards.size());
    std::vector<T> loss(shards.size(), T(0)), aux(shards.size(), T(0));
    run(shards, [&](std::size_t k) {
      g[k] = zeros();
      Dropout d = drop;
      d.row_offset = shards[k].first;
      loss[k] = model_.forward_backward(params_, shard(b, shards[k].first, shards[k].second), denom, d, &g[k], nullptr,
                                        &aux[k]);
    });
    aux_ = static_cast<double>(aux[0]);  // one shard whenever a mixer has an auxiliary loss
    grads_ = std::move(g[0]);
    double total = static_cast<double>(loss[0]);
    for (std::size_t k = 1; k < shards.size(); ++k) {
      total += static_cast<double>(loss[k]);
      for (auto& [name, t] : grads_) {
        const auto& add = g[k].at(name);
        for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] += add.data()[i];
      }
    }
    return total;
  }
  Named<double> gradients() const override { return widen(grads_); }
  bool has_auxiliary_loss() const override { return model_.has_auxiliary_loss(); }
  double auxiliary_loss() const override { return aux_; }

  void step(const AdamWConfig& h, double lr) override {
    ++step_;
    for (auto& [name, t] : params_) {
      if (frozen_.count(name)) continue;
      const auto& g = grads_.at(name);
      adamw_update<T>(h, lr, step_, std::span<T>(t.data(), static_cast<std::size_t>(t.numel())),
                      std::span<const T>(g.data(), static_cast<std::size_t>(g.numel())), state_[name]);
    }
  }

  std::int64_t optimizer_step() const override { return step_; }
  Named<double> optimizer_state() const override {
    Named<double> out;
    for (const auto& [name, s] : state_) {
      const Shape& shape = params_.at(name).shape();
      out.emplace("exp_avg." + name, Tensor<double>(shape, s.m));
      out.emplace("exp_avg_sq." + name, Tensor<double>(shape, s.v));
    }
    return out;
  }
  void set_optimizer_state(std::int64_t step, const Named<double>& moments) override {
    require(step >= 0, "optimizer state: step = ", step, " must be >= 0");
    state_.clear();
    step_ = step;
    if (step == 0) return;
    for (const auto& [name, t] : params_) {
      if (frozen_.count(name)) continue;
      const auto& m = get(moments, "exp_avg." + name, t.shape());
      const auto& v = get(moments, "exp_avg_sq." + name, t.shape());
      state_[name] = {std::vector<double>(m.data(), m.data() + m.numel()),
                      std::vector<double>(v.data(), v.data() + v.numel())};
    }
  }

  Predictions evaluate(const model::Batch& b) override {
    const auto shards = split(b.B, threads_);
    std::vector<Predictions> parts(shards.size());
    run(shards, [&](std::size_t k) {
      model_.forward_backward(params_, shard(b, shards[k].first, shards[k].second), 1.0, Dropout{}, nullptr,
                              &parts[k]);
    });
    Predictions all;
    for (std::size_t k = 0; k < shards.size(); ++k) {
      for (auto e : parts[k].example) all.example.push_back(e + shards[k].first);
      all.correct.insert(all.correct.end(), parts[k].correct.begin(), parts[k].correct.end());
    }
    return all;
  }

 private:
  Named<T> zeros() const {
    Named<T> z;
    for (const auto& [name, t] : params_) z.emplace(name, Tensor<T>(t.shape(), T(0)));
    return z;
  }
  static Named<double> widen(const Named<T>& m) {
    Named<double> out;
    for (const auto& [name, t] : m) {
      Tensor<double> d(t.shape());
      for (std::int64_t i = 0; i < t.numel(); ++i) d.data()[i] = static_cast<double>(t.data()[i]);
      out.emplace(name, std::move(d));
    }
    return out;
  }
  // (first example, count) of each shard: min(threads, B) near-equal contiguous pieces.
  static std::vector<std::pair<std::int64_t, std::int64_t>> split(std::int64_t B, std::int64_t threads) {
    const std::int64_t n = std::min(threads, B);
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::int64_t k = 0, first = 0; k < n; ++k) {
      const std::int64_t count = B / n + (k < B % n ? 1 : 0);
      out.emplace_back(first, count);
      first += count;
    }
    return out;
  }
  template <class F>
  static void run(const std::vector<std::pair<std::int64_t, std::int64_t>>& shards, F&& f) {
    std::vector<std::exception_ptr> errors(shards.size());
    std::vector<std::thread> pool;
    for (std::size_t k = 1; k < shards.size(); ++k)
      pool.emplace_back([&, k] {
        try {
          f(k);
        } catch (...) {
          errors[k] = std::current_exception();
        }
      });
    try {
      f(0);
    } catch (...) {
      errors[0] = std::current_exception();
    }
    for (auto& t : pool) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  TrainModel<T> model_;
  std::int64_t threads_, train_threads_;  // train_threads_: 1 when a mixer has an auxiliary loss
  double aux_ = 0;
  Named<T> params_, grads_;
  std::set<std::string> frozen_;
  std::map<std::string, AdamWState> state_;
  std::int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_backend(const RunConfig& c) {
  if (c.backend == "gpu") return make_gpu_backend(c);
  require<InputError>(c.backend == "reference", "backend '", c.backend, "' is not available (expected reference or gpu)");
  if (c.precision == Precision::f64) return std::make_unique<ReferenceBackend<double>>(c.model, c.threads);
  return std::make_unique<ReferenceBackend<float>>(c.model, c.threads);
}

}  // namespace menagerie::train
