// step_fp32: Zoology's Based mixer (core/mixers/based.hpp) in its recurrent form (the linear view; the reference's
// reference_forward_recurrent) on the GPU, one token of B sequences per call. nc column blocks per head
// (optimized/based/variants.hpp), H' = H nc heads of Dc = Dv / nc values, F' = 1 + f + f^2. Per token:
//   q_t = u_t Wq^T, k_t = u_t Wk^T [B, H f], v_t = u_t Wv^T [B, d]        (GEMMs over the B rows)
//   q_t, k_t repeated over the blocks [B, H', f]                          (nc > 1 only)
//   linear_attention recurrent_step:  S += phi(k_t) v_t^T,  z += phi(k_t),  o_t = phi(q_t)^T S / (phi(q_t) . z + eps)
//   y_t = o_t Wo^T                                                        (GEMM into y_t's rows)
// State: S [B, H', F', Dc] then z [B, H', F'] (z is kept once per block: nc F' floats per head, not F');
// the empty state is zeros. Deterministic (the operator's sums over F' are sequential) and bitwise causal.
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/based/variants.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/common/step_form.hpp"
#include "optimized/linear_attention/variants.hpp"

namespace menagerie::opt::based::step_fp32 {
namespace {

using cuda::Op;
namespace la = opt::linear_attention;

// Floats: S [B, H', F', Dc] at 0, z [B, H', F'] after it.
std::size_t s_floats(const Problem& p) {
  const auto lp = blocked_problem(p);
  return static_cast<std::size_t>(p.B * lp.H * lp.expanded_dim() * lp.Dv);
}
std::size_t z_floats(const Problem& p) {
  const auto lp = blocked_problem(p);
  return static_cast<std::size_t>(p.B * lp.H * lp.expanded_dim());
}

// The workspace, in floats: q, k [B, H f]; v, o [B, d]; qr, kr [B, H', f].
struct Layout {
  std::size_t q, k, v, o, qr, kr, total;
  explicit Layout(const Problem& p) {
    const auto B = static_cast<std::size_t>(p.B), hf = static_cast<std::size_t>(p.heads * p.f),
               d = static_cast<std::size_t>(p.d), nc = static_cast<std::size_t>(column_blocks(p));
    Carve c;
    q = c.take(B * hf);
    k = c.take(B * hf);
    v = c.take(B * d);
    o = c.take(B * d);
    qr = c.take(B * hf * nc);
    kr = c.take(B * hf * nc);
    total = c.total();
  }
};

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.d < 1 || p.f < 1 || p.heads < 1 || p.d % p.heads != 0)
    return cat("based step_fp32: B, T, d, f, heads = ", p.B, ", ", p.T, ", ", p.d, ", ", p.f, ", ", p.heads,
               " unsupported (each >= 1, heads divides d)");
  if (p.B * p.T * p.d > (std::int64_t{1} << 31) - 1 || p.B * p.heads * p.f * column_blocks(p) > (std::int64_t{1} << 31) - 1)
    return cat("based step_fp32: B T d = ", p.B * p.T * p.d, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  const std::string why = la::recurrent_step::unsupported(blocked_problem(p));
  return why.empty() ? why : cat("based step_fp32: ", why);
}

std::size_t state_bytes(const Problem& p) { return (s_floats(p) + z_floats(p)) * sizeof(float); }

std::size_t workspace_bytes(const Problem& p) { return Layout(p).total * sizeof(float); }

void reset(const Problem& p, float* state, cudaStream_t s) {
  MENAGERIE_CUDA_CHECK(cudaMemsetAsync(state, 0, state_bytes(p), s));
}

void step(const Problem& p, const DeviceArgs& a, float* state, const float* u_t, std::int64_t ld_u, float* y_t,
          std::int64_t ld_y, float* ws, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t B = p.B, d = p.d, hf = p.heads * p.f;
  const Layout l(p);
  float *q = ws + l.q, *k = ws + l.k, *v = ws + l.v, *o = ws + l.o;
  cuda::gemm_rm(s, Op::N, Op::T, B, hf, d, 1.f, u_t, ld_u, a.as<float>("proj_q.weight"), d, 0.f, q);
  cuda::gemm_rm(s, Op::N, Op::T, B, hf, d, 1.f, u_t, ld_u, a.as<float>("proj_k.weight"), d, 0.f, k);
  cuda::gemm_rm(s, Op::N, Op::T, B, d, d, 1.f, u_t, ld_u, a.as<float>("proj_v.weight"), d, 0.f, v);
  if (column_blocks(p) > 1) {
    repeat_heads(p, B, q, ws + l.qr, s);
    repeat_heads(p, B, k, ws + l.kr, s);
    q = ws + l.qr, k = ws + l.kr;
  }
  la::recurrent_step::step(blocked_problem(p), {q, k, v, state, state + s_floats(p), o}, s);
  cuda::gemm_rm(s, Op::N, Op::T, B, d, d, 1.f, o, d, a.as<float>("proj_o.weight"), d, 0.f, y_t, ld_y);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  return step_buffers(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p);
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  run_steps(StepForm<Problem>{state_bytes, workspace_bytes, reset, step}, p, p.T, p.d, a, s);
}

}  // namespace menagerie::opt::based::step_fp32
