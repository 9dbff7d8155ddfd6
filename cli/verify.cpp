// menagerie verify --cpu: the reference self-checks of reference/conformance.hpp for every operator and mixer in
// core/registry.hpp, one line each: checks run, worst error against its tolerance, pass or FAIL ("n/a" where the
// contract's traits or tensors exclude a check). The checks: causality, batch independence, Mp gradients,
// precision, recurrent form, other forms (reference_forms), linearity in v, time invariance, inputs left unmodified.
// menagerie verify --gpu: the kernels against the references (cli/verify_gpu.cpp).
// --json FILE writes the --cpu rows (id/check, cases, worst / tolerance, pass) for `menagerie gate --verify`.
// menagerie verify --zoology DIR: the double reference against zoology's PyTorch modules, from the folders that
// verify/make_zoology_fixtures.py writes (cli/verify_zoology.cpp); 1e-10 relative per tensor.
// Exit status 1 when any check fails; 2 for bad flags (an unknown --only id lists the known ones).
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "core/io/atomic_file.hpp"
#include "core/provenance.hpp"
#include "cli/verify_gpu.hpp"
#include "cli/verify_zoology.hpp"
#include "core/registry.hpp"
#include "reference/conformance_suite.hpp"

namespace menagerie::cli {

namespace {

struct Options {
  bool cpu = false, gpu = false, full = false, verbose = false;
  std::string report_dir, json_file, zoology_dir;
  std::uint64_t seed = 20261123;
  std::vector<std::string> only, variants;
  int repeats = 3;
};

nlohmann::json& json_rows() {
  static nlohmann::json rows = nlohmann::json::array();
  return rows;
}

std::string cell(const ref::CheckResult& r) {
  if (r.skipped) return cat(r.check, " n/a");
  if (r.tolerance == 0)  // bitwise checks; void cases (nothing could change) are not counted
    return cat(r.check, " ", r.cases, r.void_cases ? cat("+", r.void_cases, "void") : "", " ", r.pass ? "ok" : "FAIL");
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %d worst %.1e/%.0e %s", r.check.c_str(), r.cases, r.worst, r.tolerance,
                r.pass ? "ok" : "FAIL");
  return buf;
}

// The id column's width: the registry's longest id plus one space.
std::size_t id_width() {
  std::size_t w = 0;
  for_each_contract(AllContracts{}, [&]<class C>(std::type_identity<C>) { w = std::max(w, C::id.size()); });
  return w + 1;
}

template <class C>
bool verify_one(const Options& o) {
  std::vector<ref::CheckResult> rs;
  for (const ref::Check check : ref::all_checks) rs.push_back(ref::run_check(C::id, check, o.full, o.seed));
  bool pass = true;
  std::string line = cat(C::id, std::string(id_width() - C::id.size(), ' '));
  for (const auto& r : rs) {
    if (!r.skipped)
      json_rows().push_back({{"key", cat(C::id, "/", r.check)}, {"cases", r.cases}, {"pass", r.pass && r.cases > 0},
                             {"ratio", r.tolerance > 0 ? nlohmann::json(r.worst / r.tolerance) : nlohmann::json()}});
    line += cell(r) + " | ";
    pass = pass && (r.skipped || (r.pass && r.cases > 0));
  }
  std::printf("%s%s\n", line.c_str(), pass ? "PASS" : "FAIL");
  for (const auto& r : rs)
    if (!r.pass) std::printf("    %s %s: %s\n", C::id.data(), r.check.c_str(), r.detail.c_str());
  std::fflush(stdout);
  return pass;
}

template <class... C>
bool verify_all(const Options& o, TypeList<C...>) {
  const std::set<std::string> known = {std::string(C::id)...};
  for (const auto& id : o.only)
    if (!known.count(id)) {
      std::string ids;
      for (const auto& k : known) ids += (ids.empty() ? "" : ", ") + k;
      throw InputError(cat("--only ", id, ": unknown id, expected one of ", ids));
    }
  const auto wanted = [&](std::string_view id) {
    return o.only.empty() || std::find(o.only.begin(), o.only.end(), id) != o.only.end();
  };
  bool pass = true;
  ((pass = (wanted(C::id) ? verify_one<C>(o) : true) && pass), ...);
  return pass;
}

}  // namespace

