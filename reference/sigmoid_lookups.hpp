// Reference for the sigmoid_lookups mixer (contract and math: core/mixers/sigmoid_lookups.hpp): the MHA block
// (reference/mha.hpp), the selection score g = sigmoid(u w^T), the gated residual y = u + m g a with m = 1 in
// training mode and the top-k mask in inference mode; the hand-derived backward (m held fixed: the map is smooth
// where no two scores tie); the auxiliary selection loss and its gradient. Instantiated for float, double and Mp.
#pragma once
#include <vector>

#include "core/mixers/sigmoid_lookups.hpp"

namespace menagerie::mixers::sigmoid_lookups {

// m [B, T]: 1 at the positions that receive attention (all of them in training mode; in inference mode the top_k()
// of each sequence by g, ties to the earlier position), 0 elsewhere.
template <class T>
Tensor<T> selection_mask(const Problem& p, const Tensor<T>& g);

// g [B, T] = sigmoid(u w^T).  in: u, selecting.weight.
template <class T>
Tensor<T> selection_scores(const Problem& p, const Named<T>& in);

// in: u and the parameters;  out: y.
template <class T>
void reference_forward(const Problem& p, const Named<T>& in, Named<T>& out);

// d_out: y;  d_in: u and every parameter (overwritten).
template <class T>
void reference_backward(const Problem& p, const Named<T>& in, const Named<T>& d_out, Named<T>& d_in);

// selection_penalty ReLU(mean_{b,t} g - n/T), n = n_lookups or sqrt(T): zoology's _auxiliary_loss (training mode).
template <class T>
T auxiliary_loss(const Problem& p, const Named<T>& in);

// Adds scale * d(auxiliary_loss)/dx to d_in["u"] and d_in["selecting.weight"] (which must exist with their shapes).
template <class T>
void auxiliary_loss_backward(const Problem& p, const Named<T>& in, const T& scale, Named<T>& d_in);

}  // namespace menagerie::mixers::sigmoid_lookups
