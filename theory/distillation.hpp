// The experiment of `menagerie distill` (cli/distill.cpp, reports/distillation.md): Laughing Hyena distillation
// (reference/distill.hpp) of three long-convolution filters of T = 1024 taps against the modal order m, and the
// generation check. For each filter h and each m in {2, 4, 8, 16, 32, 64}:
//   fit      = ||h − h_m||_2 / ||h||_2, h_m = modal_filter(distill(h, m));
//   l1       = ||h − h_m||_1, the Young bound's factor: |y_m[t] − y[t]| <= l1 ||u||_∞ for every t;
//   output   = mean over `draws` Gaussian inputs u of ||y_m − y||_2 / ||y||_2, y = h ∗ u by the direct causal sum,
//              y_m = modal_generate (the recurrence, token by token);
//   young    = max over draws and t of |y_m[t] − y[t]| / (l1 ||u||_∞) (<= 1 is the claim);
//   forms    = max over draws of max_t |y_m[t] − (h_m ∗ u)[t]| / max_t |(h_m ∗ u)[t]| (recurrence = convolution).
// The filters (seeded): hyena-like, sum_{k<6} a_k e^{−d_k t/T} sin(ω_k t/T + φ_k) · exp(−(2t/T)^2) (Hyena's
// exponentially modulated sinusoids times a Gaussian window: not a finite modal sum, but smooth, so of low numerical rank); damped-noisy,
// e^{−4t/T} sin(2π 30 t/T) plus white noise of 1e-3; power-law, (1 + t)^{−1.2} cos(0.05 t) (a heavy tail).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace menagerie::theory {

struct DistillRow {
  std::string filter;
  std::int64_t m = 0, order = 0;  // asked, and the order distill returned (<= m)
  double fit = 0, l1 = 0, output = 0, young = 0, forms = 0;
};

std::vector<DistillRow> run_distillation(std::uint64_t seed, int draws = 4);

// The report's Markdown (provenance block first) and the CSV the plot reads (theory/plot_distillation.py).
std::string distillation_markdown(const std::vector<DistillRow>& rows, const std::string& provenance,
                                  std::uint64_t seed, int draws, double seconds);
std::string distillation_csv(const std::vector<DistillRow>& rows);

}  // namespace menagerie::theory