void add_verify(CLI::App& app) {
  auto* sub = app.add_subcommand("verify", "verify references against each other (--cpu) and kernels against them");
  static Options o;
  sub->add_flag("--cpu", o.cpu,
                "run the CPU reference self-checks (causality, batch independence, Mp gradients, precision, recurrence, "
                "other forms, linearity in v, time invariance, inputs unmodified)");
  sub->add_flag("--full", o.full, "the full size grid and more gradient samples (slower)");
  add_seed_option(*sub, o.seed, "seed of the random inputs");
  sub->add_option("--only", o.only, "verify only these ids (repeatable)");
  sub->add_flag("--gpu", o.gpu,
                "check every GPU kernel variant against its reference (accuracy by the tolerance rule, causality, "
                "determinism): one row per id, variant, dtype and check");
  sub->add_option("--variant", o.variants,
                  "with --gpu: check only these variants of the selected ids (repeatable; e.g. one kernel under "
                  "compute-sanitizer)");
  sub->add_flag("--verbose", o.verbose, "with --gpu: print every measurement");
  sub->add_option("--repeats", o.repeats, "with --gpu: determinism reruns compared bit for bit with the first (default 3)")
      ->check(CLI::Range(1, 1000));
  sub->add_option("--report", o.report_dir, "with --gpu: also write DIR/verify-gpu.md (table, measurements, provenance)");
  sub->add_option("--json", o.json_file, "with --cpu: also write the rows as JSON to FILE (for menagerie gate --verify)");
  sub->add_option("--zoology", o.zoology_dir,
                  "compare the double reference with zoology's float64 PyTorch outputs and gradients in DIR (folders "
                  "written by verify/make_zoology_fixtures.py; e.g. verify/fixtures/zoology): one row per tensor, "
                  "fails beyond 1e-10 relative")
      ->type_name("DIR");
  sub->callback([] {
    require<InputError>(o.cpu || o.gpu || !o.zoology_dir.empty(),
                        "menagerie verify: expected --cpu, --gpu, --zoology DIR or a combination");
    require<InputError>(o.json_file.empty() || o.cpu, "menagerie verify: --json goes with --cpu (--gpu --report DIR "
                        "writes DIR/verify-gpu.json)");
    require<InputError>(o.variants.empty() || o.gpu, "menagerie verify: --variant goes with --gpu");
    if (!o.json_file.empty()) require_output_file("--json", o.json_file);
    if (!o.cpu && !o.gpu) {
      if (!verify_zoology(o.zoology_dir)) throw Error("zoology check failed (see FAIL rows above)");
      return;
    }
    const bool zoology_pass = o.zoology_dir.empty() || verify_zoology(o.zoology_dir);
    if (o.gpu && !o.cpu) {
      verify_gpu({o.only, o.full, o.verbose, o.seed, o.report_dir, o.repeats, o.variants});
      if (!zoology_pass) throw Error("zoology check failed (see FAIL rows above)");
      return;
    }
    std::printf("menagerie verify --cpu: seed %llu, %s grid; causality, batch, inputs: bitwise; gradients: |fd - g| / "
                "(|g| + rms of all gradients) in Mp; precision in units of 1e3 eps; recurrent, forms, linear_v, shift: "
                "relerr in Mp\n",
                static_cast<unsigned long long>(o.seed), o.full ? "full" : "smoke");
    const bool cpu_pass = verify_all(o, AllContracts{});
    if (!o.json_file.empty())
      write_file_atomic(o.json_file, [&](std::ostream& f) {
        f << nlohmann::json{{"kind", "cpu"}, {"seed", o.seed}, {"provenance", to_json(host_provenance())},
                            {"rows", json_rows()}}.dump(1)
          << "\n";
      });
    if (o.gpu) verify_gpu({o.only, o.full, o.verbose, o.seed, o.report_dir, o.repeats, o.variants});
    if (!cpu_pass || !zoology_pass) throw Error("verification failed (see FAIL lines above)");
  });
}

}  // namespace menagerie::cli
