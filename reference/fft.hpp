// The discrete Fourier transform over any real scalar T (float, double, Mp), for the FFT forms of the references
// (long_conv's reference_forward_fft, rtf_kernel's state-free kernel). Conventions, for x of length n:
//   forward   X[k] = sum_{m<n} x[m] e^{−2πi k m / n}             k = 0..n−1
//   inverse   x[m] = (1/n) sum_{k<n} X[k] e^{+2πi k m / n}        (the 1/n is applied here)
// n a power of two: iterative radix-2 Cooley–Tukey (bit-reversal permutation, then log2 n butterfly passes); the
// twiddles e^{−2πi j/n} are each evaluated by cos and sin of T (π of T's precision), never by a recurrence, so the
// error stays O(eps log n) relative to ‖x‖.
// Any other n: Bluestein's chirp-z identity k m = (k² + m² − (k − m)²)/2, i.e. with w_j = e^{−πi j²/n}
//   X[k] = w_k sum_m (x[m] w_m) conj(w_{k−m}),
// a linear convolution of length 2n − 1 evaluated with radix-2 transforms of size M = next power of two >= 2n − 1
// (j² is reduced mod 2n before the angle π j²/n is formed, which leaves w_j unchanged and keeps the angle < 2π).
// The inverse of either is conj(forward(conj(X)))/n. Instantiated for float, double and Mp.
#pragma once
#include <cstdint>
#include <vector>

#include "reference/complex.hpp"

namespace menagerie::ref {

// In place: x <- forward DFT of x (inverse = false) or inverse DFT with the 1/n (inverse = true). Any n >= 1.
template <class T>
void fft(std::vector<Complex<T>>& x, bool inverse);

// The smallest power of two >= n (n >= 1).
std::int64_t next_pow2(std::int64_t n);

}  // namespace menagerie::ref
