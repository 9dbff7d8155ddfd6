// C7: Prop G.18 through the reference linear attention, and Algorithm 3; see the header for the math.
#include "theory/c7_set_disjointness.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/random.hpp"
#include "reference/linear_attention.hpp"

namespace menagerie::theory::c7 {

namespace {

constexpr std::int64_t kPrefix = 1, kSep = 2, kAnswer = 3, kFirstElement = 4;

std::int64_t random_features(const Config& cfg, std::int64_t a) {
  if (cfg.f > 0) return cfg.f;
  return static_cast<std::int64_t>(std::ceil(30.0 * static_cast<double>(a * a) * std::log(static_cast<double>(cfg.c))));
}

// φ(x) [f] for one token.
std::vector<double> features(const Config& cfg, const Sets& s, std::int64_t x, std::int64_t f) {
  std::vector<double> phi(static_cast<std::size_t>(f), 0.0);
  if (cfg.kernel == Kernel::random) {
    Tensor<std::int64_t> bits({f});
    fill_uniform_int(bits.view(), cfg.seed, 0, 2, static_cast<std::uint64_t>(x) * static_cast<std::uint64_t>(f));
    const double scale = 1.0 / std::sqrt(static_cast<double>(f));
    for (std::int64_t j = 0; j < f; ++j) phi[j] = bits(j) ? scale : -scale;
    return phi;
  }
  const auto a = static_cast<std::int64_t>(s.A.size());
  const auto it = std::find(s.A.begin(), s.A.end(), x);
  if (it != s.A.end()) {
    phi[static_cast<std::size_t>(it - s.A.begin())] = 1.0;
  } else {
    for (std::int64_t l = 0; l < f - a; ++l) phi[static_cast<std::size_t>(a + l)] = bit01(x, l);
  }
  return phi;
}

}  // namespace

Sets parse(const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels, std::int64_t c, std::int64_t i) {
  require(c >= 8 && c % 2 == 0, "c7: vocabulary c = ", c, " must be even and >= 8");
  require<ShapeError>(inputs.rank() == 2 && labels.shape() == inputs.shape() && inputs.size(1) >= 5, "c7: inputs ",
                      shape_str(inputs.shape()), ", labels ", shape_str(labels.shape()),
                      ", expected equal shapes [n, |A| + |B| + 3] with |A|, |B| >= 1");
  const std::int64_t L = inputs.size(1);
  require(inputs(i, 0) == kPrefix && inputs(i, L - 1) == kAnswer, "c7: example ", i, " starts with ", inputs(i, 0),
          " and ends with ", inputs(i, L - 1), ", expected the prefix 1 and the answer separator 3");
  Sets s;
  std::int64_t t = 1;
  for (; t < L - 1 && inputs(i, t) != kSep; ++t) s.A.push_back(inputs(i, t));
  for (++t; t < L - 1; ++t) s.B.push_back(inputs(i, t));
  s.common = labels(i, L - 1);
  require(!s.A.empty() && !s.B.empty(), "c7: example ", i, " has |A| = ", s.A.size(), ", |B| = ", s.B.size(),
          ", expected both >= 1 around one separator 2");
  for (const auto* set : {&s.A, &s.B}) {
    for (const auto x : *set)
      require(x >= kFirstElement && x < c, "c7: example ", i, " has element ", x, ", expected [4, c = ", c, ")");
    require(std::set<std::int64_t>(set->begin(), set->end()).size() == set->size(), "c7: example ", i,
            " repeats an element within a set");
  }
  require(std::count(s.A.begin(), s.A.end(), s.common) == 1 && std::count(s.B.begin(), s.B.end(), s.common) == 1,
          "c7: example ", i, " label ", s.common, " is not an element of both sets");
  return s;
}

std::vector<double> g18_scores(const Config& cfg, const Sets& s, double* eps) {
  const auto a = static_cast<std::int64_t>(s.A.size()), b = static_cast<std::int64_t>(s.B.size());
  const std::int64_t f = cfg.kernel == Kernel::random ? random_features(cfg, a) : a + ceil_log2(cfg.c);
  require(f >= 1, "c7: f = ", f, " features, expected >= 1");
  // The sequence [1] A [2] B [3]; rows 1..|A| carry V = 1.
  std::vector<std::int64_t> seq = {kPrefix};
  seq.insert(seq.end(), s.A.begin(), s.A.end());
  seq.push_back(kSep);
  seq.insert(seq.end(), s.B.begin(), s.B.end());
  seq.push_back(kAnswer);
  const auto T = static_cast<std::int64_t>(seq.size());
  Named<double> in;
  in.emplace("q", Tensor<double>({1, T, 1, f}, 0.0));
  in.emplace("v", Tensor<double>({1, T, 1, 1}, 0.0));
  for (std::int64_t t = 0; t < T; ++t) {
    const auto phi = features(cfg, s, seq[static_cast<std::size_t>(t)], f);
    for (std::int64_t j = 0; j < f; ++j) in.at("q")(0, t, 0, j) = phi[static_cast<std::size_t>(j)];
    if (t >= 1 && t <= a) in.at("v")(0, t, 0, 0) = 1.0;
  }
  in.emplace("k", in.at("q"));
  Named<double> out;
  out.emplace("o", Tensor<double>({1, T, 1, 1}, 0.0));
  const ops::linear_attention::Problem p{1, T, 1, f, 1, ops::linear_attention::FeatureMap::identity, false, 0};
  ops::linear_attention::reference_forward(p, in, out);
  std::vector<double> z;
  for (std::int64_t r = 0; r < b; ++r) z.push_back(out.at("o")(0, a + 2 + r, 0, 0));
  if (eps) {
    *eps = 0;
    const auto& q = in.at("q");
    for (std::int64_t r = 0; r < b; ++r)
      for (std::int64_t j = 0; j < a; ++j) {
        if (s.B[static_cast<std::size_t>(r)] == s.A[static_cast<std::size_t>(j)]) continue;
        double dot = 0;
        for (std::int64_t e = 0; e < f; ++e) dot += q(0, a + 2 + r, 0, e) * q(0, 1 + j, 0, e);
        *eps = std::max(*eps, std::abs(dot));
      }
  }
  return z;
}

G18Result run_g18(const Config& cfg, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels) {
  G18Result g;
  g.result.outcome.guaranteed_margin = std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < inputs.size(0); ++i) {
    const auto s = parse(inputs, labels, cfg.c, i);
    double eps = 0;
    const auto z = g18_scores(cfg, s, &eps);
    double margin = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < z.size(); ++r) {
      const double mlp = std::max(0.0, z[r] - 1.0 / 3.0);  // ReLU(z - 1/3): > 0 iff b is reported in A
      const bool in_a = std::count(s.A.begin(), s.A.end(), s.B[r]) == 1;
      margin = std::min(margin, in_a ? (mlp > 0 ? z[r] - 1.0 / 3.0 : -1.0) : 1.0 / 3.0 - z[r]);
    }
    g.result.outcome.add(margin);
    const auto a = static_cast<double>(s.A.size());
    g.result.outcome.guaranteed_margin = std::min(g.result.outcome.guaranteed_margin, 1.0 / 3.0 - a * eps);
    g.max_eps = std::max(g.max_eps, eps);
    const std::int64_t f = cfg.kernel == Kernel::random ? random_features(cfg, static_cast<std::int64_t>(s.A.size()))
                                                        : static_cast<std::int64_t>(s.A.size()) + ceil_log2(cfg.c);
    g.f = std::max(g.f, f);
  }
  if (g.result.outcome.guaranteed_margin < 0) g.result.outcome.guaranteed_margin = std::numeric_limits<double>::quiet_NaN();
  g.result.dims = {g.f, 2, 3, 3, g.f};  // width f; attention + MLP; the MLP's W1, B1, W2; state f
  return g;
}

