// Scalar helpers for references templated on float, double and Mp: conversion from double, and the math
// functions brought in so that unqualified calls resolve for built-in types (std::) and for Mp (by ADL).
#pragma once
#include <cmath>

namespace menagerie::ref {

using std::abs;
using std::exp;
using std::log;
using std::log1p;
using std::sqrt;
using std::tanh;
using std::sin;
using std::cos;
using std::max;

template <class T>
T cast(double x) {
  return static_cast<T>(x);
}

}  // namespace menagerie::ref
