// The terms of WKV's parameter gradients (core/ops/wkv.hpp), whose 2-norm sets the conditioning term of the GPU
// tolerance rule for those gradients (harness/tolerance.hpp, harness/conditioning.hpp). With
//   c[b,t,s,d] = dy[b,t,d] P[t,s] (v[b,s,d] - y[b,t,d])       (P[t,s]: token s's normalized weight in y_t)
// both parameter gradients are sums of terms of mixed sign over the sequences and tokens:
//   dtime_first[d] = sum_{b,t} c[b,t,t,d]
//   dtime_decay[d] = sum_{b,t} sum_{s<t} -w_d (t-1-s) c[b,t,s,d]
// parameter_term_norms returns each sum's terms' 2-norm over all its terms and channels d:
//   time_first: sqrt( sum_{b,t,d} c[b,t,t,d]^2 )
//   time_decay: sqrt( sum_{b,t,s<t,d} (w_d (t-1-s) c[b,t,s,d])^2 )
// (for dtime_decay every (t, s) product is a term: the kernels group them by s, the reference by t). Computed in
// double from the normalized weights with the max exponent subtracted, as reference_backward<double> (the oracle)
// computes them, so it is finite wherever the oracle is (k ~ 1e2, |time_first| ~ 1e2). Cost O(B T^2 D), the oracle's.
#pragma once
#include "core/contract.hpp"
#include "core/ops/wkv.hpp"

namespace menagerie::ops::wkv {

struct TermNorms {
  double time_first = 0, time_decay = 0;  // ||terms||_2 of dtime_first and of dtime_decay
};

// in: k, v, time_decay, time_first;  d_out: y. ShapeError naming a missing or mis-shaped tensor.
TermNorms parameter_term_norms(const Problem& p, const Named<double>& in, const Named<double>& d_out);

}  // namespace menagerie::ops::wkv
