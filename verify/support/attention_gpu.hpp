// Checking a GPU softmax-attention variant against the CPU reference, shared by verify/ (the gpu tests) and bench/
// (verify-then-time). Inputs are drawn in double (O(1), seeded), rounded to the kernel's dtype; the oracle is the
// double reference on the rounded inputs, the yardstick the float reference on the same inputs (for bf16 variants
// with its GEMM operands P and dS rounded to bf16 too, as the kernels' are), and the rule of
// verify/support/tolerances.hpp decides. Device outputs are NaN-filled before every launch.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/softmax_attention/variants.hpp"
#include "reference/numerics.hpp"
#include "reference/softmax_attention.hpp"
#include "verify/support/attention_oracle.hpp"
#include "verify/support/tolerances.hpp"

namespace menagerie::test::attention {

namespace sa = ops::softmax_attention;
namespace osa = opt::softmax_attention;

inline std::uint16_t to_bf16(float x) {  // round to nearest even; NaN stays NaN
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}
inline float from_bf16(std::uint16_t b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

// The yardstick's operand rounding for bf16 variants (attention_oracle.hpp).
struct Bf16Operands {
  float operator()(float x) const { return from_bf16(to_bf16(x)); }
};

inline Dtype dtype_of(osa::Precision p) { return p == osa::Precision::bf16 ? Dtype::bf16 : Dtype::f32; }

// x rounded to what the kernel stores (float or bf16), back in double.
inline Tensor<double> rounded(const Tensor<double>& x, osa::Precision prec) {
  Tensor<double> y(x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const float f = static_cast<float>(x.data()[i]);
    y.data()[i] = prec == osa::Precision::bf16 ? from_bf16(to_bf16(f)) : f;
  }
  return y;
}

// A device tensor of the kernel's dtype.
class DeviceTensor {
 public:
  DeviceTensor(osa::Precision prec, std::int64_t n) : prec_(prec), n_(static_cast<std::size_t>(n)) {
    if (prec == osa::Precision::bf16)
      h_ = cuda::DeviceBuffer<bf16_bits>(n_);
    else
      f_ = cuda::DeviceBuffer<float>(n_);
  }
  void* ptr() { return prec_ == osa::Precision::bf16 ? static_cast<void*>(h_.data()) : f_.data(); }
  void upload(const Tensor<double>& x) {
    if (prec_ == osa::Precision::bf16) {
      std::vector<bf16_bits> b(n_);
      for (std::size_t i = 0; i < n_; ++i) b[i].bits = to_bf16(static_cast<float>(x.data()[i]));
      h_.upload(b);
    } else {
      std::vector<float> f(n_);
      for (std::size_t i = 0; i < n_; ++i) f[i] = static_cast<float>(x.data()[i]);
      f_.upload(f);
    }
  }
  Tensor<double> download(const Shape& shape) const {
    Tensor<double> x(shape);
    if (prec_ == osa::Precision::bf16) {
      const auto b = h_.download();
      for (std::size_t i = 0; i < n_; ++i) x.data()[i] = from_bf16(b[i].bits);
    } else {
      const auto f = f_.download();
      for (std::size_t i = 0; i < n_; ++i) x.data()[i] = f[i];
    }
    return x;
  }
  std::vector<unsigned char> bytes() const {
    std::vector<unsigned char> out;
    if (prec_ == osa::Precision::bf16) {
      const auto b = h_.download();
      out.resize(b.size() * 2);
      std::memcpy(out.data(), b.data(), out.size());
    } else {
      const auto f = f_.download();
      out.resize(f.size() * 4);
      std::memcpy(out.data(), f.data(), out.size());
    }
    return out;
  }
  void fill_nan(cudaStream_t s = nullptr) {
    if (prec_ == osa::Precision::bf16)
      h_.fill_nan(s);
    else
      f_.fill_nan(s);
  }

 private:
  osa::Precision prec_;
  std::size_t n_;
  cuda::DeviceBuffer<float> f_;
  cuda::DeviceBuffer<bf16_bits> h_;
};

// One problem on the device: q, k, v, o, dO, dq, dk, dv, lse, the forward's saved state and the workspaces.
struct DeviceProblem {
  sa::Problem p;
  osa::Precision prec;
  DeviceTensor q, k, v, o, dO, dq, dk, dv;
  cuda::DeviceBuffer<float> lse;
  cuda::DeviceBuffer<unsigned char> saved, fwd_ws, bwd_ws;

  DeviceProblem(const osa::Variant& var, const sa::Problem& pr)
      : p(pr), prec(var.precision), q(prec, pr.B * pr.T * pr.H * pr.D), k(prec, pr.B * pr.T * pr.H * pr.D),
        v(prec, pr.B * pr.T * pr.H * pr.Dv), o(prec, pr.B * pr.T * pr.H * pr.Dv),
        dO(prec, pr.B * pr.T * pr.H * pr.Dv), dq(prec, pr.B * pr.T * pr.H * pr.D),
        dk(prec, pr.B * pr.T * pr.H * pr.D), dv(prec, pr.B * pr.T * pr.H * pr.Dv),
        lse(static_cast<std::size_t>(pr.B * pr.H * pr.T)), saved(var.saved_bytes(pr)),
        fwd_ws(var.forward_workspace_bytes(pr)),
        bwd_ws(var.backward_workspace_bytes(pr)) {}

  osa::ForwardArgs forward_args() {
    return {q.ptr(), k.ptr(), v.ptr(), o.ptr(), lse.data(), saved.data(), fwd_ws.data()};
  }
  DeviceTensor& grad(const std::string& name) { return name == "q" ? dq : name == "k" ? dk : dv; }
  osa::BackwardArgs backward_args() {
    return {q.ptr(), k.ptr(), v.ptr(), o.ptr(), dO.ptr(), lse.data(), saved.data(), dq.ptr(), dk.ptr(), dv.ptr(),
            bwd_ws.data()};
  }
};

struct Measure {
  std::string name;
  double kernel = 0, yardstick = 0, tolerance = 0;
  bool finite = true;
  bool pass() const { return finite && kernel <= tolerance; }  // NaN fails
};

inline std::string describe(const sa::Problem& p) {
  return cat("B=", p.B, " T=", p.T, " H=", p.H, " D=", p.D, " Dv=", p.Dv, " window=", p.window, " scale=", p.scale);
}

// relerr against the oracle; where the oracle is identically zero (dq, dk at T = 1 or with window 0, where every
// query sees one key and the softmax has no gradient) the error is measured relative to `scale` (the dv oracle)
// instead: ||x|| / ||scale||.
inline double relerr_or_scaled(const Tensor<double>& x, const Tensor<Mp>& oracle, const Tensor<double>* scale) {
  Mp n = 0;
  for (std::int64_t i = 0; i < oracle.numel(); ++i) n += oracle.data()[i] * oracle.data()[i];
  if (n != 0 || !scale) return ref::relerr(x, oracle);
  return ref::relerr(x, Tensor<Mp>(oracle.shape(), Mp(0))) == 0 ? 0.0
         : [&] {
             double num = 0, den = 0;
             for (std::int64_t i = 0; i < x.numel(); ++i) num += x.data()[i] * x.data()[i];
             for (std::int64_t i = 0; i < scale->numel(); ++i) den += scale->data()[i] * scale->data()[i];
             return std::sqrt(num / den);
           }();
}

inline Measure measure(const std::string& name, const Tensor<double>& got, const Tensor<double>& oracle,
                       const Tensor<float>& yard, Dtype dt, bool gradient, const Tensor<double>* scale = nullptr) {
  const auto oracle_mp = ref::convert<Mp>(oracle);
  Measure m;
  m.name = name;
  m.kernel = relerr_or_scaled(got, oracle_mp, scale);
  m.yardstick = relerr_or_scaled(ref::convert<double>(yard), oracle_mp, scale);
  m.tolerance = tolerance(dt, gradient, m.yardstick);
  m.finite = ref::all_finite(got);
  return m;
}

// Inputs q, k, v (and the upstream gradient "o") of p, uniform in [-1, 1], q and k multiplied by qk_gain, rounded to
// the precision.
inline Named<double> inputs(const sa::Problem& p, std::uint64_t seed, osa::Precision prec, double qk_gain = 1.0) {
  auto specs = sa::tensors(p);
  for (auto& s : specs) s.role = Role::input;  // draw "o" too: it is the upstream gradient dO
  auto in = ref::random_inputs(specs, seed);
  for (auto& [name, t] : in) {
    if (name == "q" || name == "k")
      for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] *= qk_gain;
    t = rounded(t, prec);
  }
  return in;
}

// ||x - oracle|| / ||scale||: the error relative to `scale` rather than to the oracle's own norm.
inline double error_relative_to(const Tensor<double>& x, const Tensor<double>& oracle, const Tensor<double>& scale) {
  double num = 0, den = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) num += (x.data()[i] - oracle.data()[i]) * (x.data()[i] - oracle.data()[i]);
  for (std::int64_t i = 0; i < scale.numel(); ++i) den += scale.data()[i] * scale.data()[i];
  return std::sqrt(num / den);
}

