// A fast CPU twin of reference/softmax_attention.cpp for the GPU tests' long sequences (T = 1000 .. 4096), where the
// generic reference (indexed tensor accessors, one thread) takes minutes per problem. Same algorithm, same
// operation order (rows scored and normalised exactly as the reference does, sums in the same sequence), on raw
// arrays, with rows (forward) or heads (backward) spread over threads; so in float and double it reproduces the
// reference bit for bit. verify/attention_oracle_test.cpp checks that against the reference itself.
// `operand` rounds the probabilities and dS before they enter a product (P V, P^T dO, dS K, dS^T Q): Exact (the
// reference) or, for the yardstick of a kernel whose GEMM operands are bf16, a rounding to bf16 (docs/gpu-harness.md: the
// reference run in the kernel's precision).
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/contract.hpp"
#include "core/ops/softmax_attention.hpp"

namespace menagerie::harness::attention {

namespace sa_fast = ops::softmax_attention;

struct Exact {
  template <class T>
  T operator()(T x) const {
    return x;
  }
};

template <class F>
void parallel_for(std::int64_t n, F&& f) {
  const unsigned workers = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 32u));
  std::atomic<std::int64_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < workers; ++w)
    pool.emplace_back([&] {
      for (std::int64_t i; (i = next.fetch_add(1)) < n;) f(i);
    });
  for (auto& t : pool) t.join();
}

// P[t, s0..t] of one (b, h) row, as the reference's probabilities(): scores, max, exp, normalise.
template <class T>
void row_probabilities(const sa_fast::Problem& p, const T* q, const T* k, std::int64_t b, std::int64_t h,
                       std::int64_t t, T* row) {
  using std::exp;
  const T scale = static_cast<T>(p.softmax_scale());
  const std::int64_t s0 = t - p.visible(t) + 1, qs = p.H * p.D;
  const T* qt = q + (b * p.T + t) * qs + h * p.D;
  T m = T(0);
  for (std::int64_t s = s0; s <= t; ++s) {
    const T* ks = k + (b * p.T + s) * qs + h * p.D;
    T acc = T(0);
    for (std::int64_t d = 0; d < p.D; ++d) acc += qt[d] * ks[d];
    row[s] = scale * acc;
    m = s == s0 ? row[s] : std::max(m, row[s]);
  }
  T z = T(0);
  for (std::int64_t s = s0; s <= t; ++s) z += (row[s] = exp(row[s] - m));
  for (std::int64_t s = s0; s <= t; ++s) row[s] /= z;
}

// in: q, k, v; out: o (allocated here).
template <class T, class Round = Exact>
void fast_forward(const sa_fast::Problem& p, const Named<T>& in, Named<T>& out, Round operand = {}) {
  const T *q = in.at("q").data(), *k = in.at("k").data(), *v = in.at("v").data();
  out.insert_or_assign("o", Tensor<T>({p.B, p.T, p.H, p.Dv}, T(0)));
  T* o = out.at("o").data();
  parallel_for(p.B * p.H * p.T, [&](std::int64_t i) {
    const std::int64_t t = i % p.T, h = (i / p.T) % p.H, b = i / (p.T * p.H);
    std::vector<T> row(static_cast<std::size_t>(p.T));
    row_probabilities(p, q, k, b, h, t, row.data());
    const std::int64_t s0 = t - p.visible(t) + 1, vs = p.H * p.Dv;
    for (std::int64_t e = 0; e < p.Dv; ++e) {
      T acc = T(0);
      for (std::int64_t s = s0; s <= t; ++s)
        acc += operand(row[static_cast<std::size_t>(s)]) * v[(b * p.T + s) * vs + h * p.Dv + e];
      o[(b * p.T + t) * vs + h * p.Dv + e] = acc;
    }
  });
}