std::vector<std::int64_t> algorithm3(const Sets& s, bool inclusive_bound, std::int64_t* state) {
  std::vector<std::int64_t> x(s.A);
  x.push_back(kSep);
  x.insert(x.end(), s.B.begin(), s.B.end());
  const auto M = static_cast<std::int64_t>(x.size());
  x.insert(x.end(), x.begin(), x.begin() + M);  // the JRT prompt A s B A s B
  std::set<std::int64_t> stored, marked;
  std::int64_t first_sep = -1, seps = 0;
  for (std::int64_t i = 0; i < 2 * M; ++i) {
    const std::int64_t tok = x[static_cast<std::size_t>(i)];
    if (tok == kSep) {
      if (++seps == 1) first_sep = i;
      continue;
    }
    if (seps == 0) continue;
    const bool a_smaller = first_sep <= M / 2;
    if (a_smaller) {
      if (seps == 1 && i >= M) stored.insert(tok);          // A's second copy
      else if (seps == 2 && stored.count(tok)) marked.insert(tok);  // B's second copy
    } else {
      if (seps == 1 && (inclusive_bound ? i <= M : i < M)) stored.insert(tok);  // B's first copy
      else if (seps == 1 && i >= M && stored.count(tok)) marked.insert(tok);    // A's second copy
    }
  }
  if (state) *state = static_cast<std::int64_t>(stored.size());
  return {marked.begin(), marked.end()};
}

Alg3Result run_algorithm3(std::int64_t c, const Tensor<std::int64_t>& inputs, const Tensor<std::int64_t>& labels,
                          bool inclusive_bound) {
  Alg3Result r;
  for (std::int64_t i = 0; i < inputs.size(0); ++i) {
    const auto s = parse(inputs, labels, c, i);
    std::int64_t state = 0;
    const auto marked = algorithm3(s, inclusive_bound, &state);
    r.result.outcome.add(marked == std::vector<std::int64_t>{s.common} ? 1.0 : -1.0);
    r.max_state = std::max(r.max_state, state);
    const auto a = static_cast<std::int64_t>(s.A.size()), b = static_cast<std::int64_t>(s.B.size());
    r.max_state_bound = std::max(r.max_state_bound, std::min(a, b) + (a == b + 1 ? 1 : 0));
  }
  r.result.dims.state = r.max_state;
  return r;
}

}  // namespace menagerie::theory::c7
