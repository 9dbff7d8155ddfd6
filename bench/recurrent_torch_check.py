#!/usr/bin/env python3
"""Checks the PyTorch peers of bench/recurrent_torch.py against an independent computation, on the CPU in float64,
on tiny shapes (a second or two; needs torch and numpy, no GPU):

  python3 bench/recurrent_torch_check.py        exit 0 when every check passes, 1 otherwise

wkv_sequential (the stable running-maximum recurrence) against the contract's direct formula, summed in numpy:
    y_t = (sum_{s<t} e^{-(t-1-s)w + k_s} v_s + e^{u+k_t} v_t) / (sum_{s<t} e^{-(t-1-s)w + k_s} + e^{u+k_t}),
    w = exp(time_decay), u = time_first
with k in [-1, 1] and again with k in [-30, 30] (where the running maximum matters for float32, not for float64).

scan_sequential (the recurrence over h) against the unrolled sum, in numpy:
    y[t,d] = sum_{s<=t} sum_n C[t,n] exp(A[d,n] sum_{r=s+1..t} delta[r,d]) delta[s,d] B[s,n] x[s,d] + D[d] x[t,d]

Both with relative error below 1e-12 (1e-5 for one float32 run of wkv with k in [-100, 100], where the direct
form would overflow float32), and torch.autograd.gradcheck of both peers (float64, finite differences) for
the gradients that the bwd and fwdbwd rows time.
"""
import math
import sys

import numpy as np
import torch

from recurrent_torch import scan_sequential, wkv_sequential


def wkv_direct(k, v, time_decay, time_first):
    B, T, D = k.shape
    w, u = np.exp(time_decay), time_first
    y = np.zeros((B, T, D))
    for b in range(B):
        for d in range(D):
            for t in range(T):
                num = math.exp(u[d] + k[b, t, d]) * v[b, t, d]
                den = math.exp(u[d] + k[b, t, d])
                for s in range(t):
                    e = math.exp(-(t - 1 - s) * w[d] + k[b, s, d])
                    num += e * v[b, s, d]
                    den += e
                y[b, t, d] = num / den
    return y


def scan_unrolled(x, delta, A, Bm, Cm, Dv):
    B, T, D = x.shape
    N = A.shape[1]
    y = np.zeros((B, T, D))
    for b in range(B):
        for d in range(D):
            for t in range(T):
                acc = Dv[d] * x[b, t, d]
                for s in range(t + 1):
                    csum = delta[b, s + 1:t + 1, d].sum()
                    for n in range(N):
                        acc += Cm[b, t, n] * math.exp(A[d, n] * csum) * delta[b, s, d] * Bm[b, s, n] * x[b, s, d]
                y[b, t, d] = acc
    return y


def relerr(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def main():
    rng = np.random.default_rng(20261202)
    u = lambda lo, hi, *s: rng.uniform(lo, hi, s)
    ok = True

    def report(name, err, tol=1e-12):
        nonlocal ok
        good = err <= tol
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {name}: relative error {err:.2e} (tolerance {tol:.0e})")

    for B, T, D, klim in ((1, 1, 3, 1), (2, 9, 3, 1), (1, 17, 2, 1), (2, 12, 3, 30)):
        k, v, td, tf = u(-klim, klim, B, T, D), u(-1, 1, B, T, D), u(-2, 1, D), u(-1, 1, D)
        y = wkv_sequential(*(torch.from_numpy(a) for a in (k, v, td, tf))).numpy()
        report(f"wkv B={B} T={T} D={D} k in [-{klim}, {klim}] against the direct sums",
               relerr(y, wkv_direct(k, v, td, tf)))
    # float32, as the peer runs: k in [-100, 100], where e^{u+k} overflows float32 in the direct form
    k, v, td, tf = u(-100, 100, 2, 12, 3), u(-1, 1, 2, 12, 3), u(-2, 1, 3), u(-1, 1, 3)
    y = wkv_sequential(*(torch.from_numpy(a).float() for a in (k, v, td, tf))).double().numpy()
    ref = wkv_direct(*(a.astype(np.float32).astype(np.float64) for a in (k, v, td, tf)))
    report("wkv float32 B=2 T=12 D=3 k in [-100, 100] against the direct sums in float64", relerr(y, ref), 1e-5)
    for B, T, D, N in ((1, 1, 2, 1), (2, 8, 3, 4), (1, 13, 2, 3)):
        x, dl, A = u(-1, 1, B, T, D), u(0.05, 1, B, T, D), u(-1.5, -0.1, D, N)
        Bm, Cm, Dv = u(-1, 1, B, T, N), u(-1, 1, B, T, N), u(-1, 1, D)
        y = scan_sequential(*(torch.from_numpy(a) for a in (x, dl, A, Bm, Cm, Dv))).numpy()
        report(f"selective_scan B={B} T={T} D={D} N={N} against the unrolled sum",
               relerr(y, scan_unrolled(x, dl, A, Bm, Cm, Dv)))

    # gradients: autograd through the loops against finite differences
    t = lambda *a: tuple(torch.from_numpy(x).requires_grad_(True) for x in a)
    g1 = torch.autograd.gradcheck(wkv_sequential, t(u(-3, 3, 2, 6, 3), u(-1, 1, 2, 6, 3), u(-2, 1, 3), u(-1, 1, 3)),
                                  eps=1e-6, atol=1e-8, rtol=1e-6, raise_exception=False)
    g2 = torch.autograd.gradcheck(scan_sequential, t(u(-1, 1, 2, 6, 3), u(0.05, 1, 2, 6, 3), u(-1.5, -0.1, 3, 4),
                                                     u(-1, 1, 2, 6, 4), u(-1, 1, 2, 6, 4), u(-1, 1, 3)),
                                  eps=1e-6, atol=1e-8, rtol=1e-6, raise_exception=False)
    for name, g in (("wkv", g1), ("selective_scan", g2)):
        ok &= bool(g)
        print(f"{'ok  ' if g else 'FAIL'} {name}: torch.autograd.gradcheck of every input (float64)")
    print("recurrent_torch_check: " + ("every check passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
