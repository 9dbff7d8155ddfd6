// The experiment catalogue behind `menagerie theory` and reports/theory.md: which constructions C1-C7 run on which
// instances and at which sizes (docs/theory.md §4.5, §5 item 6), the lower-bound ingredients (§4.6: degree along a
// ray, the capacity sweep), the statements table (§4.2-4.4, what was checked for each statement and its result),
// and the Markdown of the report. --quick shrinks every size; the committed report uses the headline sizes.
// theory/ may include only core/ and reference/, so the caller supplies the instances: an InstanceSource turns an
// MQAR or set-disjointness size and a seed into token tensors (the CLI uses synthetics/: MQAR with
// numpy_stream = false, JRT disjoint_sets). The parameter table of docs/mixers.md §2.2 and the provenance block are
// also handed in (they come from the contracts and the device query, outside this folder).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "theory/common.hpp"
#include "theory/lower_bounds.hpp"

namespace menagerie::theory {

// Generated instances: inputs, labels [n, N] (labels kNoLabel where nothing is asked).
struct TokenInstances {
  Tensor<std::int64_t> inputs, labels;
};

// n MQAR examples with vocabulary c, length N and D key-value pairs; filler: random_non_queries.
struct MqarSize {
  std::int64_t c = 0, N = 0, D = 0, n = 0;
  bool filler = false;
};

// n set-disjointness examples (JRT disjoint_sets) with vocabulary c and set sizes |A| = a, |B| = b.
struct DisjointSetsSize {
  std::int64_t c = 0, n = 0, a = 0, b = 0;
};

struct InstanceSource {
  std::function<TokenInstances(const MqarSize&, std::uint32_t seed)> mqar;
  std::function<TokenInstances(const DisjointSetsSize&, std::uint32_t seed)> disjoint_sets;
};

struct CatalogueOptions {
  bool quick = false;             // small sizes (c <= 1024, N <= 256) for slow machines
  std::uint32_t seed = 20261123;  // base seed of the generated instances; run k uses seed + k
};

// One row of the construction table: a construction run at one size.
struct ConstructionRow {
  std::string id, statement, sizes, width = {}, depth = {}, params = {};
  bool failure_mode = false;  // a documented failure mode (random filler): no guarantee, not in the summaries
  Outcome outcome = {};
  double seconds = 0;
};

struct BoundsResult {
  std::vector<DegreeCheck> degree;
  std::vector<CapacityPoint> capacity;
  std::int64_t capacity_c = 0, capacity_N = 0;
  double seconds = 0;
};

struct CatalogueResult {
  std::vector<ConstructionRow> rows;
  BoundsResult bounds;
};

// Runs every construction of the catalogue, then the lower-bound checks. progress receives one line (no newline)
// per construction run and per capacity point, as they finish.
CatalogueResult run_catalogue(const CatalogueOptions& o, const InstanceSource& source,
                              const std::function<void(const std::string&)>& progress);

// What the report needs beside the results.
struct ReportContext {
  std::string provenance;       // the Markdown provenance block ("- key: value" lines)
  double total_seconds = 0;     // wall time of the whole command
  std::string parameter_table;  // the Markdown tables of docs/mixers.md §2.2 from the contracts
  bool parameters_match = false;
};

// The text of reports/theory.md.
std::string report_markdown(const CatalogueOptions& o, const CatalogueResult& r, const ReportContext& context);

// The "## Theory" section of `menagerie report`: a link to <dir>/theory.md with its provenance date and SHA and its
// construction table, or a line saying that it has not been generated.
std::string report_summary_section(const std::filesystem::path& dir);

}  // namespace menagerie::theory
