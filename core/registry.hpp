// The central lists of operator and mixer contracts, and the checks that each contract has every piece its
// consumers need (core/contract.hpp lists them). verify, bench/reference_bench.cpp, train/ and cli/theory_params.cpp
// iterate these lists (for_each_contract), so no consumer keeps a per-id list; a contract that lacks a piece fails
// to compile here, with a message naming the piece, and the compiler's "required from" line naming the contract.
#pragma once
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/config_key.hpp"
#include "core/init_law.hpp"
#include "core/table_columns.hpp"

#include "core/ops/softmax_attention.hpp"
#include "core/ops/linear_attention.hpp"
#include "core/mixers/mha.hpp"
#include "core/mixers/sliding_attn.hpp"
#include "core/mixers/based.hpp"
#include "core/ops/short_conv.hpp"
#include "core/mixers/base_conv.hpp"
#include "core/mixers/hyena.hpp"
#include "core/mixers/h3.hpp"
#include "core/ops/long_conv.hpp"
#include "core/ops/s4d_kernel.hpp"
#include "core/ops/shift_ssm_kernel.hpp"
#include "core/ops/rtf_kernel.hpp"
#include "core/ops/monarch_conv.hpp"
#include "core/ops/m2_channel.hpp"
#include "core/ops/s4_kernel.hpp"
#include "core/ops/lssl.hpp"
#include "core/ops/layer_norm.hpp"
#include "core/ops/embedding.hpp"
#include "core/ops/lm_head.hpp"
#include "core/ops/cross_entropy.hpp"
#include "core/ops/wkv.hpp"
#include "core/ops/selective_scan.hpp"
#include "core/mixers/rwkv.hpp"
#include "core/mixers/mamba.hpp"
#include "core/ops/gated_linear_attention.hpp"
#include "core/ops/delta_rule.hpp"
#include "core/mixers/gla.hpp"
#include "core/mixers/mamba2.hpp"
#include "core/mixers/deltanet.hpp"
#include "core/mixers/gated_deltanet.hpp"
#include "core/mixers/jrt.hpp"
#include "core/mixers/m2.hpp"
#include "core/mixers/sigmoid_lookups.hpp"
#include "core/mixers/repeat_lookups.hpp"

