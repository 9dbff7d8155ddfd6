// The parameter and state-size tables of docs/mixers.md §2.2 for `menagerie theory`, from the columns each mixer
// contract of core/registry.hpp declares (param_columns, state_columns; core/table_columns.hpp), in registry order:
// each parameter cell is the contracts' param_count of the column's 2-layer stack, cross-checked against the
// per-layer formulas of the spec (written out in the contract independently of param_count) and against the spec's
// 2-layer totals at N = 256.
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "cli/theory_report.hpp"
#include "core/registry.hpp"

namespace menagerie::cli {

namespace {

std::vector<ParamColumn> param_columns(std::int64_t d, std::int64_t N) {
  std::vector<ParamColumn> all;
  for_each_contract(Mixers{}, [&]<class C>(std::type_identity<C>) {
    for (auto& c : C::param_columns(d, N)) all.push_back(std::move(c));
  });
  return all;
}

std::vector<StateColumn> state_columns(std::int64_t d, std::int64_t T) {
  std::vector<StateColumn> all;
  for_each_contract(Mixers{}, [&]<class C>(std::type_identity<C>) {
    for (auto& c : C::state_columns(d, T)) all.push_back(std::move(c));
  });
  return all;
}

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
  const std::int64_t N = 256;
  *all_match = true;
  md << "Mixers only, 2 layers, N = 256 (docs/mixers.md §2.2: attention = 2 MHA; base_conv = [short k=3, "
        "implicit long]; based = [BaseConv short, Based f=8]). Each cell: the contracts' `param_count`; "
        "\"ok\" when it equals the spec's per-layer formula and the spec's table.\n\n| d |";
  const auto header = param_columns(table_widths[0], N);
  for (const auto& c : header) md << ' ' << c.label << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < header.size(); ++i) md << "---|";
  md << '\n';
  for (std::size_t i = 0; i < table_widths.size(); ++i) {
    md << "| " << table_widths[i] << " |";
    for (const auto& c : param_columns(table_widths[i], N)) {
      std::int64_t v = 0;
      for (const auto& layer : c.layers) v += layer.param_count();
      const bool ok = v == c.formula && v == c.spec[i];
      *all_match = *all_match && ok;
      md << ' ' << grouped(v) << (ok ? " ok" : fmt::format(" MISMATCH (formula {}, spec {})", c.formula, c.spec[i]))
         << " |";
    }
    md << '\n';
  }
  const std::int64_t T = 1024;
  md << "\nState size per layer (numbers; the contracts' `state_size`, zoology's formulas) at sequence length "
        "T = 1024; the model-level state of Based Fig. 2 is the 2-layer sum x 4 bytes.\n\n| d |";
  const auto state_header = state_columns(table_widths[0], T);
  for (const auto& c : state_header) md << ' ' << c.label << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < state_header.size(); ++i) md << "---|";
  md << '\n';
  for (const auto d : table_widths) {
    md << "| " << d << " |";
    for (const auto& c : state_columns(d, T)) md << ' ' << state(c.layer.state_size(T)) << " |";
    md << '\n';
  }
  md << "\nrwkv: zoology's RWKVTimeMixer has no `state_size`, so the model-level state is None (its true recurrent "
        "state is about 4d numbers).\n";
  return md.str();
}

}  // namespace menagerie::cli
