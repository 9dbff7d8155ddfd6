// The matrix view shared by the Hyena-style gated long convolutions (hyena, m2): P = u Win^T + bin, Q = the causal
// depthwise short conv of P (Q[t, c] = sb[c] + sum_{j<K} sw[c, 0, j] P[t - K + 1 + j, c]), x1, x2, v = Q split in
// channel order, and per channel c (C = D, E = 1)
//   M[b, c, t, s] = x2[b, t, c] (h[c, t - s] + bias[c] [t = s]) x1[b, s, c]   for s <= t, else 0
//   v = v [B, T, D, 1];  finish(m) = m Wout^T + bout.
#pragma once
#include "reference/matrix_view.hpp"

namespace menagerie::ref {

// u [B, T, D]; in_w [3D, D], in_b [3D]; sw [3D, 1, K], sb [3D]; h [D, >= T]; bias [D]; out_w [D, D], out_b [D].
MatrixView gated_conv_view(const Tensor<double>& u, const Tensor<double>& in_w, const Tensor<double>& in_b,
                           const Tensor<double>& sw, const Tensor<double>& sb, const Tensor<double>& h,
                           const Tensor<double>& bias, const Tensor<double>& out_w, const Tensor<double>& out_b);

}  // namespace menagerie::ref
