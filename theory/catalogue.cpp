// The experiment catalogue of `menagerie theory` and the Markdown of reports/theory.md (catalogue.hpp): the sizes
// and seeds of every construction run, the lower-bound checks, the statements, construction and bounds tables.
#include "theory/catalogue.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>

#include "theory/c1_attention_triplets.hpp"
#include "theory/c2_shift_attention.hpp"
#include "theory/c3_baseconv_linear_attention.hpp"
#include "theory/c4_distance_shifts.hpp"
#include "theory/c5_equality_tree.hpp"
#include "theory/c6_based_taylor.hpp"
#include "theory/c7_set_disjointness.hpp"

namespace menagerie::theory {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One double through a printf conversion (e.g. "%.4g", "%.2f%%").
std::string printf1(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// A Markdown table cell: '|' escaped.
std::string esc(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string sizes(const MqarSize& m) {
  return cat("(N, D) = (", m.N, ", ", m.D, "), c = ", m.c, ", n = ", m.n, m.filler ? ", random filler" : "");
}

// A margin or rate: "none" for NaN (no guarantee), "-" for infinity (no query), else 4 significant digits.
std::string num(double v) {
  if (std::isnan(v)) return "none";
  if (std::isinf(v)) return "-";
  return printf1("%.4g", v);
}

std::string dims_cell(std::int64_t v, const std::string& bound) { return cat(v, " (", bound, ")"); }

class Runner {
 public:
  Runner(const CatalogueOptions& o, const InstanceSource& source,
         const std::function<void(const std::string&)>& progress)
      : o_(o), source_(source), progress_(progress) {}

  template <class F>
  void add(ConstructionRow row, F&& body) {
    const auto t0 = Clock::now();
    body(row);
    row.seconds = seconds_since(t0);
    char line[512];
    std::snprintf(line, sizeof line, "%-4s %-58s %6lld/%-6lld min margin %-10s %.1f s", row.id.c_str(),
                  row.sizes.c_str(), static_cast<long long>(row.outcome.correct),
                  static_cast<long long>(row.outcome.queries), num(row.outcome.min_margin).c_str(), row.seconds);
    progress_(line);
    rows_.push_back(std::move(row));
  }
  TokenInstances mqar(const MqarSize& m, std::uint32_t seed) const { return source_.mqar(m, seed); }
  TokenInstances disjoint_sets(const DisjointSetsSize& s, std::uint32_t seed) const {
    return source_.disjoint_sets(s, seed);
  }
  void progress(const std::string& line) const { progress_(line); }
  std::vector<ConstructionRow> take_rows() { return std::move(rows_); }
  std::uint32_t seed(std::uint32_t k) const { return o_.seed + k; }
  bool quick() const { return o_.quick; }

 private:
  CatalogueOptions o_;
  const InstanceSource& source_;
  const std::function<void(const std::string&)>& progress_;
  std::vector<ConstructionRow> rows_;
};

// "a/b solved" over the rows of one construction id whose description contains `what` (failure-mode rows apart).
std::string summary(const std::vector<ConstructionRow>& rows, const std::string& id, const std::string& what = "") {
  Outcome all, failure;
  for (const auto& row : rows)
    if (row.id == id && row.statement.find(what) != std::string::npos)
      (row.failure_mode ? failure : all).merge(row.outcome);
  std::string s = cat(all.correct, "/", all.queries, " solved");
  if (failure.queries) s += cat("; random filler (no guarantee) ", failure.correct, "/", failure.queries);
  return s;
}

void run_constructions(Runner& r) {
  const bool q = r.quick();
  const std::int64_t C = q ? 1024 : 8192, NL = q ? 256 : 1024, DL = q ? 64 : 256;
  // C1: Prop 4.3.
  for (const bool binary : {false, true}) {
    const MqarSize m{C, NL, DL, q ? 1 : 4};
    r.add({"C1", "Zoology Prop 4.3", sizes(m) + (binary ? ", ±1 codes, softmax" : ", one-hot, no softmax")},
          [&](ConstructionRow& row) {
            const auto ex = r.mqar(m, r.seed(1));
            const auto t = c1::mqar_triplets(ex.inputs, ex.labels, m.c, m.D);
            const double beta = std::log(static_cast<double>(t.rows.size(1) - 1)) / 2 + 1.0;
            const c1::Config cfg{m.c, binary ? c1::Code::binary : c1::Code::one_hot, beta};
            const auto res = c1::run(cfg, t);
            row.outcome = res.outcome;
            row.width = dims_cell(res.dims.width, binary ? "3⌈log₂c⌉" : "3c");
            row.depth = dims_cell(1, "O(1)");
            row.params = binary
                             ? cat("dense 9b² = ", res.dims.dense_params, " (b = ⌈log₂c⌉); nonzero ", res.dims.params)
                             : cat("dense 9c² = ", res.dims.dense_params, "; nonzero ", res.dims.params);
            if (binary) row.sizes += ", β = ln(R-1)/2 + 1 = " + printf1("%.3g", beta);
          });
  }
  // C2 / C2b.
  const std::int64_t b = ceil_log2(C);
  const MqarSize mid{C, q ? 256 : 512, q ? 32 : 64, q ? 2 : 4}, big{C, NL, DL, q ? 1 : 2};
  for (const auto& run : std::vector<std::tuple<MqarSize, c2::Variant, double>>{
           {mid, c2::Variant::onehot_linear, 0.0},
           {big, c2::Variant::onehot_linear, 0.0},
           {mid, c2::Variant::onehot_softmax, 8.0}}) {
    const MqarSize m = std::get<0>(run);
    const c2::Variant variant = std::get<1>(run);
    const double beta = std::get<2>(run);
    const bool soft = variant == c2::Variant::onehot_softmax;
    r.add({"C2", "induction head (shift + attention)", sizes(m) + (soft ? ", softmax β = 8" : ", linear")},
          [&](ConstructionRow& row) {
            const auto ex = r.mqar(m, r.seed(2));
            const auto res = c2::run({m.c, m.D, variant, beta}, ex.inputs, ex.labels);
            row.outcome = res.outcome;
            row.width = dims_cell(res.dims.width, "2 one-hot blocks + values");
            row.depth = dims_cell(2, "2");
            row.params = cat("nonzero ", res.dims.params);
          });
  }
  for (const double beta : {3.0, 3.6, 5.0}) {
    const MqarSize m{C, NL, DL, q ? 2 : 10};
    r.add({"C2b", "attention width O(log c), independent of N", sizes(m) + cat(", β = ", beta)},
          [&](ConstructionRow& row) {
            const auto ex = r.mqar(m, r.seed(3));
            const auto res = c2::run({m.c, m.D, c2::Variant::binary, beta}, ex.inputs, ex.labels);
            row.outcome = res.outcome;
            row.width = dims_cell(res.dims.width, cat("2⌈log₂c⌉ = ", 2 * b));
            row.depth = dims_cell(2, "2");
            row.params = cat("nonzero ", res.dims.params);
            if (beta <= std::log(static_cast<double>(m.N - 1)) / 2) row.sizes += " (below the β > ln(N-1)/2 guarantee)";
          });
  }
  {
    const MqarSize m{C, NL, DL, q ? 1 : 4, true};
    r.add({"C2b", "random filler (documented failure mode)", sizes(m) + ", β = 5", {}, {}, {}, true},
          [&](ConstructionRow& row) {
            const auto ex = r.mqar(m, r.seed(4));
            const auto res = c2::run({m.c, m.D, c2::Variant::binary, 5.0}, ex.inputs, ex.labels);
            row.outcome = res.outcome;
            row.outcome.guaranteed_margin = std::nan("");
            row.width = dims_cell(res.dims.width, cat(2 * b));
            row.depth = "2";
            row.params = cat("nonzero ", res.dims.params);
          });
  }
  // C3.
  for (const auto& m : {MqarSize{512, 256, 16, 10}, MqarSize{C, NL, DL, q ? 1 : 2}, MqarSize{512, 256, 16, 10, true}}) {
    const char* what = m.filler ? "random filler (documented failure mode)"
                                : "BaseConv = linear attention (cf. Based Prop F.8)";
    r.add({"C3", what, sizes(m), {}, {}, {}, m.filler}, [&](ConstructionRow& row) {
      const auto ex = r.mqar(m, r.seed(5));
      const auto res = c3::run({m.c, m.D}, ex.inputs, ex.labels);
      row.outcome = res.outcome;
      if (m.filler) row.outcome.guaranteed_margin = std::nan("");
      const std::int64_t vb = c3::value_bits(m.c);
      row.width = dims_cell(res.dims.width, cat("(c/2)⌈log₂(c/2)⌉ = ", m.c / 2 * vb, " + c/2 + b"));
      row.depth = dims_cell(2, "2");
      row.params = cat("nonzero ", res.dims.params, "; dense 2(d² + 3Nd) = ",
                       printf1("%.3g", static_cast<double>(res.dims.dense_params)));
    });
  }
  // C4.
  for (const auto& run : std::vector<std::pair<MqarSize, c4::Filters>>{
           {{40, 32, 4, 25}, c4::Filters::data_independent},
           {{160, 128, 8, q ? 4 : 25}, c4::Filters::data_independent},
           {{320, 256, 16, q ? 1 : 4}, c4::Filters::data_independent},
           {{160, 128, 8, 25}, c4::Filters::input_dependent},
           {{q ? 600 : 1100, q ? 512 : 1024, q ? 16 : 32, q ? 2 : 4}, c4::Filters::input_dependent}}) {
    const MqarSize m = run.first;
    const c4::Filters filters = run.second;
    const bool di = filters == c4::Filters::data_independent;
    r.add({"C4", di ? "shift per distance, data-independent" : "input-dependent shifts (Zoology Thm 4.5)", sizes(m)},
          [&](ConstructionRow& row) {
            const auto ex = r.mqar(m, r.seed(6));
            const auto res = c4::run({m.c, m.D, filters}, ex.inputs, ex.labels);
            row.outcome = res.outcome;
            row.width = di ? dims_cell(res.dims.width, cat("(2N-1)c = ", (2 * m.N - 1) * m.c))
                           : dims_cell(res.dims.width, cat("(2t+1)c <= ", (2 * m.D + 1) * m.c));
            row.depth = dims_cell(2, "O(1)");
            row.params = cat("nonzero ", res.dims.params, "; dense ",
                             printf1("%.3g", static_cast<double>(res.dims.dense_params)), " (O(tNc))");
          });
  }
  // C5.
  for (const std::int64_t bits : {4, 12, 13}) {
    const c5::Config cfg{bits, 3};
    r.add({"C5", "equality tree (Based Thm 3.2 depth)", cat("b = ", bits, ", τ = 3, n = 4, N = 53")},
          [&](ConstructionRow& row) {
            const auto res = c5::run(cfg, c5::equality_instances(cfg, 4, 53, r.seed(7)));
            row.outcome = res.outcome;
            row.width = dims_cell(res.dims.width, "b");
            row.depth = dims_cell(res.dims.depth, cat("⌈log₂2b⌉ = ", c5::depth(bits), " (lower bound)"));
            row.params = cat("nonzero ", res.dims.params);
          });
  }
  // C6.
  for (const auto& m : {MqarSize{C, NL, DL, q ? 2 : 10}, MqarSize{C, q ? 256 : 512, q ? 32 : 64, q ? 2 : 10, true}}) {
    r.add({"C6", m.filler ? "random filler (documented failure mode)" : "Based: shift + Taylor linear attention",
           sizes(m), {}, {}, {}, m.filler},
          [&](ConstructionRow& row) {
            const auto ex = r.mqar(m, r.seed(8));
            const auto res = c6::run({m.c, m.D}, ex.inputs, ex.labels);
            row.outcome = res.outcome;
            if (m.filler) row.outcome.guaranteed_margin = std::nan("");
            const std::int64_t f = c6::feature_dim(m.c);
            row.width = dims_cell(res.dims.width, cat("2f, f = ⌈log₂c⌉ = ", f));
            row.depth = dims_cell(2, "2");
            row.params = cat("nonzero ", res.dims.params, "; state (1+f+f²)(c/2+1) = ", res.dims.state);
          });
  }
  // C7.
  for (const bool random : {false, true})
    for (const std::int64_t a : {4, 8, 16}) {
      const std::int64_t nb = 4 * a, n = q ? 20 : (random ? 50 : 200);
      r.add({"C7", random ? "JRT Prop G.18, random ±1/√f kernel" : "JRT Prop G.18, data-dependent kernel",
             cat("c = 2048, |A| = ", a, ", |B| = ", nb, ", n = ", n)},
            [&](ConstructionRow& row) {
              const auto ex = r.disjoint_sets({2048, n, a, nb}, r.seed(9));
              const c7::Kernel kernel = random ? c7::Kernel::random : c7::Kernel::data_dependent;
              const auto g = c7::run_g18({2048, kernel, r.seed(10), 0}, ex.inputs, ex.labels);
              row.outcome = g.result.outcome;
              row.width = dims_cell(g.f, random ? "f = ⌈30|A|² ln c⌉" : "f = |A| + ⌈log₂c⌉");
              row.depth = "2 (attention + MLP)";
              row.params = "ε measured " + printf1("%.3g", g.max_eps) + " vs 1/(3|A|) = " +
                           printf1("%.3g", 1.0 / (3.0 * static_cast<double>(a))) + cat("; state f = ", g.f);
            });
    }
  {
    const std::int64_t n = q ? 100 : 250;
    r.add({"C7", "JRT Algorithm 3 (Thm G.15), i < N", cat("c = 2048, 8 (|A|, |B|) in 1..64, n = ", n, " each")},
          [&](ConstructionRow& row) {
            std::int64_t excess = 0, largest = 0, k = 0;
            for (const auto& [a, nb] : std::vector<std::pair<std::int64_t, std::int64_t>>{
                     {1, 1}, {4, 16}, {16, 4}, {5, 4}, {4, 5}, {32, 64}, {64, 32}, {33, 32}}) {
              const auto ex = r.disjoint_sets({2048, n, a, nb}, r.seed(11 + static_cast<std::uint32_t>(k++)));
              const auto res = c7::run_algorithm3(2048, ex.inputs, ex.labels);
              row.outcome.merge(res.result.outcome);
              excess = std::max(excess, res.max_state - res.max_state_bound);
              largest = std::max(largest, res.max_state);
            }
            row.outcome.guaranteed_margin = std::nan("");
            row.width = "-";
            row.depth = "recurrent";
            row.params = cat("largest |state| ", largest, "; largest |state| - (min(|A|,|B|) + [|A| = |B|+1]) = ",
                             excess);
          });
  }
}

BoundsResult run_bounds(const Runner& r) {
  const auto t0 = Clock::now();
  BoundsResult b;
  for (std::int64_t L = 1; L <= 3; ++L) b.degree.push_back(degree_along_ray(L, 4, 3, r.seed(20) + L));
  b.capacity_c = r.quick() ? 2048 : 8192;
  b.capacity_N = r.quick() ? 256 : 1024;
  for (const std::int64_t D : {16, 64, r.quick() ? 64 : 256}) {
    const auto ex = r.mqar({b.capacity_c, b.capacity_N, D, 1}, r.seed(21));
    for (const std::int64_t m : {1, 4, 16, 64, 256, 1024}) {
      b.capacity.push_back(capacity_point(b.capacity_c, D, m, ex.inputs, ex.labels, r.seed(22)));
      const auto& p = b.capacity.back();
      r.progress(cat("capacity D = ", D, ", m = ", m, ": ", p.outcome.correct, "/", p.outcome.queries));
    }
    if (r.quick() && D == 64) break;
  }
  b.seconds = seconds_since(t0);
  return b;
}

std::string construction_table(const std::vector<ConstructionRow>& rows) {
  std::ostringstream md;
  md << "| id | what | sizes | width (bound) | depth (bound) | parameters / notes | solved | exact | min margin | "
        "guaranteed margin | time |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : rows)
    md << "| " << row.id << " | " << esc(row.statement) << " | " << esc(row.sizes) << " | " << esc(row.width) << " | "
       << esc(row.depth) << " | " << esc(row.params) << " | " << row.outcome.correct << "/" << row.outcome.queries
       << " | "
       << printf1("%.2f%%", 100.0 * row.outcome.rate()) << " | " << num(row.outcome.min_margin) << " | "
       << num(row.outcome.guaranteed_margin) << " | " << printf1("%.1f s", row.seconds) << " |\n";
  return md.str();
}

std::string statement_table(const std::vector<ConstructionRow>& runs, const BoundsResult& b) {
  bool degree_ok = true;
  for (const auto& d : b.degree) degree_ok = degree_ok && d.rel_at_degree > 1e-8 && d.rel_above_degree < 1e-30;
  const std::string degree = degree_ok ? "degree exactly 2^L for L = 1, 2, 3 (table below)" : "DEGREE CHECK FAILED";
  const std::string none = "not checked";
  double worst = -1;  // the best accuracy among the capacity points the information bound rules out
  for (const auto& p : b.capacity)
    if (p.needed_bits > p.state_bits) worst = std::max(worst, p.outcome.rate());
  const std::string capacity = worst < 0 ? "no point with D log₂(c/2) > state bits"
                                         : "best accuracy where D log₂(c/2) > state bits: " + printf1("%.3f", worst);
  const auto s = [&](const std::string& id, const std::string& what = "") { return summary(runs, id, what); };
  const std::vector<std::array<std::string, 4>> rows = {
      {"Zoology Thm 4.2", "BaseConv simulates arithmetic circuits (poly-log blowup)", none,
       "circuit simulation not implemented (docs/theory.md §4.5: not practical)"},
      {"Zoology Prop 4.3", "attention solves MQAR on one-hot triplets, O(c²) params, O(1) layers",
       "C1: one attention layer, 9c² dense parameters, strict mask, no softmax; binary variant with softmax", s("C1")},
      {"Zoology Thm 4.4", "some BaseConv solves MQAR with Õ(N log c) params", "only an O(N c) upper bound (C4)",
       "the Õ(N log c) construction is not specified; C4 data-independent: " + s("C4", "data-independent")},
      {"Zoology Thm 4.5", "input-dependent filters: O(t N c) params, O(1) layers",
       "C4 input-dependent: width 2|𝒯|c, 2 layers", s("C4", "input-dependent")},
      {"Zoology App. H.6", "gated recurrence needs Ω(N) bits when d <= N",
       "illustrated only: capacity experiment (bounded-state model)", "see the capacity table"},
      {"Zoology claims 1-3", "attention d ~ const, convs d >~ N; input dependence helps; windows",
       "C2b (attention, width 2⌈log₂c⌉ at N = 1024) vs C3/C4 (BaseConv width ~c log c or ~N c)",
       "C2b " + s("C2b") + "; consistent with claim 1, but claims 1-3 are empirical (training): not checked"},
      {"Based Thm 3.1 (F.12), Cor F.13", "a recurrent model needs Ω(N) bits of state for MQAR",
       "capacity experiment: accuracy vs state bits (32 m b) and D log₂(c/2)",
       capacity + " (table below); proof not checked"},
      {"Based Thm 3.2 (F.5/F.19)", "data-independent BaseConv needs log(2d) layers, d = log₂c",
       "ingredients: degree along a ray; C5 equality tree at depth ⌈log₂2b⌉",
       degree + "; C5 " + s("C5") + " at depth = the bound"},
      {"Based Remark 3.3", "p-hot codes need ⌊log(2p)⌋ layers", none, "not checked"},
      {"Based Thm 3.4 (F.4/F.14)", "Ω(ε log log N) layers for any encoding", "ingredient: degree <= 2^L", degree},
      {"Based Thm F.30", "O(max(log log c, log log N)) layers suffice", none,
       "not implemented (docs/theory.md §4.5: not practical)"},
      {"Based Prop F.8", "BaseConv simulates linear attention",
       "C3: two formal BaseConv layers = exact linear attention", s("C3")},
      {"Based §4.1 Taylor map", "φ(q)·φ(k) = 1 + q·k + (q·k)²/2 (√f scalings)",
       "C6 runs reference linear_attention taylor_exp (its closed form is tested in linear_attention_test)", s("C6")},
      {"JRT Thm G.6, G.7", "the BaseConv layer bounds hold with JRT prompts", "ingredient: degree <= 2^L", degree},
      {"JRT Prop G.8 / Cor G.9", "an MQAR solver solves EQ with the same layers", none, "not checked"},
      {"JRT Def G.10 / Thm G.11", "p-hot: >= ⌊log(2p)⌋ layers on JRT prompts", none, "not checked"},
      {"JRT Thm G.15", "a recurrent state function solves SD with state O(n min(|A|, |B|))",
       "C7 Algorithm 3 (with the i < N correction): exact answer, |state| <= min(|A|,|B|) + 1",
       s("C7", "Algorithm 3")},
      {"JRT Prop G.18", "linear attention + MLP with an ε = 1/(3|A|) IP kernel solves SD",
       "C7: data-dependent kernel (ε = 0) and random ±1/√f codes, f = ⌈30|A|² ln c⌉", s("C7", "G.18")},
      {"JRT kernel realizations", "exponential, data-dependent and random kernels",
       "data-dependent and random kernels (C7); the exponential kernel is not built", "see the C7 rows"},
      {"JRT Lemma G.20 / Prop G.21", "O(1) input-dependent BaseConv layers move the smaller set first", none,
       "not implemented (relies on Based App. F primitives not specified)"},
      {"JRT Thm G.22 (= 3.2)", "data-dependent Based solves SD in space O(min(|A|,|B|) n)",
       "only its linear attention + MLP part (Prop G.18, A first)", "see the C7 rows"},
      {"JRT Prop G.25, G.26", "GAR solves SD; SD solves GAR with ⌈log₂(c+1)⌉ calls", none, "not checked"},
      {"JRT Thm G.27, Prop G.29", "communication lower bounds for SD / GAR on JR-p prompts", none,
       "proofs, not checked"},
  };
  std::ostringstream md;
  md << "| statement | claim | what was checked | result |\n|---|---|---|---|\n";
  for (const auto& row : rows)
    md << "| " << esc(row[0]) << " | " << esc(row[1]) << " | " << esc(row[2]) << " | " << esc(row[3]) << " |\n";
  return md.str();
}

std::string bounds_tables(const BoundsResult& b) {
  std::ostringstream md;
  md << "### Degree along a ray (Based Thm 3.2 / 3.4 ingredient)\n\nRandom (N = 4, d = 3) formal BaseConv stacks "
        "(dense W, per-position biases, length-N filters, uniform [-1, 1]), evaluated in Mp (50 digits) at λ = 0 .. "
        "2^L + 1; finite differences relative to max |f|.\n\n| layers L | 2^L | max \\|Δ^(2^L) f\\| / max \\|f\\| | "
        "max \\|Δ^(2^L+1) f\\| / max \\|f\\| |\n|---|---|---|---|\n";
  for (const auto& d : b.degree)
    md << "| " << d.layers << " | " << d.degree << " | " << printf1("%.3e", d.rel_at_degree) << " | "
       << printf1("%.3e", d.rel_above_degree) << " |\n";
  md << "\n### Capacity (Based Thm 3.1 illustration)\n\nShift + linear attention (reference, recurrent form, "
        "float32 state S [m, b]) with random ±1/√m key codes and ±1 value codes of b = ⌈log₂(c/2)⌉ bits; c = "
     << b.capacity_c << ", N = " << b.capacity_N
     << ". A query is solved when all b bits of its value are recovered. The bound says no model can succeed when "
        "D·b > state bits; this model fails much earlier (crosstalk of random codes needs m >> D).\n\n"
        "| D | m | state bits (32 m b) | D·b | D·b > state bits | solved | accuracy |\n|---|---|---|---|---|---|---|\n";
  for (const auto& p : b.capacity)
    md << "| " << p.D << " | " << p.m << " | " << p.state_bits << " | " << p.needed_bits << " | "
       << (p.needed_bits > p.state_bits ? "yes" : "no") << " | " << p.outcome.correct << "/" << p.outcome.queries
       << " | " << printf1("%.3f", p.outcome.rate()) << " |\n";
  md << "\n(" << printf1("%.1f", b.seconds) << " s for the degree and capacity checks.)\n";
  return md.str();
}

}  // namespace

CatalogueResult run_catalogue(const CatalogueOptions& o, const InstanceSource& source,
                              const std::function<void(const std::string&)>& progress) {
  Runner r(o, source, progress);
  run_constructions(r);
  CatalogueResult result;
  result.bounds = run_bounds(r);
  result.rows = r.take_rows();
  return result;
}

std::string report_markdown(const CatalogueOptions& o, const CatalogueResult& r, const ReportContext& context) {
  std::ostringstream md;
  md << "# menagerie theory\n\nGenerated by `menagerie theory" << (o.quick ? " --quick" : "") << " --seed " << o.seed
     << "`; do not edit by hand. Constructions and checks: docs/theory.md §4-5 (and its notes on this "
        "implementation), code in theory/. Everything runs in double through the reference operators of reference/ "
        "(Mp for the degree check); instances come from synthetics/ (MQAR with numpy_stream = false, JRT "
        "disjoint_sets).\n\n"
     << context.provenance << "- total time: " << printf1("%.1f", context.total_seconds) << " s\n"
     << "\n## Statements (docs/theory.md §4.2-4.4)\n\n" << statement_table(r.rows, r.bounds)
     << "\n## Constructions (docs/theory.md §4.5)\n\nMargins (a query is solved iff its margin > 0): one-hot "
        "readouts y[target] - max other; ±1 readouts min_l y_l·code_l; 0/1 readouts min_l (1/2 - |y_l - bit_l|); "
        "C7 min over B of (z - 1/3)·(±1). \"guaranteed\" is the margin the construction's header proves for these "
        "settings (none: no guarantee, e.g. β below the bound or random filler). Parameters \"nonzero\" count the "
        "entries of the constructed weights; the dense count is that of the same shapes.\n\n"
     << construction_table(r.rows) << "\n## Lower-bound ingredients (docs/theory.md §4.6)\n\n"
     << bounds_tables(r.bounds)
     << "\n## Parameters and state sizes (docs/mixers.md §2.2)\n\n" << context.parameter_table
     << (context.parameters_match ? "\nAll parameter counts match the formulas and table of docs/mixers.md §2.2.\n"
                                  : "\nSome parameter counts do not match (MISMATCH cells above).\n");
  return md.str();
}

std::string report_summary_section(const std::filesystem::path& dir) {
  const auto path = dir / "theory.md";
  std::ifstream f(path);
  if (!f) return "## Theory\n\n" + path.string() + " has not been generated (run `menagerie theory`).\n";
  std::ostringstream md;
  md << "## Theory\n\nFrom [theory.md](theory.md) (`menagerie theory`): statements, constructions C1-C7, lower-bound "
        "ingredients and the parameter table.\n";
  bool table = false;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("- menagerie ", 0) == 0 || line.rfind("- date", 0) == 0) md << "\n" << line;
    if (line.rfind("## ", 0) == 0) table = line.rfind("## Constructions", 0) == 0;
    if (table && line.rfind("|", 0) == 0) md << (line.rfind("| id ", 0) == 0 ? "\n\n" : "\n") << line;
  }
  md << "\n";
  return md.str();
}

}  // namespace menagerie::theory
