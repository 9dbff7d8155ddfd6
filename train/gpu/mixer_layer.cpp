// make_mixer_layer (mixer_layer.hpp): the registry's mixers that have a GPU variant table, matched by id.
#include "train/gpu/mixer_layer.hpp"

#include <optional>
#include <string_view>
#include <vector>

#include "core/registry.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/variants.hpp"

namespace menagerie::train::gpu {
namespace {

template <class C>
concept HasGpu = requires { opt::VariantTable<typename C::problem_type>::get(); };

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
  TypedLayer(P p, const LayerBinding& b) : p_(std::move(p)), v_(pick<P>(C::id, p_)) {
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
  void forward(cudaStream_t s) override { v_.forward(p_, args_, s); }
  void backward(cudaStream_t s) override { v_.backward(p_, args_, s); }

 private:
  P p_;
  const opt::Variant<P>& v_;
  opt::DeviceArgs args_;
  std::vector<cuda::DeviceBuffer<unsigned char>> buffers_;
};

}  // namespace

std::unique_ptr<MixerLayer> make_mixer_layer(const model::LayerMixer& mixer, std::int64_t B, std::int64_t T,
                                             const LayerBinding& binding) {
  std::unique_ptr<MixerLayer> out;
  std::string have;
  for_each_contract(Mixers{}, [&]<class C>(std::type_identity<C>) {
    if constexpr (HasGpu<C>) {
      have += cat(have.empty() ? "" : ", ", C::id);
      if (out || mixer.id() != C::id) return;
      if (auto p = mixer.problem<typename C::problem_type>(B, T)) out = std::make_unique<TypedLayer<C>>(*p, binding);
    }
  });
  require<InputError>(out != nullptr, "gpu backend: mixer '", mixer.id(), "' has no GPU variant (mixers with one: ",
                      have, ")");
  return out;
}

}  // namespace menagerie::train::gpu
