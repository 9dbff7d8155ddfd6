// The gap-slot statistics of MQAR (docs/synthetics.md §1.1, "Gap statistics for the paper settings"): for a given
// (N, D, a), draw the gap slots of `samples` sequences exactly as mqar() does (gap_slots over space = (N - 2D)/2
// slots) and measure the first key's slot g_0 (the first, unconditioned draw of the sequential sampling):
//   P(g_0 = 0), P(g_0 < D), E[g_0], each with its standard error, beside the exact values from p itself
//   (p_1, p_1 + ... + p_D, sum_i (i-1) p_i);
// and the key -> query distance over all D keys, C + 2 g_j - 2 j (mean, min, max).
// The table of docs/synthetics.md §1.1 is reproduced by paper_gap_settings() with a = 0.01 (the expected values are
// there and in verify/synthetics_gap_test.cpp; `menagerie data mqar-gap-stats` prints the table).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace menagerie::synthetics {

struct GapStats {
  std::int64_t seq_len = 0, num_kv_pairs = 0, slots = 0, samples = 0;
  double p_slot0 = 0, p_below_d = 0, mean_slot = 0;     // measured on g_0
  double se_slot0 = 0, se_below_d = 0, se_mean = 0;     // their standard errors (from the exact law)
  double exact_slot0 = 0, exact_below_d = 0, exact_mean = 0;
  double mean_distance = 0;                              // over all keys of all samples
  std::int64_t min_distance = 0, max_distance = 0;
};

GapStats mqar_gap_stats(std::int64_t seq_len, std::int64_t num_kv_pairs, double power_a, std::int64_t samples,
                        std::uint32_t seed);

// (N, D) of the table of docs/synthetics.md §1.1: (64, 4), (128, 8), (256, 16), (512, 64), (1024, 256).
std::vector<std::pair<std::int64_t, std::int64_t>> paper_gap_settings();

}  // namespace menagerie::synthetics
