// composed_fp32: Zoology's Based mixer (core/mixers/based.hpp) in fp32 on the GPU. M = B T rows, Hf = H f, row-major;
// nc column blocks per head (optimized/based/variants.hpp), the operator run on H nc heads of Dc = Dv / nc.
// Forward:
//   q = u Wq^T [M, Hf], k = u Wk^T [M, Hf], v = u Wv^T [M, d]          (GEMMs; saved)
//   qr, kr = q, k repeated over the blocks [M, H nc, f]                 (nc > 1 only; workspace)
//   o, den = linear_attention forward (qr, kr, v)                       (o [M, d] = [B, T, H nc, Dc]; saved)
//   y = o Wo^T
// Backward (dy):
//   dWo = dy^T o;  do = dy Wo
//   qr, kr again (nc > 1);  dqr, dkr, dv = linear_attention backward;  dq, dk = sums of dqr, dkr over the blocks
//   dWq = dq^T u, dWk = dk^T u, dWv = dv^T u;  du = dq Wq + dk Wk + dv Wv
// The linear attention kernels are quadratic's (any f <= 64) up to T = 512, and beyond it chunked_smem's where it
// takes the problem (f in {8, 16}), else quadratic's; both save the same den, and one rule picks both directions.
// Every GEMM is cuBLAS's FP32 SGEMM (no TF32), the operator's kernels and the block sums fixed-order: deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/based/variants.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/linear_attention/variants.hpp"

