// The parameter and state-size table of specs/mixers.md §2.2 for `menagerie theory`, computed from the contracts in
// core/mixers/ (param_count, state_size) and cross-checked against the per-layer formulas of the spec, written out
// here independently, and against the spec's 2-layer totals at N = 256.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "cli/theory_report.hpp"
#include "core/registry.hpp"

namespace menagerie::cli {

namespace {

struct Column {
  const char* name;
  std::int64_t (*contract)(std::int64_t d, std::int64_t N);  // 2-layer total from the contracts
  std::int64_t (*formula)(std::int64_t d, std::int64_t N);   // the spec's per-layer formulas, summed
  std::int64_t spec[4];                                      // the spec's table, d = 64, 128, 256, 512 (N = 256)
};

std::int64_t mha(std::int64_t d, std::int64_t N) { return mixers::mha::param_count({1, N, d, 1}); }
std::int64_t bc(std::int64_t d, std::int64_t N, mixers::base_conv::Conv k) {
  return mixers::base_conv::param_count({1, N, d, k, 3, N});
}
std::int64_t based(std::int64_t d, std::int64_t N) { return mixers::based::param_count({1, N, d, 8, 1, 1e-12}); }

const Column kColumns[] = {
    {"attention", [](auto d, auto N) { return 2 * mha(d, N); }, [](auto d, auto) { return 2 * (4 * d * d + 4 * d); },
     {33280, 132096, 526336, 2101248}},
    {"hyena", [](auto d, auto N) { return 2 * mixers::hyena::param_count({1, N, d, N, 64, 3}); },
     [](auto d, auto N) { return 2 * (4 * d * d + 81 * d + 8640 + 3 * N); }, {61952, 170624, 584576, 2198912}},
    {"rwkv", [](auto d, auto N) { return 2 * mixers::rwkv::param_count({1, N, d}); },
     [](auto d, auto) { return 2 * (4 * d * d + 5 * d); }, {33408, 132352, 526848, 2102272}},
    {"base_conv", [](auto d, auto N) {
       return bc(d, N, mixers::base_conv::Conv::short_conv) + bc(d, N, mixers::base_conv::Conv::long_implicit);
     },
     [](auto d, auto) { return (d * d + 5 * d) + (d * d + 18 * d + 64); }, {9728, 35776, 137024, 536128}},
    {"h3 (d_state=N)", [](auto d, auto N) { return 2 * mixers::h3::param_count({1, N, d, N, 2}); },
     [](auto d, auto N) { return 2 * (4 * d * d + 6 * d + 7 * d * N / 2); }, {148224, 361984, 986112, 3020800}},
    {"based (f=8)", [](auto d, auto N) { return bc(d, N, mixers::base_conv::Conv::short_conv) + based(d, N); },
     [](auto d, auto) { return (d * d + 5 * d) + (2 * d * d + 2 * d * 8); }, {13632, 51840, 201984, 797184}},
    {"mamba", [](auto d, auto N) { return 2 * mixers::mamba::param_count({1, N, d, 16, 4, 2, 0}); },
     [](auto d, auto) { return 2 * (6 * d * d + 4 * d * ((d + 15) / 16) + 110 * d); },
     {65280, 232960, 875520, 3389440}},
};

std::string grouped(std::int64_t v) {
  std::string s = std::to_string(v), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string state(std::optional<std::int64_t> s) { return s ? grouped(*s) : "None"; }

}  // namespace

std::string parameter_table(bool* all_match) {
  std::ostringstream md;
  const std::int64_t N = 256, ds[4] = {64, 128, 256, 512};
  *all_match = true;
  md << "Mixers only, 2 layers, N = 256 (specs/mixers.md §2.2: attention = 2 MHA; base_conv = [short k=3, "
        "implicit long]; based = [BaseConv short, Based f=8]). Each cell: the contracts' `param_count`; "
        "\"ok\" when it equals the spec's per-layer formula and the spec's table.\n\n| d |";
  for (const auto& c : kColumns) md << ' ' << c.name << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < std::size(kColumns); ++i) md << "---|";
  md << '\n';
  for (int i = 0; i < 4; ++i) {
    md << "| " << ds[i] << " |";
    for (const auto& c : kColumns) {
      const auto v = c.contract(ds[i], N);
      const bool ok = v == c.formula(ds[i], N) && v == c.spec[i];
      *all_match = *all_match && ok;
      md << ' ' << grouped(v) << (ok ? " ok" : fmt::format(" MISMATCH (formula {}, spec {})", c.formula(ds[i], N), c.spec[i]))
         << " |";
    }
    md << '\n';
  }
  md << "\nState size per layer (numbers; the contracts' `state_size`, zoology's formulas) at sequence length "
        "T = 1024; the model-level state of Based Fig. 2 is the 2-layer sum x 4 bytes.\n\n"
        "| d | mha (2dT) | sliding_attn w=64 (2wd) | base_conv short (dk) | base_conv long (dT) | hyena (dT) | "
        "h3 d_state=d/4 (d d_state) | rwkv | based f=16 (d D~ + D~) | mamba (2 d d_state) |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
  const std::int64_t T = 1024;
  for (const auto d : ds) {
    md << "| " << d << " | " << state(mixers::mha::state_size({1, T, d, 1})) << " | "
       << state(mixers::sliding_attn::state_size({1, T, d, 64})) << " | "
       << state(mixers::base_conv::state_size({1, T, d, mixers::base_conv::Conv::short_conv, 3, T})) << " | "
       << state(mixers::base_conv::state_size({1, T, d, mixers::base_conv::Conv::long_implicit, 3, T})) << " | "
       << state(mixers::hyena::state_size({1, T, d, T, 64, 3})) << " | "
       << state(mixers::h3::state_size({1, T, d, d / 4, 2})) << " | " << state(mixers::rwkv::state_size({1, T, d}))
       << " | " << state(mixers::based::state_size({1, T, d, 16, 1, 1e-12})) << " | "
       << state(mixers::mamba::state_size({1, T, d, 16, 4, 2, 0})) << " |\n";
  }
  md << "\nrwkv: zoology's RWKVTimeMixer has no `state_size`, so the model-level state is None (its true recurrent "
        "state is about 4d numbers).\n";
  return md.str();
}

}  // namespace menagerie::cli
