// numpy's legacy RandomState, bit for bit (see numpy_random.hpp for the algorithms). A Fisher-Yates shuffle first
// draws the swap partner of every step (draw_swaps: blocks of draws decided at once with AVX2 where the CPU has it,
// else a branch-free rejection loop in which a rejected draw leaves i unchanged and its stored partner is
// overwritten by the next draw), then applies the swaps, or, for choice(n, size, replace=False), traces only the
// `size` wanted positions back through them. Either way numpy's stream is consumed exactly; the MQAR key and value
// draws spend almost all their time here (docs/synthetics.md has the figures).
#include "synthetics/numpy_random.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "synthetics/numpy_random_avx2.hpp"

namespace menagerie::synthetics {

namespace {
constexpr int kShift = 397;  // MT19937's M
constexpr std::uint32_t kMatrixA = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;

std::uint64_t mask_for(std::uint64_t max) {
  std::uint64_t m = max;
  m |= m >> 1;
  m |= m >> 2;
  m |= m >> 4;
  m |= m >> 8;
  m |= m >> 16;
  m |= m >> 32;
  return m;
}

std::uint32_t twist(std::uint32_t a, std::uint32_t b, std::uint32_t far) {
  const std::uint32_t y = (a & kUpper) | (b & kLower);
  return far ^ (y >> 1) ^ ((0u - (y & 1u)) & kMatrixA);
}

// One MT19937 block: the 624-word twist in place, then the tempered outputs. Built for AVX2 and for the baseline
// ISA, chosen at load time (the same words either way; AVX2 about halves the cost). ThreadSanitizer builds (the tsan
// preset) take the baseline alone: it instruments the clones' load-time resolver, which then runs before its
// runtime is up and crashes the binary at load.
#if defined(__SANITIZE_THREAD__)
#define MENAGERIE_MT_CLONES
#else
#define MENAGERIE_MT_CLONES __attribute__((target_clones("avx2", "default")))
#endif
MENAGERIE_MT_CLONES void mt_block(std::uint32_t* key, std::uint32_t* out) {
  constexpr int n = 624;
  int i = 0;
  for (; i < n - kShift; ++i) key[i] = twist(key[i], key[i + 1], key[i + kShift]);
  for (; i < n - 1; ++i) key[i] = twist(key[i], key[i + 1], key[i + kShift - n]);
  key[n - 1] = twist(key[n - 1], key[0], key[kShift - 1]);
  for (int k = 0; k < n; ++k) {
    std::uint32_t y = key[k];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    out[k] = y;
  }
}

// numpy's DOUBLE_pairwise_sum on one contiguous block.
double pairwise(const double* a, std::size_t n) {
  if (n < 8) {
    double r = 0.;
    for (std::size_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = a[k];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += a[i + static_cast<std::size_t>(k)];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

}  // namespace

LegacyRandomState::LegacyRandomState(std::uint32_t seed) {
  key_[0] = seed;
  for (int i = 1; i < kWords; ++i)
    key_[i] = 1812433253u * (key_[i - 1] ^ (key_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
  pos_ = kWords;
}

void LegacyRandomState::refill() {
  mt_block(key_.data(), out_.data());
  pos_ = 0;
}

std::uint64_t LegacyRandomState::interval(std::uint64_t max) {
  if (max == 0) return 0;
  const std::uint64_t mask = mask_for(max);
  std::uint64_t v;
  if (max <= 0xffffffffu) {
    while ((v = (next_uint32() & mask)) > max) {
    }
  } else {
    while ((v = (next_uint64() & mask)) > max) {
    }
  }
  return v;
}

std::int64_t LegacyRandomState::randint(std::int64_t low, std::int64_t high) {
  require(low < high, "randint(low = ", low, ", high = ", high, "): expected low < high");
  const auto rng = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) - 1u;
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + interval(rng));
}

void LegacyRandomState::draw_swaps(std::uint32_t n) {
  partner_.resize(n + 16);  // room for a full packed block past the end
  std::uint32_t* t = partner_.data();
  std::uint32_t i = n - 1;
  const bool wide = simd::have_avx2() && n - 1 < 0x80000000u;
  while (i >= 1) {
    const auto mask = static_cast<std::uint32_t>(mask_for(i));
    const std::uint32_t lo = (mask >> 1) + 1;  // this mask serves i in [lo, mask]
    while (i >= lo) {
      if (pos_ == kWords) refill();
      const std::uint32_t* o = out_.data();
      int p = pos_;
      if (wide && mask >= 255) p = simd::draw_blocks_avx2(o, p, mask, i, lo, t);
      // One draw at a time for the rest of the buffer, or up to the next mask change, or for one undecided block.
      const int stop = p + 8 <= kWords && i >= lo + 7 ? p + 8 : kWords;
      while (p < stop && i >= lo) {
        const std::uint32_t v = o[p++] & mask;
        *t = v;  // a rejected draw is overwritten by the next one
        const std::uint32_t accepted = v <= i;
        t += accepted;
        i -= accepted;
      }
      pos_ = p;
    }
  }
}

void LegacyRandomState::shuffle(std::span<std::int64_t> x) {
  const std::size_t n = x.size();
  if (n < 2) return;
  if (n - 1 > 0xffffffffu) {  // 64-bit draws: never hit by the generators, kept exact anyway
    for (std::size_t i = n - 1; i >= 1; --i) std::swap(x[i], x[interval(i)]);
    return;
  }
  draw_swaps(static_cast<std::uint32_t>(n));
  for (std::size_t k = n - 1; k >= 1; --k) std::swap(x[k], x[partner_[n - 1 - k]]);
}

std::vector<std::int64_t> LegacyRandomState::permutation(std::int64_t n) {
  require(n >= 0, "permutation(n = ", n, "): expected n >= 0");
  std::vector<std::int64_t> a(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) a[static_cast<std::size_t>(k)] = k;
  shuffle(a);
  return a;
}

// The first `size` entries of permutation(n) without applying the n - 1 swaps: follow each wanted position
// backwards in time, steps k = 1 .. n-1 (the reverse of numpy's order), a step k <-> j moving whatever wanted value
// sits at k or j. A bitmap of the wanted positions makes the common step (neither is wanted) one bit test; owner_
// maps a wanted position to its slot. A wanted position is at most k after step k, so from k = size on only
// "at j -> to k" can happen. At the end slot q's value came from position xs_[q] of the identity. owner_ and
// bits_ are all -1 / 0 between calls.
void LegacyRandomState::choice_without_replacement(std::int64_t n, std::span<std::int64_t> out) {
  require(static_cast<std::int64_t>(out.size()) <= n, "choice: cannot take ", out.size(), " samples from ", n,
          " without replacement");
  if (n - 1 > 0xffffffffll) {
    const auto a = permutation(n);
    std::copy_n(a.begin(), out.size(), out.begin());
    return;
  }
  const auto m = static_cast<std::uint32_t>(n);
  const auto size = static_cast<std::uint32_t>(out.size());
  if (m < 2) {
    std::fill(out.begin(), out.end(), 0);
    return;
  }
  draw_swaps(m);
  if (owner_.size() < m) owner_.resize(m, -1);
  if (bits_.size() < m / 64 + 1) bits_.resize(m / 64 + 1, 0);
  xs_.resize(size);
  std::int32_t* owner = owner_.data();
  std::uint64_t* bits = bits_.data();
  auto wanted = [bits](std::uint32_t x) { return (bits[x >> 6] >> (x & 63)) & 1u; };
  auto flip = [bits](std::uint32_t x) { bits[x >> 6] ^= std::uint64_t{1} << (x & 63); };
  for (std::uint32_t q = 0; q < size; ++q) {
    xs_[q] = q;
    owner[q] = static_cast<std::int32_t>(q);
    flip(q);
  }
  auto step = [&](std::uint32_t k, std::uint32_t j) {
    const std::int32_t a = owner[k], b = owner[j];  // slots at k and at j (-1: none)
    if (a >= 0) flip(k), flip(xs_[static_cast<std::uint32_t>(a)] = j);
    if (b >= 0) flip(j), flip(xs_[static_cast<std::uint32_t>(b)] = k);
    owner[k] = b;
    owner[j] = a;
  };
  const std::uint32_t* partner = partner_.data();  // partner of step k at m - 1 - k
  std::uint32_t k = 1;
  for (; k < size && k < m; ++k) step(k, partner[m - 1 - k]);
  for (std::uint32_t r = m - k; r-- > 0;)  // r = m - 1 - k for k = k .. m - 1
    if (wanted(partner[r])) step(m - 1 - r, partner[r]);
  for (std::uint32_t q = 0; q < size; ++q) {
    out[q] = xs_[q];
    owner[xs_[q]] = -1;
    flip(xs_[q]);
  }
}

void LegacyRandomState::sample_without_replacement(std::int64_t n, std::span<std::int64_t> out) {
  const auto size = static_cast<std::int64_t>(out.size());
  require(size <= n, "sample: cannot take ", size, " samples from ", n, " without replacement");
  if (static_cast<std::int64_t>(ident_.size()) < n) {
    const auto old = static_cast<std::int64_t>(ident_.size());
    ident_.resize(static_cast<std::size_t>(n));
    for (std::int64_t k = old; k < n; ++k) ident_[static_cast<std::size_t>(k)] = k;
  }
  std::int64_t* a = ident_.data();
  undo_.resize(out.size());
  for (std::int64_t t = 0; t < size; ++t) {
    const auto j = t + static_cast<std::int64_t>(interval(static_cast<std::uint64_t>(n - 1 - t)));
    std::swap(a[t], a[j]);
    out[static_cast<std::size_t>(t)] = a[t];
    undo_[static_cast<std::size_t>(t)] = j;
  }
  for (std::int64_t t = size; t-- > 0;) std::swap(a[t], a[undo_[static_cast<std::size_t>(t)]]);  // identity again
}

void LegacyRandomState::weighted_choice_without_replacement(std::span<const double> p, std::span<std::int64_t> out) {
  const std::size_t n = p.size(), size = out.size();
  std::size_t positive = 0;
  for (double v : p) {
    require(std::isfinite(v) && v >= 0, "choice: probabilities must be finite and non-negative, got ", v);
    positive += v > 0;
  }
  require(positive >= size, "choice: fewer non-zero entries in p (", positive, ") than size (", size, ")");
  p_.assign(p.begin(), p.end());
  cdf_.resize(n);
  idx_.assign(n, -1);  // idx_[slot] = round in which slot was drawn
  std::size_t found = 0;
  for (std::int64_t round = 0; found < size; ++round) {
    const std::size_t m = size - found;
    u_.resize(m);
    for (auto& u : u_) u = random_sample();
    for (std::size_t k = 0; k < found; ++k) p_[static_cast<std::size_t>(out[k])] = 0;
    double c = 0;
    for (std::size_t k = 0; k < n; ++k) cdf_[k] = c += p_[k];
    const double last = cdf_[n - 1];
    for (auto& v : cdf_) v /= last;
    const std::size_t before = found;
    for (double u : u_) {
      const auto slot = static_cast<std::size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
      if (idx_[slot] == round) continue;
      idx_[slot] = round;
      out[found++] = static_cast<std::int64_t>(slot);
    }
    require(found > before, "choice: internal error, no progress");  // a draw always lands on p > 0
  }
}

double numpy_sum(std::span<const double> x) {
  double s = 0.;
  for (std::size_t i = 0; i < x.size(); i += 8192) s += pairwise(x.data() + i, std::min<std::size_t>(8192, x.size() - i));
  return s;
}

std::vector<double> power_law_probs(std::int64_t space, double power_a) {
  require(space >= 1, "power law over ", space, " slots: expected at least 1");
  std::vector<double> p(static_cast<std::size_t>(space));
  const double e = power_a - 1.0;
  for (std::int64_t i = 0; i < space; ++i) p[static_cast<std::size_t>(i)] = power_a * std::pow(double(i + 1), e);
  const double s = numpy_sum(p);
  for (auto& v : p) v /= s;
  return p;
}

}  // namespace menagerie::synthetics
