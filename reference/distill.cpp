// Laughing Hyena distillation: ERA (Hankel-SVD) poles, least-squares residues, the modal filter and the recurrence.
// The math is in reference/distill.hpp.
#include "reference/distill.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "core/errors.hpp"

namespace menagerie::distill {

namespace {

// Step 3: a pole on or outside the unit circle reflected (or shrunk) inside it.
cplx stabilized(cplx l) {
  const double r = std::abs(l);
  if (r > 1.0) return 1.0 / std::conj(l);
  if (r == 1.0) return l * (1.0 - 1e-12);
  return l;
}

}  // namespace

Modal distill(std::span<const double> h, std::int64_t m) {
  const auto T = static_cast<std::int64_t>(h.size());
  require(T >= 3 && m >= 1, "distill: T = ", T, " must be >= 3 and m = ", m, " >= 1");
  const std::int64_t r = T / 2, c = T - r - 1;
  Eigen::MatrixXd H0(r, c), H1(r, c);
  for (std::int64_t i = 0; i < r; ++i)
    for (std::int64_t j = 0; j < c; ++j) {
      H0(i, j) = h[i + j];
      H1(i, j) = h[i + j + 1];
    }
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(H0, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::VectorXd& s = svd.singularValues();
  Modal out;
  if (s.size() == 0 || s(0) == 0.0) return out;
  std::int64_t n = 0;
  while (n < std::min<std::int64_t>(m, s.size()) && s(n) > s(0) * 1e-13) ++n;
  const Eigen::VectorXd isq = s.head(n).cwiseSqrt().cwiseInverse();
  const Eigen::MatrixXd A =
      isq.asDiagonal() * (svd.matrixU().leftCols(n).transpose() * H1 * svd.matrixV().leftCols(n)) * isq.asDiagonal();
  const Eigen::EigenSolver<Eigen::MatrixXd> eig(A, false);
  out.poles.resize(n);
  for (std::int64_t i = 0; i < n; ++i) out.poles[i] = stabilized(eig.eigenvalues()(i));
  Eigen::MatrixXcd V(T, n);
  for (std::int64_t i = 0; i < n; ++i) {
    cplx p = 1.0;
    for (std::int64_t t = 0; t < T; ++t, p *= out.poles[i]) V(t, i) = p;
  }
  Eigen::VectorXcd rhs(T);
  for (std::int64_t t = 0; t < T; ++t) rhs(t) = h[t];
  const Eigen::VectorXcd R = V.colPivHouseholderQr().solve(rhs);
  out.residues.assign(R.data(), R.data() + n);
  return out;
}

std::vector<double> modal_filter(std::span<const cplx> poles, std::span<const cplx> residues, std::int64_t T) {
  require<ShapeError>(poles.size() == residues.size() && T >= 0, "modal_filter: ", poles.size(), " poles, ",
                      residues.size(), " residues, T = ", T);
  std::vector<double> h(static_cast<std::size_t>(T), 0.0);
  for (std::size_t i = 0; i < poles.size(); ++i) {
    cplx p = residues[i];
    for (std::int64_t t = 0; t < T; ++t, p *= poles[i]) h[t] += p.real();
  }
  return h;
}

std::vector<double> modal_generate(std::span<const cplx> poles, std::span<const cplx> residues,
                                   std::span<const double> u) {
  require<ShapeError>(poles.size() == residues.size(), "modal_generate: ", poles.size(), " poles, ",
                      residues.size(), " residues");
  std::vector<cplx> x(poles.size(), 0.0);
  std::vector<double> y(u.size());
  for (std::size_t t = 0; t < u.size(); ++t) {
    double yt = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = poles[i] * x[i] + u[t];
      yt += (residues[i] * x[i]).real();
    }
    y[t] = yt;
  }
  return y;
}

}  // namespace menagerie::distill
