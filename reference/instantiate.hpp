// The scalars every reference is explicitly instantiated for: float, double and Mp. Usage in a .cpp:
//   #define INSTANTIATE(T) template void reference_forward<T>(const Problem&, const Named<T>&, Named<T>&);
//   MENAGERIE_FOR_EACH_SCALAR(INSTANTIATE)
#pragma once
#include "reference/mp.hpp"

#define MENAGERIE_FOR_EACH_SCALAR(X) X(float) X(double) X(::menagerie::Mp)
