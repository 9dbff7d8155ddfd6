// The central lists of operator and mixer contracts. Generic verification and benchmarks iterate these lists,
// so adding an id here without its reference (or, for kernels, its variant table) is a compile error.
#pragma once
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
#include "core/ops/layer_norm.hpp"
#include "core/ops/embedding.hpp"
#include "core/ops/lm_head.hpp"
#include "core/ops/cross_entropy.hpp"
#include "core/ops/wkv.hpp"
#include "core/ops/selective_scan.hpp"
#include "core/mixers/rwkv.hpp"
#include "core/mixers/mamba.hpp"

namespace menagerie {

template <class... C>
struct TypeList {};

template <class A, class B> struct Concat;
template <class... A, class... B> struct Concat<TypeList<A...>, TypeList<B...>> { using type = TypeList<A..., B...>; };

using Operators = TypeList<ops::softmax_attention::Contract, ops::linear_attention::Contract, ops::short_conv::Contract, ops::long_conv::Contract, ops::s4d_kernel::Contract, ops::shift_ssm_kernel::Contract, ops::wkv::Contract, ops::selective_scan::Contract, ops::layer_norm::Contract, ops::embedding::Contract, ops::lm_head::Contract, ops::cross_entropy::Contract>;

using Mixers = TypeList<mixers::mha::Contract, mixers::sliding_attn::Contract, mixers::based::Contract, mixers::base_conv::Contract, mixers::hyena::Contract, mixers::h3::Contract, mixers::rwkv::Contract, mixers::mamba::Contract>;

using AllContracts = Concat<Operators, Mixers>::type;

}  // namespace menagerie
