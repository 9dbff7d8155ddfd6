// Softmax attention between two projections in fp32 (optimized/common/projected_attention.hpp has the math).
// M = B T rows, row-major throughout. Forward: three GEMMs on the row blocks of Wqkv.weight (so q, k, v are
// contiguous [M, d], the operator's [B, T, H, D] layout), their biases, the operator's forward, the output GEMM and
// its bias. Backward: dWo, dbo, do; the operator's backward into dq, dk, dv; per x in (q, k, v) dW rows, db, and
// du accumulated by three GEMMs (beta 0, 1, 1). The operator's buffers: "lse" and "attn_saved" (its "saved") are
// saved here too, its workspace a section of ours. With a DropoutMask that is on, the attention is gemm_cublas_fp32's
// dropout entry points and every scratch section lies in "dropout_workspace" (laid out for that variant).
#include "optimized/common/projected_attention.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/pointwise.hpp"
#include "optimized/softmax_attention/gemm_cublas_dropout.hpp"
#include "optimized/softmax_attention/variants.hpp"

namespace menagerie::opt::projected_attention {
namespace {

using cuda::Op;
namespace sa = opt::softmax_attention;

std::size_t floats_of(std::size_t bytes) { return (bytes + sizeof(float) - 1) / sizeof(float); }

const sa::Variant& attention(const Shape& s) { return sa::choose(attention_problem(s), DType::f32); }
// The attention of the dropout path.
const sa::Variant& dropout_attention(const Shape& s) { return sa::variant("gemm_cublas_fp32", attention_problem(s)); }

std::size_t buffer_bytes(const sa::Variant& v, const Shape& s, const std::string& name) {
  for (const auto& b : v.buffers(attention_problem(s)))
    if (b.name == name) return b.bytes;
  return 0;
}

// The workspace, in floats: ones [M]; dq, dk, dv, do [M, d]; the operator's workspace.
struct Layout {
  std::size_t ones, dq, dk, dv, dO, attn, total;
  Layout(const Shape& s, const sa::Variant& v) {
    const auto M = static_cast<std::size_t>(s.B * s.T), d = static_cast<std::size_t>(s.d);
    Carve c;
    ones = c.take(M);
    dq = c.take(M * d);
    dk = c.take(M * d);
    dv = c.take(M * d);
    dO = c.take(M * d);
    attn = c.take(floats_of(buffer_bytes(v, s, "workspace")));
    total = c.total();
  }
};

// The operator's named tensors over ours.
DeviceArgs attention_args(const DeviceArgs& a, float* ws, const Layout& l, bool backward) {
  DeviceArgs x;
  for (const char* n : {"q", "k", "v", "o", "lse"}) x.set(n, a.get(n));
  x.set("saved", a.get("attn_saved"));
  x.set("workspace", ws + l.attn);
  if (backward) {
    x.set("do", ws + l.dO);
    x.set("dq", ws + l.dq);
    x.set("dk", ws + l.dk);
    x.set("dv", ws + l.dv);
  }
  return x;
}

}  // namespace

ops::softmax_attention::Problem attention_problem(const Shape& s) {
  const std::int64_t D = s.heads >= 1 ? s.d / s.heads : s.d;
  return {.B = s.B, .T = s.T, .H = s.heads, .D = D, .Dv = D, .window = s.window, .scale = 0};
}

std::string unsupported(const Shape& s, const std::string& who) {
  if (s.B < 1 || s.T < 1 || s.d < 1 || s.heads < 1 || s.d % s.heads != 0)
    return cat(who, ": B, T, d, heads = ", s.B, ", ", s.T, ", ", s.d, ", ", s.heads,
               " unsupported (each >= 1, heads divides d)");
  if (s.B * s.T * 3 * s.d > (std::int64_t{1} << 31) - 1)
    return cat(who, ": 3 B T d = ", 3 * s.B * s.T * s.d, " exceeds cuBLAS's 32-bit sizes (2^31 - 1)");
  try {
    attention(s);
  } catch (const ShapeError& e) {
    return cat(who, ": ", e.what());
  }
  return {};
}

std::vector<BufferSpec> buffers(const Shape& s) {
  const auto btd = static_cast<std::size_t>(s.B * s.T * s.d) * sizeof(float);
  return {{"q", btd, true},
          {"k", btd, true},
          {"v", btd, true},
          {"o", btd, true},
          {"lse", buffer_bytes(attention(s), s, "lse"), true},
          {"attn_saved", buffer_bytes(attention(s), s, "saved"), true},
          {"workspace", Layout(s, attention(s)).total * sizeof(float), false}};
}

std::string unsupported_dropout(const Shape& s, const std::string& who) {
  if (auto why = unsupported(s, who); !why.empty()) return why;
  if (auto why = sa::gemm_cublas::unsupported(attention_problem(s)); !why.empty())
    return cat(who, " with attention dropout: ", why);
  return {};
}

std::vector<BufferSpec> dropout_buffers(const Shape& s) {
  return {{"dropout_workspace", Layout(s, dropout_attention(s)).total * sizeof(float), false}};
}

void forward(const Shape& s, const DeviceArgs& a, const DropoutMask& m, cudaStream_t st) {
  const std::int64_t M = s.B * s.T, d = s.d;
  const float *u = a.as<float>("u"), *W = a.as<float>("Wqkv.weight"), *b = a.as<float>("Wqkv.bias");
  const sa::Variant& att = m.on ? dropout_attention(s) : attention(s);
  const Layout l(s, att);
  float* ws = a.as<float>(m.on ? "dropout_workspace" : "workspace");
  const char* parts[] = {"q", "k", "v"};
  for (std::int64_t j = 0; j < 3; ++j) {
    float* x = a.as<float>(parts[j]);
    cuda::gemm_rm(st, Op::N, Op::T, M, d, d, 1.f, u, d, W + j * d * d, d, 0.f, x);
    add_bias(st, x, b + j * d, M, d);
  }
  if (m.on)
    sa::gemm_cublas::forward_fp32_dropout(
        attention_problem(s),
        {a.get("q"), a.get("k"), a.get("v"), a.get("o"), a.as<float>("lse"), nullptr, ws + l.attn}, m, st);
  else
    att.forward(attention_problem(s), attention_args(a, ws, l, false), st);
  float* y = a.as<float>("y");
  cuda::gemm_rm(st, Op::N, Op::T, M, d, d, 1.f, a.as<float>("o"), d, a.as<float>("out_proj.weight"), d, 0.f, y);
  add_bias(st, y, a.as<float>("out_proj.bias"), M, d);
}

void backward(const Shape& s, const DeviceArgs& a, const DropoutMask& m, cudaStream_t st) {
  const std::int64_t M = s.B * s.T, d = s.d;
  const float *u = a.as<float>("u"), *W = a.as<float>("Wqkv.weight"), *dy = a.as<float>("dy");
  const sa::Variant& att = m.on ? dropout_attention(s) : attention(s);
  const Layout l(s, att);
  float *ws = a.as<float>(m.on ? "dropout_workspace" : "workspace"), *ones = ws + l.ones;
  fill(st, ones, M, 1.f);
  cuda::gemm_rm(st, Op::T, Op::N, d, d, M, 1.f, dy, d, a.as<float>("o"), d, 0.f, a.as<float>("dout_proj.weight"));
  cuda::column_sums(st, M, d, dy, ones, a.as<float>("dout_proj.bias"));
  cuda::gemm_rm(st, Op::N, Op::N, M, d, d, 1.f, dy, d, a.as<float>("out_proj.weight"), d, 0.f, ws + l.dO);
  if (m.on)
    sa::gemm_cublas::backward_fp32_dropout(attention_problem(s),
                                           {a.get("q"), a.get("k"), a.get("v"), a.get("o"), ws + l.dO,
                                            a.as<float>("lse"), nullptr, ws + l.dq, ws + l.dk, ws + l.dv,
                                            ws + l.attn},
                                           m, st);
  else
    att.backward(attention_problem(s), attention_args(a, ws, l, true), st);
  float *dW = a.as<float>("dWqkv.weight"), *db = a.as<float>("dWqkv.bias"), *du = a.as<float>("du");
  const float* dx[] = {ws + l.dq, ws + l.dk, ws + l.dv};
  for (std::int64_t j = 0; j < 3; ++j) {
    cuda::gemm_rm(st, Op::T, Op::N, d, d, M, 1.f, dx[j], d, u, d, 0.f, dW + j * d * d);
    cuda::column_sums(st, M, d, dx[j], ones, db + j * d);
    cuda::gemm_rm(st, Op::N, Op::N, M, d, d, 1.f, dx[j], d, W + j * d * d, d, j == 0 ? 0.f : 1.f, du);
  }
}

void forward(const Shape& s, const DeviceArgs& a, cudaStream_t st) { forward(s, a, DropoutMask{}, st); }
void backward(const Shape& s, const DeviceArgs& a, cudaStream_t st) { backward(s, a, DropoutMask{}, st); }

}  // namespace menagerie::opt::projected_attention
