// The GPU backend (train/gpu_backend.hpp): train/lm.hpp's model in fp32 on one GPU. Parameters, gradients and the
// AdamW moments live in device arenas in model::tensors order, trained tensors first and frozen ones after them, each
// tensor 64-float aligned, so one fused AdamW launch covers exactly the trained prefix. A step, for B T rows:
//   s_0 = W_E[ids] (embedding gather_fp32) + P[t], embedding dropout by the reference's Philox masks
//   transformer block l: a = LN1(s); y = Mixer_l(a) (its GPU variant, mixer_layer.hpp); m = s + y; s' = m + LN2(m)
//   mamba block l:       a = RMSNorm(s); s' = s + Mixer_l(a)
//   out = LN_f(s_L) (layer_norm rowwise_fp32); the n labelled rows gathered; z = out_lab W_E^T [n, V] (lm_head
//   gemm_fp32); the mean cross-entropy over them (cross_entropy labelled_fp32, n = the batch's labelled count)
//   backward in reverse; the tied W_E's gradient is the head's dz^T out_lab plus the embedding's scatter-add
//   AdamW: adamw step_fp32 over the trained prefix (fp32 moments)
// "precision": "tf32" / "bf16" sets the stream's GEMM precision (optimized/common/gemm.hpp): the head, the
// projections and the other GEMMs the mixers issue through gemm_rm run on tensor cores with operands rounded to TF32
// or bf16 (bf16: converted into a per-stream scratch first); attention's products follow both where gemm_cublas
// runs it (softmax_attention/gemm_cublas.cu reads the stream's precision; one head at T <= 1024); every non-GEMM kernel
// stays fp32.
// Per (B, T) a Plan holds the activations and the mixers bound to them; plans are kept (training and evaluation
// batch sizes differ). Attention dropout (mha, sliding_attn) is the reference's Philox masks inside the mixer's
// attention (mixer_layer.hpp); evaluation runs without it. The host synchronises once per step, to return the loss.
// The step's dropout seed is copied to a device scalar before the step (the embedding and attention dropout kernels
// read it there). CUDA graphs ("cuda_graph": true, train/gpu/step_graph.hpp): forward, head and backward (everything
// forward_backward issues after the batch upload and the seed copy; the loss stays on the device) are one graph per
// key (plan, labelled count n, embedding p, attention p). A key's first step runs plain (its lazy set-up: cuFFT
// plans, cuBLAS handles, the attention-dropout scratch), its second is captured and launched, every later one
// replays the graph. Not captured: keys beyond kGraphsPerPlan (a plan whose labelled count keeps changing), and
// AdamW (step(): one launch whose lr and step are kernel arguments from the host). A plan whose logits buffer grows
// drops its graphs (they point to the old one).
// Streams and threads: every kernel, cuBLAS call, cuFFT plan, memset and copy of a backend is issued on its own
// non-blocking stream, leased from train/gpu/stream_pool.hpp; nothing synchronises the device, and a backend holds
// no state shared with another, so backends driven by different host threads run concurrently (one thread per
// backend: a backend itself is not thread safe).
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/registry.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/adamw/adamw_fp32.hpp"
#include "optimized/cross_entropy/variants.hpp"
#include "optimized/embedding/variants.hpp"
#include "optimized/layer_norm/variants.hpp"
#include "optimized/lm_head/variants.hpp"
#include "optimized/model/kernels.hpp"
#include "train/backend.hpp"
#include "train/gpu/mixer_layer.hpp"
#include "train/gpu/step_graph.hpp"
#include "train/gpu/stream_pool.hpp"
#include "train/gpu_backend.hpp"

namespace menagerie::train {
namespace {

using cuda::DeviceBuffer;
namespace ln = opt::layer_norm::rowwise_fp32;
namespace emb = opt::embedding::gather_fp32;
namespace head_op = opt::lm_head::gemm_fp32;
namespace ce = opt::cross_entropy::labelled_fp32;
namespace mk = opt::model;  // the model-level kernels

std::size_t aligned(std::int64_t n) { return static_cast<std::size_t>((n + 63) / 64 * 64); }

constexpr std::size_t kGraphsPerPlan = 4;
std::atomic<std::int64_t> graphs_captured{0}, graphs_replayed{0}, graph_nodes{0};

// Pinned host memory for the step's seed: its copy to the device is asynchronous and never staged.
struct PinnedSeed {
  PinnedSeed() { MENAGERIE_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&value), sizeof(std::uint64_t))); }
  ~PinnedSeed() { cudaFreeHost(value); }
  PinnedSeed(const PinnedSeed&) = delete;
  PinnedSeed& operator=(const PinnedSeed&) = delete;
  std::uint64_t* value = nullptr;
};