namespace menagerie {

template <class... C>
struct TypeList {};

template <class A, class B> struct Concat;
template <class... A, class... B> struct Concat<TypeList<A...>, TypeList<B...>> { using type = TypeList<A..., B...>; };

using Operators = TypeList<ops::softmax_attention::Contract, ops::linear_attention::Contract, ops::short_conv::Contract, ops::long_conv::Contract, ops::s4d_kernel::Contract, ops::shift_ssm_kernel::Contract, ops::rtf_kernel::Contract, ops::monarch_conv::Contract, ops::m2_channel::Contract, ops::s4_kernel::Contract, ops::lssl::Contract, ops::wkv::Contract, ops::selective_scan::Contract, ops::gated_linear_attention::Contract, ops::delta_rule::Contract, ops::layer_norm::Contract, ops::embedding::Contract, ops::lm_head::Contract, ops::cross_entropy::Contract>;

using Mixers = TypeList<mixers::mha::Contract, mixers::sliding_attn::Contract, mixers::based::Contract, mixers::base_conv::Contract, mixers::hyena::Contract, mixers::h3::Contract, mixers::rwkv::Contract, mixers::mamba::Contract, mixers::gla::Contract, mixers::mamba2::Contract, mixers::deltanet::Contract, mixers::gated_deltanet::Contract, mixers::jrt::Contract, mixers::m2::Contract, mixers::sigmoid_lookups::Contract, mixers::repeat_lookups::Contract>;

using AllContracts = Concat<Operators, Mixers>::type;

// f(std::type_identity<C>{}) for each contract C of the list, in order.
template <class... C, class F>
void for_each_contract(TypeList<C...>, F&& f) {
  (f(std::type_identity<C>{}), ...);
}

// "mha, sliding_attn, ...": the ids of the list, in order (for "expected one of" messages).
template <class... C>
std::string contract_ids(TypeList<C...>) {
  std::string out;
  ((out += (out.empty() ? "" : ", ") + std::string(C::id)), ...);
  return out;
}

// The pieces, one concept each, so a failed check names what is missing.
namespace piece {
template <class C> concept id = std::convertible_to<decltype(C::id), std::string_view>;
template <class C> concept problem_type = requires { typename C::problem_type; };
template <class C> concept traits = std::convertible_to<decltype(C::traits), Traits>;
template <class C> concept test_grid = requires {
  { C::test_grid(true) } -> std::convertible_to<std::vector<typename C::problem_type>>;
};
template <class C> concept reference_bench_cases = requires(std::int64_t n) {
  { C::reference_bench_cases(n, n) } -> std::convertible_to<std::vector<ReferenceBenchCase<typename C::problem_type>>>;
};
template <class C> concept model_width = std::same_as<std::remove_cv_t<decltype(C::model_width)>,
                                                      std::int64_t C::problem_type::*>;
template <class C> concept frozen = requires { std::string_view(*std::begin(C::frozen)); };
template <class C> concept config_keys = requires {
  { C::config_keys() } -> std::convertible_to<std::vector<ConfigKey<typename C::problem_type>>>;
};
template <class C> concept init_laws = requires {
  { C::init_laws() } -> std::convertible_to<std::vector<InitLaw>>;
};
template <class C> concept param_columns = requires(std::int64_t n) {
  { C::param_columns(n, n) } -> std::convertible_to<std::vector<ParamColumn>>;
};
template <class C> concept state_columns = requires(std::int64_t n) {
  { C::state_columns(n, n) } -> std::convertible_to<std::vector<StateColumn>>;
};
}  // namespace piece

// Every contract (operator or mixer) of the lists.
template <class C>
consteval bool check_contract() {
  static_assert(piece::id<C>, "contract lacks id: declare `static constexpr std::string_view id = \"<id>\";`");
  static_assert(piece::problem_type<C>, "contract lacks problem_type: declare `using problem_type = Problem;`");
  static_assert(piece::traits<C>, "contract lacks traits: declare `static constexpr Traits traits{...};`");
  static_assert(piece::test_grid<C>,
                "contract lacks test_grid: declare `static std::vector<Problem> test_grid(bool full)` in its "
                "core/<ops|mixers>/<id>.hpp");
  static_assert(piece::reference_bench_cases<C>,
                "contract lacks reference_bench_cases: declare `static std::vector<ReferenceBenchCase<Problem>> "
                "reference_bench_cases(std::int64_t T, std::int64_t d)` in its core/<ops|mixers>/<id>.hpp (an empty "
                "list when it is not benchmarked)");
  return true;
}

// Every mixer of the Mixers list: what train/, cli/theory_params.cpp and the model need besides.
template <class C>
consteval bool check_mixer() {
  static_assert(piece::model_width<C>,
                "mixer contract lacks model_width: declare `static constexpr std::int64_t Problem::*model_width = "
                "&Problem::<width field>;` in core/mixers/<id>.hpp");
  static_assert(piece::frozen<C>,
                "mixer contract lacks frozen: declare `static constexpr std::array<std::string_view, n> frozen` "
                "(empty when every parameter is trained) in core/mixers/<id>.hpp");
  static_assert(piece::config_keys<C>,
                "mixer contract lacks config_keys: declare `static std::vector<ConfigKey<Problem>> config_keys()` "
                "(core/config_key.hpp; an empty list when the mixer has no hyper-parameter) in core/mixers/<id>.hpp");
  static_assert(piece::init_laws<C>,
                "mixer contract lacks init_laws: declare `static std::vector<InitLaw> init_laws()` "
                "(core/init_law.hpp; an empty list when the generic laws cover every parameter) in "
                "core/mixers/<id>.hpp");
  static_assert(piece::param_columns<C>,
                "mixer contract lacks param_columns: declare `static std::vector<ParamColumn> "
                "param_columns(std::int64_t d, std::int64_t N)` (core/table_columns.hpp; an empty list when the "
                "spec's table has no column for it) in core/mixers/<id>.hpp");
  static_assert(piece::state_columns<C>,
                "mixer contract lacks state_columns: declare `static std::vector<StateColumn> "
                "state_columns(std::int64_t d, std::int64_t T)` (core/table_columns.hpp) in core/mixers/<id>.hpp");
  return true;
}

template <class... C>
consteval bool check_contracts(TypeList<C...>) {
  return (check_contract<C>() && ...);
}
template <class... C>
consteval bool check_mixers(TypeList<C...>) {
  return (check_mixer<C>() && ...);
}

static_assert(check_contracts(AllContracts{}));
static_assert(check_mixers(Mixers{}));

}  // namespace menagerie