// in: q, k, v; d_out: o; d_in: q, k, v (allocated here). The reference's loop order per (b, h). With `magnitudes`,
// also "q" and "k": the gradients' sums taken over the absolute values of their terms,
//   |dq|_t = scale sum_s P_ts (|dP_ts| + |Delta_t|) |k_s|,  |dk|_s = scale sum_t P_ts (|dP_ts| + |Delta_t|) |q_t|,
// the scale of what a rounding of the terms can change (harness/tolerance.hpp, cancelling gradients).
template <class T, class Round = Exact>
void fast_backward(const sa_fast::Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in,
                   Round operand = {}, Named<T>* magnitudes = nullptr) {
  const T *q = in.at("q").data(), *k = in.at("k").data(), *v = in.at("v").data(), *dO = d_out.at("o").data();
  d_in.insert_or_assign("q", Tensor<T>({p.B, p.T, p.H, p.D}, T(0)));
  d_in.insert_or_assign("k", Tensor<T>({p.B, p.T, p.H, p.D}, T(0)));
  d_in.insert_or_assign("v", Tensor<T>({p.B, p.T, p.H, p.Dv}, T(0)));
  T *dq = d_in.at("q").data(), *dk = d_in.at("k").data(), *dv = d_in.at("v").data();
  T *mq = nullptr, *mk = nullptr;
  if (magnitudes) {
    mq = magnitudes->insert_or_assign("q", Tensor<T>({p.B, p.T, p.H, p.D}, T(0))).first->second.data();
    mk = magnitudes->insert_or_assign("k", Tensor<T>({p.B, p.T, p.H, p.D}, T(0))).first->second.data();
  }
  const T scale = static_cast<T>(p.softmax_scale());
  const std::int64_t qs = p.H * p.D, vs = p.H * p.Dv;
  parallel_for(p.B * p.H, [&](std::int64_t i) {
    const std::int64_t h = i % p.H, b = i / p.H;
    std::vector<T> row(static_cast<std::size_t>(p.T)), dP(static_cast<std::size_t>(p.T));
    for (std::int64_t t = 0; t < p.T; ++t) {
      row_probabilities(p, q, k, b, h, t, row.data());
      const std::int64_t s0 = t - p.visible(t) + 1;
      const T* dOt = dO + (b * p.T + t) * vs + h * p.Dv;
      T rowdot = T(0);
      for (std::int64_t s = s0; s <= t; ++s) {
        const T pts = row[static_cast<std::size_t>(s)];
        const T* vsr = v + (b * p.T + s) * vs + h * p.Dv;
        T* dvs = dv + (b * p.T + s) * vs + h * p.Dv;
        T acc = T(0);
        for (std::int64_t e = 0; e < p.Dv; ++e) {
          acc += dOt[e] * vsr[e];
          dvs[e] += operand(pts) * dOt[e];
        }
        dP[static_cast<std::size_t>(s - s0)] = acc;
        rowdot += pts * acc;
      }
      T* dqt = dq + (b * p.T + t) * qs + h * p.D;
      const T* qt = q + (b * p.T + t) * qs + h * p.D;
      for (std::int64_t s = s0; s <= t; ++s) {
        const T dS = operand(row[static_cast<std::size_t>(s)] * (dP[static_cast<std::size_t>(s - s0)] - rowdot)) * scale;
        const T* ks = k + (b * p.T + s) * qs + h * p.D;
        T* dks = dk + (b * p.T + s) * qs + h * p.D;
        for (std::int64_t d = 0; d < p.D; ++d) {
          dqt[d] += dS * ks[d];
          dks[d] += dS * qt[d];
        }
        if (magnitudes) {
          using std::abs;
          const T m = row[static_cast<std::size_t>(s)] * (abs(dP[static_cast<std::size_t>(s - s0)]) + abs(rowdot)) * scale;
          T* mqt = mq + (b * p.T + t) * qs + h * p.D;
          T* mks = mk + (b * p.T + s) * qs + h * p.D;
          for (std::int64_t d = 0; d < p.D; ++d) {
            mqt[d] += m * abs(ks[d]);
            mks[d] += m * abs(qt[d]);
          }
        }
      }
    }
  });
}

}  // namespace menagerie::harness::attention