class GpuBackend final : public Backend {
 public:
  GpuBackend(const model::Config& c, bool cuda_graph, Precision precision)
      : config_(c), specs_(model::tensors(c)), use_graph_(cuda_graph), precision_(precision) {
    // Set in every precision: a pooled stream keeps the one its last backend set.
    cuda::set_gemm_precision(stream_.get(), precision == Precision::tf32   ? cuda::GemmPrecision::tf32
                                            : precision == Precision::bf16 ? cuda::GemmPrecision::bf16
                                                                           : cuda::GemmPrecision::fp32);
    for (std::int64_t l = 0; l < c.n_layers; ++l)
      for (const auto& f : c.mixer(l).frozen()) frozen_.insert(c.mixer_prefix(l) + f);
    std::size_t at = 0;
    for (const bool frozen : {false, true}) {
      for (const auto& s : specs_) {
        if (frozen_.count(s.name) != static_cast<std::size_t>(frozen)) continue;
        offset_[s.name] = at;
        at += aligned(numel(s.shape));
      }
      if (!frozen) trained_ = at;
    }
    params_ = DeviceBuffer<float>(at);
    grads_ = DeviceBuffer<float>(at);
    m_ = DeviceBuffer<float>(trained_);
    v_ = DeviceBuffer<float>(trained_);
    params_.fill_bytes(0, stream_.get());
    grads_.fill_bytes(0, stream_.get());
    reset_moments();
    const float one = 1.f;
    dloss_ = DeviceBuffer<float>(std::span<const float>(&one, 1), stream_.get());
    seed_ = DeviceBuffer<std::uint64_t>(1);
    seed_.fill_bytes(0, stream_.get());
  }

  std::string name() const override {
    return precision_ == Precision::f32 ? "gpu/fp32" : cat("gpu/", precision_name(precision_));
  }
  const model::Config& config() const override { return config_; }

  Named<double> parameters() const override { return download(params_); }
  void set_parameters(const Named<double>& p) override { upload(p, params_); }
  Named<double> gradients() const override { return download(grads_); }
  // No mixer with an auxiliary loss (sigmoid_lookups) has a GPU variant yet: make_mixer_layer refuses such a model.
  bool has_auxiliary_loss() const override { return false; }
  double auxiliary_loss() const override { return 0; }