// How dq and dk errors are normalised: by their own norm, or by the magnitudes of their terms (attention_oracle.hpp)
// where they are cancellations of far larger terms (nearly one-hot rows at extreme scores), so that their own norm
// is below the terms' rounding and a relative error says nothing (verify/support/tolerances.hpp).
enum class GradientScale { own_norm, term_magnitudes };

// Forward (and, when `backward`, backward) of the variant on p against the references; one Measure per output.
inline std::vector<Measure> check(const osa::Variant& var, const sa::Problem& p, std::uint64_t seed, bool backward,
                                  double qk_gain = 1.0, GradientScale gradient_scale = GradientScale::own_norm) {
  const auto all = inputs(p, seed, var.precision, qk_gain);
  Named<double> in;
  for (const char* n : {"q", "k", "v"}) in.emplace(n, all.at(n));
  Named<double> dO;
  dO.emplace("o", all.at("o"));
  const auto specs = sa::tensors(p);

  DeviceProblem dp(var, p);
  dp.q.upload(in.at("q"));
  dp.k.upload(in.at("k"));
  dp.v.upload(in.at("v"));
  dp.dO.upload(dO.at("o"));
  dp.o.fill_nan();
  dp.lse.fill_nan();
  dp.saved.fill_bytes(0xFF);  // NaN in every float and bf16 of the saved state
  var.forward(p, dp.forward_args(), nullptr);
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  const Dtype dt = dtype_of(var.precision);
  std::vector<Measure> out;

  Named<double> oracle = allocate<double>(specs, Role::output, NAN);
  fast_forward<double>(p, in, oracle);
  const auto in_f = ref::convert<float>(in);
  const bool bf16 = var.precision == osa::Precision::bf16;
  Named<float> yard = allocate<float>(specs, Role::output, NAN);
  if (bf16)
    fast_forward<float>(p, in_f, yard, Bf16Operands{});
  else
    fast_forward<float>(p, in_f, yard);
  out.push_back(measure("o", dp.o.download(specs[3].shape), oracle.at("o"), yard.at("o"), dt, false));
  if (!backward) return out;

  dp.dq.fill_nan();
  dp.dk.fill_nan();
  dp.dv.fill_nan();
  var.backward(p, dp.backward_args(), nullptr);
  MENAGERIE_CUDA_CHECK(cudaDeviceSynchronize());
  Named<double> g_oracle, magnitudes;
  fast_backward<double>(p, in, dO, g_oracle, Exact{},
                        gradient_scale == GradientScale::term_magnitudes ? &magnitudes : nullptr);
  Named<float> g_yard;
  if (bf16)
    fast_backward<float>(p, in_f, ref::convert<float>(dO), g_yard, Bf16Operands{});
  else
    fast_backward<float>(p, in_f, ref::convert<float>(dO), g_yard);
  const Tensor<double>* scale = &g_oracle.at("v");
  for (const auto& [name, spec] : {std::pair{"q", 0}, std::pair{"k", 1}}) {
    const auto got = dp.grad(name).download(specs[spec].shape);
    if (gradient_scale == GradientScale::own_norm) {
      out.push_back(measure(cat("d", name), got, g_oracle.at(name), g_yard.at(name), dt, true, scale));
      continue;
    }
    Measure m;
    m.name = cat("d", name, " (vs term magnitudes)");
    m.kernel = error_relative_to(got, g_oracle.at(name), magnitudes.at(name));
    m.yardstick = error_relative_to(ref::convert<double>(g_yard.at(name)), g_oracle.at(name), magnitudes.at(name));
    m.tolerance = tolerance(dt, true, m.yardstick);
    m.finite = ref::all_finite(got);
    out.push_back(m);
  }
  out.push_back(measure("dv", dp.dv.download(specs[2].shape), g_oracle.at("v"), g_yard.at("v"), dt, true, scale));
  return out;
}

}  // namespace menagerie::test::attention
