// The oracle and the yardstick (docs/gpu-harness.md) for a GPU check, per operator (harness/tolerance.hpp has the rule):
//   oracle     the reference in double on the kernel's rounded inputs
//   yardstick  the reference in float on the same inputs, its results rounded to the kernel's storage dtype
// By default both are the contract's reference_forward / reference_backward (found by argument-dependent lookup);
// for a variant that evaluates the recurrent form (Variant::recurrent) the yardstick is the reference's recurrent
// form in float, the same algorithm in the kernel's precision (at T = 1 the parallel form's one shared score a in
// v a / (a + eps) cancels its own rounding; a state's separate numerator and denominator sums do not).
// An operator specialises Yardstick<Problem> where its reference is too slow at the lengths kernels are checked at,
// or where a bf16 kernel rounds intermediate GEMM operands that the float reference does not: softmax attention
// uses the threaded twin of its reference (harness/attention_oracle.hpp), bf16-rounding P and dS for bf16 variants;
// the selective scan's oracle and yardstick are its recurrent form (O(T D N); the unrolled sum is O(T^2 D N)), which
// verify/selective_scan_test.cpp shows equal to the unrolled sum in Mp.
#pragma once
#include <cmath>

#include "core/contract.hpp"
#include "core/dtype.hpp"
#include "harness/attention_oracle.hpp"
#include "harness/device_tensor.hpp"
#include "reference/all.hpp"

namespace menagerie::harness {

template <class P>
struct Yardstick {
  static void forward(const P& p, const Named<double>& in, Named<double>& out) { reference_forward<double>(p, in, out); }
  static void forward(const P& p, const Named<float>& in, Named<float>& out, DType) {
    reference_forward<float>(p, in, out);
  }
  static void backward(const P& p, const Named<double>& in, const Named<double>& d_out, Named<double>& d_in) {
    reference_backward<double>(p, in, d_out, d_in);
  }
  static void backward(const P& p, const Named<float>& in, const Named<float>& d_out, Named<float>& d_in, DType) {
    reference_backward<float>(p, in, d_out, d_in);
  }
};

// The yardstick's operand rounding for bf16 attention kernels.
struct Bf16Operands {
  float operator()(float x) const { return from_bf16(to_bf16(x)); }
};

template <>
struct Yardstick<ops::softmax_attention::Problem> {
  using P = ops::softmax_attention::Problem;
  static void forward(const P& p, const Named<double>& in, Named<double>& out) {
    attention::fast_forward<double>(p, in, out);
  }
  static void forward(const P& p, const Named<float>& in, Named<float>& out, DType dtype) {
    if (dtype == DType::bf16)
      attention::fast_forward<float>(p, in, out, Bf16Operands{});
    else
      attention::fast_forward<float>(p, in, out);
  }
  static void backward(const P& p, const Named<double>& in, const Named<double>& d_out, Named<double>& d_in) {
    attention::fast_backward<double>(p, in, d_out, d_in);
  }
  static void backward(const P& p, const Named<float>& in, const Named<float>& d_out, Named<float>& d_in,
                       DType dtype) {
    if (dtype == DType::bf16)
      attention::fast_backward<float>(p, in, d_out, d_in, Bf16Operands{});
    else
      attention::fast_backward<float>(p, in, d_out, d_in);
  }
};

template <>
struct Yardstick<ops::selective_scan::Problem> {
  using P = ops::selective_scan::Problem;
  static void forward(const P& p, const Named<double>& in, Named<double>& out) {
    reference_forward_recurrent<double>(p, in, out);
  }
  static void forward(const P& p, const Named<float>& in, Named<float>& out, DType) {
    reference_forward_recurrent<float>(p, in, out);
  }
  static void backward(const P& p, const Named<double>& in, const Named<double>& d_out, Named<double>& d_in) {
    reference_backward<double>(p, in, d_out, d_in);
  }
  static void backward(const P& p, const Named<float>& in, const Named<float>& d_out, Named<float>& d_in, DType) {
    reference_backward<float>(p, in, d_out, d_in);
  }
};

}  // namespace menagerie::harness
