// The HiPPO matrices LegS, LegT, FouT and S4's NPLR split of LegS; see reference/hippo.hpp for the math.
#include "reference/hippo.hpp"

#include <boost/math/constants/constants.hpp>

#include "core/errors.hpp"
#include "reference/instantiate.hpp"
#include "reference/scalar.hpp"

namespace menagerie::ref {

std::string_view measure_name(Measure m) {
  switch (m) {
    case Measure::legs: return "legs";
    case Measure::legt: return "legt";
    case Measure::fout: return "fout";
  }
  return "?";
}

namespace {

template <class T>
T root(std::int64_t n) {  // √(2n + 1)
  using std::sqrt;
  return sqrt(T(2 * n + 1));
}

template <class T>
Hippo<T> legs(std::int64_t N) {
  Hippo<T> h{Tensor<T>({N, N}, T(0)), Tensor<T>({N}, T(0))};
  for (std::int64_t n = 0; n < N; ++n) {
    h.B(n) = root<T>(n);
    for (std::int64_t k = 0; k < n; ++k) h.A(n, k) = -root<T>(n) * root<T>(k);
    h.A(n, n) = -T(n + 1);
  }
  return h;
}

template <class T>
Hippo<T> legt(std::int64_t N, const T& theta) {
  Hippo<T> h{Tensor<T>({N, N}, T(0)), Tensor<T>({N}, T(0))};
  for (std::int64_t n = 0; n < N; ++n) {
    h.B(n) = root<T>(n) / theta;
    for (std::int64_t k = 0; k < N; ++k) {
      const T sign = (n >= k || (k - n) % 2 == 0) ? T(1) : T(-1);
      h.A(n, k) = -sign * root<T>(n) * root<T>(k) / theta;
    }
  }
  return h;
}

template <class T>
Hippo<T> fout(std::int64_t N, const T& theta) {
  using std::sqrt;
  const T pi = boost::math::constants::pi<T>();
  Tensor<T> e({N}, T(0));
  e(0) = T(1);
  for (std::int64_t n = 1; n < N; n += 2) e(n) = sqrt(T(2));
  Hippo<T> h{Tensor<T>({N, N}, T(0)), Tensor<T>({N}, T(0))};
  for (std::int64_t n = 0; n < N; ++n) {
    h.B(n) = T(2) * e(n) / theta;
    for (std::int64_t k = 0; k < N; ++k) h.A(n, k) = -T(2) * e(n) * e(k) / theta;
  }
  for (std::int64_t j = 1; 2 * j < N; ++j) {
    h.A(2 * j - 1, 2 * j) += T(2) * pi * T(j) / theta;
    h.A(2 * j, 2 * j - 1) -= T(2) * pi * T(j) / theta;
  }
  return h;
}

}  // namespace

template <class T>
Hippo<T> hippo(Measure m, std::int64_t N, const T& theta) {
  require<ShapeError>(N >= 1, "hippo: state size N = ", N, " must be >= 1");
  require(m == Measure::legs || theta > T(0), "hippo: window length θ must be > 0");
  switch (m) {
    case Measure::legs: return legs<T>(N);
    case Measure::legt: return legt<T>(N, theta);
    case Measure::fout: return fout<T>(N, theta);
  }
  return {};
}

template <class T>
Nplr<T> legs_nplr(std::int64_t N) {
  const Hippo<T> h = legs<T>(N);
  Nplr<T> s{h.A, Tensor<T>({N}, T(0))};
  for (std::int64_t n = 0; n < N; ++n) s.P(n) = sqrt(T(n) + T(1) / T(2));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < N; ++k) s.S(n, k) += s.P(n) * s.P(k);
  return s;
}

#define INSTANTIATE(T)                                                          \
  template Hippo<T> hippo<T>(Measure, std::int64_t, const T&);                  \
  template Nplr<T> legs_nplr<T>(std::int64_t);
MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace menagerie::ref
