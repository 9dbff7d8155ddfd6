// make_mixer_layer (mixer_layer.hpp): the registry's mixers that have a GPU variant table, matched by id.
#include "train/gpu/mixer_layer.hpp"

#include <optional>
#include <string_view>
#include <vector>

#include "core/registry.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/projected_attention.hpp"
#include "optimized/mha/dropout.hpp"
#include "optimized/sliding_attn/dropout.hpp"
#include "optimized/variants.hpp"

namespace menagerie::train::gpu {
namespace {

template <class C>
concept HasGpu = requires { opt::VariantTable<typename C::problem_type>::get(); };
// The mixers with attention dropout on the GPU (projected attention).
template <class P>
concept HasDropout = requires(const P& p) { opt::projected_attention::WithDropout<P>::shape(p); };

template <class P>
const opt::Variant<P>& pick(std::string_view id, const P& p) {
  const auto table = opt::VariantTable<P>::get();
  for (const auto& v : table)
    if (std::string_view(v.name) == "composed_fp32" && v.backward) return opt::find_variant(table, id, v.name, p);
  std::string why;
  for (const auto& v : table) {
    if (!v.backward || v.recurrent) continue;
    if (v.supports(p)) return v;
    why += cat(why.empty() ? "" : "; ", v.unsupported(p));
  }
  throw InputError(cat("gpu backend: mixer '", id, "' has no GPU variant with a backward for this problem",
                       why.empty() ? std::string() : cat(" (", why, ")")));
}

template <class C>
class TypedLayer final : public MixerLayer {
  using P = typename C::problem_type;

 public:
  TypedLayer(P p, std::int64_t layer, const LayerBinding& b) : p_(std::move(p)), v_(pick<P>(C::id, p_)), layer_(layer) {
    for (const auto& s : tensors(p_)) {
      if (s.role != Role::param) continue;
      args_.set(s.name, b.param(s.name));
      args_.set("d" + s.name, b.grad(s.name));
    }
    args_.set("u", const_cast<float*>(b.u));
    args_.set("y", b.y);
    args_.set("dy", const_cast<float*>(b.dy));
    args_.set("du", b.du);
    for (const auto& spec : v_.buffers(p_)) {
      buffers_.emplace_back(spec.bytes);
      args_.set(spec.name, buffers_.back().data());
    }
  }
  std::string variant() const override { return cat(C::id, "/", v_.name); }
  void forward(cudaStream_t s, const StepDropout& drop) override {
    if constexpr (HasDropout<P>) {
      if (drop.attention > 0) {
        opt::projected_attention::forward(shape(), args_, mask(drop), s);
        return;
      }
    }
    v_.forward(p_, args_, s);
  }
  void backward(cudaStream_t s, const StepDropout& drop) override {
    if constexpr (HasDropout<P>) {
      if (drop.attention > 0) {
        opt::projected_attention::backward(shape(), args_, mask(drop), s);
        return;
      }
    }
    v_.backward(p_, args_, s);
  }

 private:
  opt::projected_attention::Shape shape() const
    requires HasDropout<P>
  {
    return opt::projected_attention::WithDropout<P>::shape(p_);
  }
  // The step's mask; on the first step with dropout, checks the shape and allocates the dropout path's scratch.
  opt::softmax_attention::DropoutMask mask(const StepDropout& drop)
    requires HasDropout<P>
  {
    if (!dropout_ready_) {
      require<InputError>(std::string_view(v_.name) == "composed_fp32", "gpu backend: mixer '", C::id, "' runs ",
                          v_.name, ", which has no attention dropout (composed_fp32 has)");
      const std::string why = opt::projected_attention::unsupported_dropout(shape(), cat("gpu backend: ", C::id));
      require<InputError>(why.empty(), why);
      for (const auto& spec : opt::projected_attention::dropout_buffers(shape())) {
        buffers_.emplace_back(spec.bytes);
        args_.set(spec.name, buffers_.back().data());
      }
      dropout_ready_ = true;
    }
    auto m = opt::softmax_attention::dropout_mask(drop.attention, drop.seed, layer_);
    m.seed_at = drop.seed_at;
    return m;
  }

  P p_;
  const opt::Variant<P>& v_;
  std::int64_t layer_;
  bool dropout_ready_ = false;
  opt::DeviceArgs args_;
  std::vector<cuda::DeviceBuffer<unsigned char>> buffers_;
};

}  // namespace

std::unique_ptr<MixerLayer> make_mixer_layer(const model::LayerMixer& mixer, std::int64_t layer, std::int64_t B,
                                             std::int64_t T, const LayerBinding& binding) {
  std::unique_ptr<MixerLayer> out;
  std::string have;
  for_each_contract(Mixers{}, [&]<class C>(std::type_identity<C>) {
    if constexpr (HasGpu<C>) {
      have += cat(have.empty() ? "" : ", ", C::id);
      if (out || mixer.id() != C::id) return;
      if (auto p = mixer.problem<typename C::problem_type>(B, T))
        out = std::make_unique<TypedLayer<C>>(*p, layer, binding);
    }
  });
  require<InputError>(out != nullptr, "gpu backend: mixer '", mixer.id(), "' has no GPU variant (mixers with one: ",
                      have, ")");
  return out;
}

}  // namespace menagerie::train::gpu
