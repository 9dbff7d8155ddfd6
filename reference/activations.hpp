// Pointwise functions of the mixers and their derivatives (d/dx), for any scalar T:
//   sigmoid(x) = 1/(1+e^-x)           sigmoid' = s(1-s)
//   silu(x)    = x sigmoid(x)         silu'    = s (1 + x (1-s))
//   softplus(x)= log(1+e^x) (stable)  softplus' = sigmoid(x)
//   relu(x)    = max(x, 0)            relu'    = [x > 0]
#pragma once
#include "reference/scalar.hpp"

namespace menagerie::ref {

template <class T> T sigmoid(const T& x) { return T(1) / (T(1) + exp(-x)); }
template <class T> T d_sigmoid(const T& x) { const T s = sigmoid(x); return s * (T(1) - s); }
template <class T> T silu(const T& x) { return x * sigmoid(x); }
template <class T> T d_silu(const T& x) { const T s = sigmoid(x); return s * (T(1) + x * (T(1) - s)); }
template <class T> T softplus(const T& x) { return x > T(0) ? x + log1p(exp(-x)) : log1p(exp(x)); }
template <class T> T d_softplus(const T& x) { return sigmoid(x); }
template <class T> T relu(const T& x) { return x > T(0) ? x : T(0); }
template <class T> T d_relu(const T& x) { return x > T(0) ? T(1) : T(0); }

}  // namespace menagerie::ref
