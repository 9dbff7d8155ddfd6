// H3's shift-SSM kernel by its definition; see core/ops/shift_ssm_kernel.hpp for the math.
#include "reference/shift_ssm_kernel.hpp"

#include "reference/instantiate.hpp"

namespace menagerie::ops::shift_ssm_kernel {

namespace {
void check(const Shape& B, std::int64_t nc) {
  require<ShapeError>(B.size() == 2 && nc == B[0] * B[1], "shift_ssm_kernel: B ", shape_str(B), " with ", nc,
                      " C values, expected [D, N] and D N values");
}
}  // namespace

template <class T>
Tensor<T> kernel(const Tensor<T>& B, const Tensor<T>& C, std::int64_t L) {
  check(B.shape(), C.numel());
  const std::int64_t D = B.size(0), N = B.size(1);
  const T* c = C.data();
  Tensor<T> f({D, L}, T(0));
  for (std::int64_t ch = 0; ch < D; ++ch)
    for (std::int64_t tau = 0; tau < std::min(N, L); ++tau) {
      T acc = T(0);
      for (std::int64_t n = 0; n + tau < N; ++n) acc += B(ch, n) * c[ch * N + n + tau];
      f(ch, tau) = acc;
    }
  return f;
}

template <class T>
void kernel_backward(const Tensor<T>& B, const Tensor<T>& C, const Tensor<T>& dfilter, Tensor<T>& dB, Tensor<T>& dC) {
  check(B.shape(), C.numel());
  const std::int64_t D = B.size(0), N = B.size(1), L = dfilter.size(1);
  require<ShapeError>(dfilter.shape() == Shape{D, L}, "shift_ssm_kernel: dfilter ", shape_str(dfilter.shape()),
                      " expected [D, L]");
  dB = Tensor<T>(B.shape(), T(0));
  dC = Tensor<T>(C.shape(), T(0));
  const T* c = C.data();
  T* dc = dC.data();
  for (std::int64_t ch = 0; ch < D; ++ch)
    for (std::int64_t tau = 0; tau < std::min(N, L); ++tau) {
      const T g = dfilter(ch, tau);
      for (std::int64_t n = 0; n + tau < N; ++n) {
        dB(ch, n) += g * c[ch * N + n + tau];
        dc[ch * N + n + tau] += g * B(ch, n);
      }
    }
}

template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out) {
  p.validate();
  const auto s = tensors(p);
  get(out, "filter", s[2].shape) = kernel(get(in, "B", s[0].shape), get(in, "C", s[1].shape), p.T);
}

template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in) {
  p.validate();
  const auto s = tensors(p);
  Tensor<T> dB, dC;
  kernel_backward(get(in, "B", s[0].shape), get(in, "C", s[1].shape), get(d_out, "filter", s[2].shape), dB, dC);
  d_in.insert_or_assign("B", std::move(dB));
  d_in.insert_or_assign("C", std::move(dC));
}

#define INSTANTIATE(T)                                                                                           \
  template Tensor<T> kernel<T>(const Tensor<T>&, const Tensor<T>&, std::int64_t);                                \
  template void kernel_backward<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>&, Tensor<T>&); \
  template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);                                \
  template void reference_backward<T>(const Problem&, const Named<T>&, const Named<T>&, Named<T>&);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ops::shift_ssm_kernel