  double forward_backward(const model::Batch& b, const Dropout& drop) override {
    b.validate(config_, true);
    Plan& p = plan(b.B, b.T);
    const std::int64_t n = p.load(b, config_.vocab, stream_.get());
    *seed_host_.value = drop.seed;
    MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(seed_.data(), seed_host_.value, sizeof(std::uint64_t), cudaMemcpyHostToDevice,
                                         stream_.get()));
    const auto issue = [&] {
      forward(p, drop);
      head(p, n);
      backward(p, n, drop);
    };
    if (gpu::StepGraph* g = graph(p, n, drop, issue)) {
      g->launch(stream_.get());
      ++graphs_replayed;
    } else {
      issue();
    }
    float loss = 0;
    if (n > 0)
      MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(&loss, p.loss.data(), sizeof(float), cudaMemcpyDeviceToHost, stream_.get()));
    stream_.synchronize();
    return loss;
  }

  void step(const AdamWConfig& h, double lr) override {
    ++step_;
    opt::adamw::step_fp32(static_cast<std::int64_t>(trained_), {lr, h.beta1, h.beta2, h.eps, h.weight_decay}, step_,
                          params_.data(), grads_.data(), m_.data(), v_.data(), stream_.get());
  }

  std::int64_t optimizer_step() const override { return step_; }
  Named<double> optimizer_state() const override {
    Named<double> out;
    if (step_ == 0) return out;
    const auto m = m_.download(stream_.get()), v = v_.download(stream_.get());
    for (const auto& s : specs_) {
      if (frozen_.count(s.name)) continue;
      const auto at = static_cast<std::ptrdiff_t>(offset_.at(s.name)), end = at + numel(s.shape);
      out.emplace("exp_avg." + s.name, Tensor<double>(s.shape, std::vector<double>(m.begin() + at, m.begin() + end)));
      out.emplace("exp_avg_sq." + s.name,
                  Tensor<double>(s.shape, std::vector<double>(v.begin() + at, v.begin() + end)));
    }
    return out;
  }
  void set_optimizer_state(std::int64_t step, const Named<double>& moments) override {
    require(step >= 0, "optimizer state: step = ", step, " must be >= 0");
    step_ = step;
    reset_moments();
    if (step == 0) return;
    std::vector<float> m(m_.size(), 0.f), v(v_.size(), 0.f);
    for (const auto& s : specs_) {
      if (frozen_.count(s.name)) continue;
      const auto& ms = get(moments, "exp_avg." + s.name, s.shape);
      const auto& vs = get(moments, "exp_avg_sq." + s.name, s.shape);
      const auto at = offset_.at(s.name);
      for (std::int64_t i = 0; i < numel(s.shape); ++i) {
        m[at + static_cast<std::size_t>(i)] = static_cast<float>(ms.data()[i]);
        v[at + static_cast<std::size_t>(i)] = static_cast<float>(vs.data()[i]);
      }
    }
    m_.upload(m, stream_.get());
    v_.upload(v, stream_.get());
  }

  Predictions evaluate(const model::Batch& b) override {
    b.validate(config_, true);
    Plan& p = plan(b.B, b.T);
    const std::int64_t n = p.load(b, config_.vocab, stream_.get());
    forward(p, Dropout{});  // p = 0: the seed is not used
    std::vector<std::int32_t> best(static_cast<std::size_t>(n));
    if (n > 0) {
      mk::gather_rows(p.out.data(), p.lab_rows.data(), n, config_.d_model, p.o_lab.data(), stream_.get());
      head_op::forward_rows(n, config_.d_model, config_.vocab, p.o_lab.data(), param(model::word_embeddings),
                            p.logits.data(), stream_.get());
      mk::argmax_rows(p.logits.data(), n, config_.vocab, p.best.data(), stream_.get());
      MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(best.data(), p.best.data(), best.size() * sizeof(std::int32_t),
                                           cudaMemcpyDeviceToHost, stream_.get()));
    }
    stream_.synchronize();
    Predictions out;
    for (std::int64_t k = 0; k < n; ++k) {
      const auto row = p.lab_rows_host[static_cast<std::size_t>(k)];
      out.example.push_back(row / b.T);
      out.correct.push_back(best[static_cast<std::size_t>(k)] == b.labels[static_cast<std::size_t>(row)] ? 1 : 0);
    }
    return out;
  }

 private:
  // The activations of one (B, T) and the mixers bound to them.
  struct Plan {
    std::int64_t B, T, rows;
    std::vector<DeviceBuffer<float>> s, a, mean1, rs1, y, m, mean2, rs2;
    DeviceBuffer<float> tmp, dm, du, ds, out, meanf, rsf, o_lab, d_lab, dout, dWE_emb, logits, dlogits;
    DeviceBuffer<float> loss, lse, terms;
    DeviceBuffer<unsigned char> ln_ws, emb_ws;
    DeviceBuffer<float> rms_ws;
    DeviceBuffer<std::int64_t> ids, lab_labels;
    DeviceBuffer<std::int32_t> lab_rows, best;
    DeviceBuffer<int> count;
    std::vector<std::unique_ptr<gpu::MixerLayer>> layers;
    std::vector<std::int32_t> lab_rows_host;
    // The step graphs by (labelled count, dropout p's); an entry without a graph has had its plain step.
    struct Keyed {
      std::int64_t n;
      double p_embedding, p_attention;
      gpu::StepGraph graph;
    };
    std::vector<Keyed> graphs;

    // Uploads the batch's ids, its labelled rows and their labels; returns the number of labelled rows.
    std::int64_t load(const model::Batch& b, std::int64_t V, cudaStream_t st) {
      ids.upload(b.ids, st);
      lab_rows_host.clear();
      std::vector<std::int64_t> labels;
      for (std::int64_t i = 0; i < rows; ++i) {
        const auto l = b.labels[static_cast<std::size_t>(i)];
        if (l == ops::cross_entropy::ignore_index) continue;
        lab_rows_host.push_back(static_cast<std::int32_t>(i));
        labels.push_back(l);
      }
      const auto n = static_cast<std::int64_t>(labels.size());
      if (n == 0) return 0;
      MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(lab_rows.data(), lab_rows_host.data(),
                                           lab_rows_host.size() * sizeof(std::int32_t), cudaMemcpyHostToDevice, st));
      MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(lab_labels.data(), labels.data(), labels.size() * sizeof(std::int64_t),
                                           cudaMemcpyHostToDevice, st));
      if (static_cast<std::int64_t>(logits.size()) < n * V) {
        MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(st));  // the old buffers may still be read by earlier work
        graphs.clear();                                    // they point to the old buffers
        logits = DeviceBuffer<float>(static_cast<std::size_t>(n * V));
        dlogits = DeviceBuffer<float>(static_cast<std::size_t>(n * V));
      }
      MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(st));  // the host vectors above go out of scope
      return n;
    }
  };

  Plan& plan(std::int64_t B, std::int64_t T) {
    auto& slot = plans_[{B, T}];
    if (slot) return *slot;
    const std::int64_t rows = B * T, d = config_.d_model, L = config_.n_layers, V = config_.vocab;
    auto p = std::make_unique<Plan>();
    p->B = B, p->T = T, p->rows = rows;
    const auto nd = static_cast<std::size_t>(rows * d), nr = static_cast<std::size_t>(rows);
    for (std::int64_t l = 0; l <= L; ++l) p->s.emplace_back(nd);
    for (std::int64_t l = 0; l < L; ++l) {
      p->a.emplace_back(nd), p->mean1.emplace_back(nr), p->rs1.emplace_back(nr), p->y.emplace_back(nd);
      p->m.emplace_back(nd), p->mean2.emplace_back(nr), p->rs2.emplace_back(nr);
    }
    for (auto* buf : {&p->tmp, &p->dm, &p->du, &p->ds, &p->out, &p->o_lab, &p->d_lab, &p->dout})
      *buf = DeviceBuffer<float>(nd);
    for (auto* buf : {&p->meanf, &p->rsf, &p->lse, &p->terms}) *buf = DeviceBuffer<float>(nr);
    p->dWE_emb = DeviceBuffer<float>(static_cast<std::size_t>(V * d));
    p->loss = DeviceBuffer<float>(1);
    p->count = DeviceBuffer<int>(1);
    p->ln_ws = DeviceBuffer<unsigned char>(ln::workspace_bytes(rows, d));
    p->emb_ws = DeviceBuffer<unsigned char>(emb::workspace_bytes(rows, V, d));
    p->rms_ws = DeviceBuffer<float>(static_cast<std::size_t>(mk::rms_partial_floats(rows, d)));
    p->ids = DeviceBuffer<std::int64_t>(nr);
    p->lab_labels = DeviceBuffer<std::int64_t>(nr);
    p->lab_rows = DeviceBuffer<std::int32_t>(nr);
    p->best = DeviceBuffer<std::int32_t>(nr);
    for (std::int64_t l = 0; l < L; ++l) {
      const std::string prefix = config_.mixer_prefix(l);
      gpu::LayerBinding bind{p->a[static_cast<std::size_t>(l)].data(), p->y[static_cast<std::size_t>(l)].data(),
                             p->dm.data(), p->du.data(),
                             [this, prefix](const std::string& name) { return param(prefix + name); },
                             [this, prefix](const std::string& name) { return grad(prefix + name); }};
      p->layers.push_back(gpu::make_mixer_layer(config_.mixer(l), l, B, T, bind));
    }
    slot = std::move(p);
    return *slot;
  }

  // The graph to replay for this step, captured now if the key's plain step has run; null: run the step plainly.
  template <class Issue>
  gpu::StepGraph* graph(Plan& p, std::int64_t n, const Dropout& drop, const Issue& issue) {
    if (!use_graph_) return nullptr;
    const auto it = std::find_if(p.graphs.begin(), p.graphs.end(), [&](const auto& k) {
      return k.n == n && k.p_embedding == drop.embedding && k.p_attention == drop.attention;
    });
    if (it == p.graphs.end()) {
      if (p.graphs.size() < kGraphsPerPlan) p.graphs.push_back({n, drop.embedding, drop.attention, {}});
      return nullptr;
    }
    if (!it->graph.ready()) {
      it->graph.capture(stream_.get(), issue);
      ++graphs_captured;
      graph_nodes = static_cast<std::int64_t>(it->graph.nodes());
    }
    return &it->graph;
  }

  float* param(const std::string& name) { return params_.data() + at(name); }
  float* grad(const std::string& name) { return grads_.data() + at(name); }
  std::size_t at(const std::string& name) const {
    const auto it = offset_.find(name);
    require<ShapeError>(it != offset_.end(), "gpu backend: parameter '", name, "' missing");
    return it->second;
  }

  void forward(Plan& p, const Dropout& drop) {
    const auto st = stream_.get();
    const std::int64_t d = config_.d_model, rows = p.rows;
    const bool mamba = config_.block == model::Block::mamba;
    const auto eps = static_cast<float>(model::block_norm_eps);
    emb::forward_ids(rows, d, p.ids.data(), param(model::word_embeddings), p.s[0].data(), st);
    mk::embed_finish(config_.max_position_embeddings > 0 ? param(model::position_embeddings) : nullptr, rows, p.T, d,
                      drop.embedding, seed_.data(), p.s[0].data(), st);
    for (std::int64_t l = 0; l < config_.n_layers; ++l) {
      const auto li = static_cast<std::size_t>(l);
      const std::string pre = config_.layer_prefix(l);
      if (mamba)
        mk::rms_forward(p.s[li].data(), param(pre + "norm.weight"), rows, d, model::block_norm_eps, p.a[li].data(),
                         p.rs1[li].data(), st);
      else
        ln::forward_rows(rows, d, eps, p.s[li].data(), param(pre + "norm1.weight"), param(pre + "norm1.bias"),
                         p.a[li].data(), p.mean1[li].data(), p.rs1[li].data(), st);
      p.layers[li]->forward(st, {drop.attention, drop.seed, seed_.data()});
      if (mamba) {
        mk::add(p.s[li].data(), p.y[li].data(), p.s[li + 1].data(), rows * d, st);
        continue;
      }
      mk::add(p.s[li].data(), p.y[li].data(), p.m[li].data(), rows * d, st);
      ln::forward_rows(rows, d, eps, p.m[li].data(), param(pre + "norm2.weight"), param(pre + "norm2.bias"),
                       p.tmp.data(), p.mean2[li].data(), p.rs2[li].data(), st);
      mk::add(p.m[li].data(), p.tmp.data(), p.s[li + 1].data(), rows * d, st);
    }
    ln::forward_rows(rows, d, static_cast<float>(config_.layer_norm_eps), p.s.back().data(),
                     param("backbone.ln_f.weight"), param("backbone.ln_f.bias"), p.out.data(), p.meanf.data(),
                     p.rsf.data(), st);
  }

  // The head at the n labelled rows: logits, the mean cross-entropy (n = the batch's labelled count) and dlogits.
  void head(Plan& p, std::int64_t n) {
    if (n == 0) return;
    const auto st = stream_.get();
    const std::int64_t d = config_.d_model, V = config_.vocab;
    mk::gather_rows(p.out.data(), p.lab_rows.data(), n, d, p.o_lab.data(), st);
    head_op::forward_rows(n, d, V, p.o_lab.data(), param(model::word_embeddings), p.logits.data(), st);
    ce::forward_labels(n, V, p.lab_labels.data(), p.logits.data(), p.loss.data(), p.lse.data(), p.terms.data(),
                       p.count.data(), st);
    ce::backward_labels(n, V, p.lab_labels.data(), p.logits.data(), p.lse.data(), p.count.data(), dloss_.data(),
                        p.dlogits.data(), st);
  }

  void backward(Plan& p, std::int64_t n, const Dropout& drop) {
    const auto st = stream_.get();
    const std::int64_t d = config_.d_model, V = config_.vocab, rows = p.rows;
    const bool mamba = config_.block == model::Block::mamba;
    float* dWE = grad(model::word_embeddings);
    p.dout.fill_bytes(0, st);
    if (n > 0) {
      head_op::backward_rows(n, d, V, p.o_lab.data(), param(model::word_embeddings), p.dlogits.data(), p.d_lab.data(),
                             dWE, 0.f, st);
      mk::scatter_rows(p.d_lab.data(), p.lab_rows.data(), n, d, p.dout.data(), st);
    } else {
      MENAGERIE_CUDA_CHECK(cudaMemsetAsync(dWE, 0, static_cast<std::size_t>(V * d) * sizeof(float), st));
    }
    ln::backward_rows(rows, d, p.s.back().data(), param("backbone.ln_f.weight"), p.meanf.data(), p.rsf.data(),
                      p.dout.data(), p.ds.data(), grad("backbone.ln_f.weight"), grad("backbone.ln_f.bias"),
                      p.ln_ws.data(), st);
    for (std::int64_t l = config_.n_layers - 1; l >= 0; --l) {
      const auto li = static_cast<std::size_t>(l);
      const std::string pre = config_.layer_prefix(l);
      if (mamba) {
        MENAGERIE_CUDA_CHECK(cudaMemcpyAsync(p.dm.data(), p.ds.data(), p.ds.bytes(), cudaMemcpyDeviceToDevice, st));
      } else {
        ln::backward_rows(rows, d, p.m[li].data(), param(pre + "norm2.weight"), p.mean2[li].data(), p.rs2[li].data(),
                          p.ds.data(), p.tmp.data(), grad(pre + "norm2.weight"), grad(pre + "norm2.bias"),
                          p.ln_ws.data(), st);
        mk::add(p.ds.data(), p.tmp.data(), p.dm.data(), rows * d, st);
      }
      p.layers[li]->backward(st, {drop.attention, drop.seed, seed_.data()});
      if (mamba)
        mk::rms_backward(p.du.data(), p.s[li].data(), param(pre + "norm.weight"), p.rs1[li].data(), rows, d,
                          p.tmp.data(), grad(pre + "norm.weight"), p.rms_ws.data(), st);
      else
        ln::backward_rows(rows, d, p.s[li].data(), param(pre + "norm1.weight"), p.mean1[li].data(), p.rs1[li].data(),
                          p.du.data(), p.tmp.data(), grad(pre + "norm1.weight"), grad(pre + "norm1.bias"),
                          p.ln_ws.data(), st);
      mk::add(p.dm.data(), p.tmp.data(), p.ds.data(), rows * d, st);
    }
    mk::embed_grad(p.ds.data(), rows, p.T, d, drop.embedding, seed_.data(), p.tmp.data(),
                    config_.max_position_embeddings > 0 ? grad(model::position_embeddings) : nullptr, st);
    emb::backward_ids(rows, V, d, p.ids.data(), p.tmp.data(), p.dWE_emb.data(), p.emb_ws.data(), st);
    mk::add(dWE, p.dWE_emb.data(), dWE, V * d, st);
  }

  void reset_moments() {
    m_.fill_bytes(0, stream_.get());
    v_.fill_bytes(0, stream_.get());
  }

  Named<double> download(const DeviceBuffer<float>& arena) const {
    const auto host = arena.download(stream_.get());
    Named<double> out;
    for (const auto& s : specs_) {
      const auto at = offset_.at(s.name);
      Tensor<double> t(s.shape);
      for (std::int64_t i = 0; i < numel(s.shape); ++i)
        t.data()[i] = static_cast<double>(host[at + static_cast<std::size_t>(i)]);
      out.emplace(s.name, std::move(t));
    }
    return out;
  }
  void upload(const Named<double>& p, DeviceBuffer<float>& arena) {
    std::vector<float> host(arena.size(), 0.f);
    for (const auto& s : specs_) {
      const auto& src = get(p, s.name, s.shape);
      const auto at = offset_.at(s.name);
      for (std::int64_t i = 0; i < numel(s.shape); ++i)
        host[at + static_cast<std::size_t>(i)] = static_cast<float>(src.data()[i]);
    }
    arena.upload(host, stream_.get());
  }

  model::Config config_;
  std::vector<TensorSpec> specs_;
  std::map<std::string, std::size_t> offset_;
  std::set<std::string> frozen_;
  std::size_t trained_ = 0;
  gpu::StreamLease stream_;  // before the buffers: returned to the pool after they are freed
  DeviceBuffer<float> params_, grads_, m_, v_, dloss_;
  DeviceBuffer<std::uint64_t> seed_;  // the step's dropout seed
  PinnedSeed seed_host_;
  bool use_graph_;
  Precision precision_;  // float, or tf32 / bf16: the stream's cuBLAS GEMMs on tensor cores (gemm.hpp)
  std::int64_t step_ = 0;
  std::map<std::pair<std::int64_t, std::int64_t>, std::unique_ptr<Plan>> plans_;
};

}  // namespace

Provenance backend_provenance(const std::string& backend) {
  return backend == "gpu" ? current_provenance() : host_provenance();
}

std::unique_ptr<Backend> make_gpu_backend(const RunConfig& c) {
  if (!gpu_available())
    throw NotAvailableError(cat("backend \"gpu\": no GPU visible (", device_report().note, ")"));
  require<InputError>(c.precision != Precision::f64, "gpu backend: precision must be \"float\", \"tf32\" or \"bf16\" "
                      "(fp32 storage), got \"double\"");
  return std::make_unique<GpuBackend>(c.model, c.cuda_graph, c.precision);
}

CudaGraphCounts cuda_graph_counts() { return {graphs_captured.load(), graphs_replayed.load(), graph_nodes.load()}; }

bool gpu_context_lost() { return gpu::context_lost(); }

}  // namespace menagerie::train
