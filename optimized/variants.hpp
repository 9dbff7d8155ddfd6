// Every operator's and mixer's GPU variant table (optimized/<id>/variants.hpp), for the generic harness (harness/kernels.hpp),
// which finds the operators and mixers of core/registry.hpp that have one. A new table adds its line here.
#pragma once
#include "optimized/base_conv/variants.hpp"
#include "optimized/based/variants.hpp"
#include "optimized/h3/variants.hpp"
#include "optimized/hyena/variants.hpp"
#include "optimized/linear_attention/variants.hpp"
#include "optimized/long_conv/variants.hpp"
#include "optimized/mamba/variants.hpp"
#include "optimized/mha/variants.hpp"
#include "optimized/rwkv/variants.hpp"
#include "optimized/s4d_kernel/variants.hpp"
#include "optimized/selective_scan/variants.hpp"
#include "optimized/shift_ssm_kernel/variants.hpp"
#include "optimized/short_conv/variants.hpp"
#include "optimized/sliding_attn/variants.hpp"
#include "optimized/softmax_attention/variants.hpp"
#include "optimized/wkv/variants.hpp"