namespace menagerie::opt::based::composed_fp32 {
namespace {

using cuda::Op;
namespace la = opt::linear_attention;

// The workspace, in floats: qr, kr, dqr, dkr [M, H nc, f]; dq, dk [M, H f]; dv, dO [M, d].
struct Layout {
  std::size_t qr, kr, dqr, dkr, dq, dk, dv, dO, total;
  explicit Layout(const Problem& p) {
    const auto M = static_cast<std::size_t>(p.B * p.T), hf = static_cast<std::size_t>(p.heads * p.f),
               nc = static_cast<std::size_t>(column_blocks(p)), d = static_cast<std::size_t>(p.d);
    Carve c;
    qr = c.take(nc > 1 ? M * hf * nc : 0);
    kr = c.take(nc > 1 ? M * hf * nc : 0);
    dqr = c.take(M * hf * nc);
    dkr = c.take(M * hf * nc);
    dq = c.take(nc > 1 ? M * hf : 0);
    dk = c.take(nc > 1 ? M * hf : 0);
    dv = c.take(M * d);
    dO = c.take(M * d);
    total = c.total();
  }
};

// q and k as the operator reads them: the saved projections, or their repeats in the workspace (written here).
std::pair<const float*, const float*> operator_qk(const Problem& p, const DeviceArgs& a, float* ws, const Layout& l,
                                                  cudaStream_t s) {
  const float *q = a.as<float>("q"), *k = a.as<float>("k");
  if (column_blocks(p) == 1) return {q, k};
  repeat_heads(p, p.B * p.T, q, ws + l.qr, s);
  repeat_heads(p, p.B * p.T, k, ws + l.kr, s);
  return {ws + l.qr, ws + l.kr};
}

// The linear attention kernels of the blocked problem. quadratic's work grows as T^2 and chunked_smem's as T: at the
// trainer's shapes (H 8, F 16, Dv 64; B x T = 512 x 64, 256 x 256, 128 x 512) quadratic's forward + backward took
// 1.15, 4.45 and 7.42 ms on the H100 against chunked_smem's 8.02, 16.1 and 16.2 (kernels_bench, session 29), and
// chunked_smem's time per sequence at T = 1024 is about what quadratic's T^2 growth predicts for its own there.
constexpr std::int64_t quadratic_max_t = 512;
bool chunked(const la::Problem& bp) {
  return bp.T > quadratic_max_t && la::chunked_smem::unsupported(bp).empty();
}
struct Kernels {
  void (*forward)(const la::Problem&, const la::ForwardArgs&, cudaStream_t);
  void (*backward)(const la::Problem&, const la::BackwardArgs&, cudaStream_t);
};
Kernels kernels(const la::Problem& bp) {
  if (chunked(bp)) return {la::chunked_smem::forward, la::chunked_smem::backward};
  return {la::quadratic::forward, la::quadratic::backward};
}

}  // namespace

std::string unsupported(const Problem& p) {
  if (p.B < 1 || p.T < 1 || p.d < 1 || p.f < 1 || p.heads < 1 || p.d % p.heads != 0)
    return cat("based composed_fp32: B, T, d, f, heads = ", p.B, ", ", p.T, ", ", p.d, ", ", p.f, ", ", p.heads,
               " unsupported (each >= 1, heads divides d)");
  if (p.B * p.T * p.d * column_blocks(p) > (std::int64_t{1} << 31) - 1 ||
      p.B * p.T * p.heads * p.f * column_blocks(p) > (std::int64_t{1} << 31) - 1)
    return cat("based composed_fp32: B T d = ", p.B * p.T * p.d, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  const la::Problem bp = blocked_problem(p);
  if (chunked(bp)) return {};
  const std::string why = la::quadratic::unsupported(bp);
  return why.empty() ? why : cat("based composed_fp32: ", why);
}

std::vector<BufferSpec> buffers(const Problem& p) {
  const auto f = sizeof(float);
  const auto M = static_cast<std::size_t>(p.B * p.T);
  const auto qk = M * static_cast<std::size_t>(p.heads * p.f) * f, vo = M * static_cast<std::size_t>(p.d) * f;
  return {{"q", qk, true},
          {"k", qk, true},
          {"v", vo, true},
          {"o", vo, true},
          {"den", static_cast<std::size_t>(p.B * p.heads * column_blocks(p) * p.T) * f, true},
          {"workspace", Layout(p).total * f, false}};
}

void forward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, d = p.d, hf = p.heads * p.f;
  const float* u = a.as<float>("u");
  float *q = a.as<float>("q"), *k = a.as<float>("k"), *v = a.as<float>("v"), *o = a.as<float>("o");
  float* ws = a.as<float>("workspace");
  const Layout l(p);
  cuda::gemm_rm(s, Op::N, Op::T, M, hf, d, 1.f, u, d, a.as<float>("proj_q.weight"), d, 0.f, q);
  cuda::gemm_rm(s, Op::N, Op::T, M, hf, d, 1.f, u, d, a.as<float>("proj_k.weight"), d, 0.f, k);
  cuda::gemm_rm(s, Op::N, Op::T, M, d, d, 1.f, u, d, a.as<float>("proj_v.weight"), d, 0.f, v);
  const auto [qo, ko] = operator_qk(p, a, ws, l, s);
  const la::Problem bp = blocked_problem(p);
  kernels(bp).forward(bp, {qo, ko, v, o, a.as<float>("den")}, s);
  cuda::gemm_rm(s, Op::N, Op::T, M, d, d, 1.f, o, d, a.as<float>("proj_o.weight"), d, 0.f, a.as<float>("y"));
}

void backward(const Problem& p, const DeviceArgs& a, cudaStream_t s) {
  require_supported(unsupported, p);
  const std::int64_t M = p.B * p.T, d = p.d, hf = p.heads * p.f;
  const float *u = a.as<float>("u"), *dy = a.as<float>("dy"), *o = a.as<float>("o");
  float* ws = a.as<float>("workspace");
  const Layout l(p);
  const bool blocked = column_blocks(p) > 1;
  cuda::gemm_rm(s, Op::T, Op::N, d, d, M, 1.f, dy, d, o, d, 0.f, a.as<float>("dproj_o.weight"));
  cuda::gemm_rm(s, Op::N, Op::N, M, d, d, 1.f, dy, d, a.as<float>("proj_o.weight"), d, 0.f, ws + l.dO);
  const auto [qo, ko] = operator_qk(p, a, ws, l, s);
  const la::Problem bp = blocked_problem(p);
  kernels(bp).backward(
      bp, {qo, ko, a.as<float>("v"), o, ws + l.dO, a.as<float>("den"), ws + l.dqr, ws + l.dkr, ws + l.dv}, s);
  float *dq = ws + l.dqr, *dk = ws + l.dkr;
  if (blocked) {
    dq = ws + l.dq, dk = ws + l.dk;
    sum_heads(p, M, ws + l.dqr, dq, s);
    sum_heads(p, M, ws + l.dkr, dk, s);
  }
  struct Part {
    const float* dx;
    std::int64_t rows;
    const char* weight;
    const char* grad;
  };
  const Part parts[] = {{dq, hf, "proj_q.weight", "dproj_q.weight"},
                        {dk, hf, "proj_k.weight", "dproj_k.weight"},
                        {ws + l.dv, d, "proj_v.weight", "dproj_v.weight"}};
  float* du = a.as<float>("du");
  for (int j = 0; j < 3; ++j) {
    const Part& x = parts[j];
    cuda::gemm_rm(s, Op::T, Op::N, x.rows, d, M, 1.f, x.dx, x.rows, u, d, 0.f, a.as<float>(x.grad));
    cuda::gemm_rm(s, Op::N, Op::N, M, d, x.rows, 1.f, x.dx, x.rows, a.as<float>(x.weight), d, j == 0 ? 0.f : 1.f, du);
  }
}

}  // namespace menagerie::opt::based::composed_fp32
