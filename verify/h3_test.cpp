// h3 specifics: param_count = docs/mixers.md §2.2 (4d^2 + 6d + 3.5 d d_state at head_dim 2) and the table's h3
// column (2 layers, d_state = N = 256); state_size = D N; validate() names bad sizes; and the forward equals an
// independent direct evaluation written here from Zoology's h3.py (std::complex<double> S4D kernel via
// exp(ℓ log Ā) as its log-Vandermonde does, shift filter by its correlation sum, output channel j·H + h).
#include <gtest/gtest.h>

#include <algorithm>
#include <complex>

#include "reference/h3.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::mixers::h3;

TEST(H3, ParamCountFormulaAndTable) {
  for (std::int64_t d : {4, 64, 100})
    for (std::int64_t n : {8, 64, 256})
      EXPECT_EQ(2 * param_count({1, 1, d, n, 2}), 2 * (4 * d * d + 6 * d) + 7 * d * n) << "d=" << d << " N=" << n;
  const std::vector<std::pair<std::int64_t, std::int64_t>> table = {
      {64, 148224}, {128, 361984}, {256, 986112}, {512, 3020800}};
  for (const auto& [d, total] : table) EXPECT_EQ(2 * param_count({1, 256, d, 256, 2}), total) << "d=" << d;
  for (const Problem& p : Contract::test_grid(true)) {
    std::int64_t n = 0;
    for (const auto& s : tensors(p))
      if (s.role == Role::param) n += numel(s.shape);
    EXPECT_EQ(n, param_count(p));
  }
}

TEST(H3, StateSizeAndValidate) {
  EXPECT_EQ(state_size({1, 1024, 64, 16, 2}), 64 * 16);
  try {
    Problem{1, 4, 6, 4, 4}.validate();
    FAIL() << "head_dim 4 with D 6 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("head_dim = 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Problem{1, 4, 4, 3, 2}.validate()), ShapeError);
}

TEST(H3, ForwardEqualsDirectEvaluation) {
  using cd = std::complex<double>;
  const Problem p{2, 9, 6, 4, 2};
  const std::int64_t D = p.D, H = p.heads(), P = p.head_dim, N = p.d_state, T = p.T;
  const auto in = random_inputs(tensors(p), test_seed());
  auto out = allocate<double>(tensors(p), Role::output);
  reference_forward(p, in, out);
  auto lin = [&](const std::string& n, std::int64_t b, std::int64_t t, std::int64_t o) {
    double acc = in.at(n + ".bias")(o);
    for (std::int64_t i = 0; i < D; ++i) acc += in.at("u")(b, t, i) * in.at(n + ".weight")(o, i);
    return acc;
  };
  auto hs = [&](std::int64_t c, std::int64_t tau) {
    double acc = 0;
    for (std::int64_t n = 0; n + tau < N; ++n) acc += in.at("ssm_k_kernel.kernel.B")(c, n) * in.at("ssm_k_kernel.kernel.C")(0, c, n + tau);
    return acc;
  };
  auto K = [&](std::int64_t h, std::int64_t l) {
    const double dt = std::exp(in.at("kernel.kernel.log_dt")(h));
    cd acc = 0;
    for (std::int64_t n = 0; n < N / 2; ++n) {
      const cd A(-std::exp(in.at("kernel.kernel.inv_A_real")(h, n)), in.at("kernel.kernel.A_imag")(h, n));
      const cd B(in.at("kernel.kernel.B")(h, n, 0), in.at("kernel.kernel.B")(h, n, 1));
      const cd C(in.at("kernel.kernel.C")(0, h, n, 0), in.at("kernel.kernel.C")(0, h, n, 1));
      const cd Cp = B * C * dt / (1.0 - dt * A / 2.0), dA = (1.0 + dt * A / 2.0) / (1.0 - dt * A / 2.0);
      acc += Cp * std::exp(static_cast<double>(l) * std::log(dA));
    }
    return 2 * acc.real();
  };
  auto kt = [&](std::int64_t b, std::int64_t t, std::int64_t c) {
    double acc = in.at("ssm_k_D")(c) * lin("k_proj", b, t, c);
    for (std::int64_t s = 0; s <= t; ++s) acc += hs(c, s) * lin("k_proj", b, t - s, c);
    return acc;
  };
  auto kv = [&](std::int64_t b, std::int64_t t, std::int64_t i, std::int64_t j, std::int64_t h) {
    return kt(b, t, h * P + i) * lin("v_proj", b, t, h * P + j);
  };
  Tensor<double> want({p.B, T, D});
  for (std::int64_t b = 0; b < p.B; ++b)
    for (std::int64_t t = 0; t < T; ++t) {
      std::vector<double> o(static_cast<std::size_t>(D), 0.0);
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t j = 0; j < P; ++j)
          for (std::int64_t i = 0; i < P; ++i) {
            double Y = in.at("D")(h) * kv(b, t, i, j, h);
            for (std::int64_t s = 0; s <= t; ++s) Y += K(h, s) * kv(b, t - s, i, j, h);
            o[static_cast<std::size_t>(j * H + h)] += lin("q_proj", b, t, h * P + i) * Y;
          }
      for (std::int64_t c = 0; c < D; ++c) {
        double acc = in.at("output_linear.bias")(c);
        for (std::int64_t i = 0; i < D; ++i) acc += o[static_cast<std::size_t>(i)] * in.at("output_linear.weight")(c, i);
        want(b, t, c) = acc;
      }
    }
  EXPECT_LT(relerr(out.at("y"), convert<Mp>(want)), 1e-12);
}

}  // namespace
}  // namespace menagerie::test
