#!/usr/bin/env python3
"""Decoding throughput of the recurrent mixers' step variants, from one kernels_bench run (`menagerie bench mixers`).

  python3 bench/decode_report.py mixers_bench.json OUT_DIR

The contracts' decode cases (core/mixers/{rwkv,mamba,h3,based,sliding_attn}.hpp gpu_bench_cases; base_conv's
short-conv case at B = 256, T = 256, d = 512 of its training shapes, the only one at T = 256 it declares) time T = 256 tokens from the empty
state at batch B = 1, 16, 256: step_fp32 runs the recurrent form one token per call (what generation costs), and
composed_fp32 the parallel form over the same 256 tokens (what a prefill of that prompt costs). Per row:
  ms/token   the step variant's median time over T
  tokens/s   B T / time
  state      the recurrent state of one sequence in bytes (the step variant's state_bytes / B, fp32):
             rwkv 5 d (the previous token, WKV's p, q and o as two floats), mamba E (K - 1 + N) (the conv window and
             the scan state), h3 D N + P D N (the shift states and the complex diagonal states), based
             F' (d + H nc) (the linear attention's S and z per column block, F' = 1 + f + f^2;
             optimized/based/variants.hpp), sliding_attn 2 R d + 1 (the ring of R = min(w + 1, T) keys and
             values, and the token count), base_conv (K - 1) d (the short conv's last K - 1 inputs)
  KV cache   what softmax attention keeps per sequence and layer at the same context: 2 T d fp32 values (keys and
             values); the recurrent state does not grow with T
  GB/s       the step's minimum HBM traffic per token (every parameter read once, the state read and written, u_t
             and y_t) over its time per token, and its fraction of the copy ceiling kernels_bench measured in the same
             run (the target for batch 256 is >= 50%)
Writes OUT_DIR/decode.md. Every number comes from the JSON; nothing here is measured.
"""
import sys

from report_common import Run, fmt, write_atomic

OPS = ("rwkv", "mamba", "h3", "based", "sliding_attn", "base_conv")
F = 4  # bytes per fp32 value


def sizes(op, f):
    """(state bytes per sequence, parameter bytes, width d) of a case's fields."""
    if op == "rwkv":
        d = f["D"]
        return 5 * d * F, (4 * d * d + 5 * d) * F, d
    if op == "mamba":
        d, N, E = f["D"], f["N"], f["E"]
        R, K = (d + 15) // 16, 4
        params = 2 * E * d + E * (R + 2 * N) + E * R + d * E + E * (K + 3) + E * N
        return E * (K - 1 + N) * F, params * F, d
    if op == "based":
        d, fd, H = f["D"], f["F"], f["H"]
        Dv = d // H
        nc = (Dv + 63) // 64
        while Dv % nc:
            nc += 1
        Fp = 1 + fd + fd * fd
        return Fp * (d + H * nc) * F, (2 * H * fd * d + 2 * d * d) * F, d
    if op == "base_conv":
        d, K = f["D"], f["K"]
        return (K - 1) * d * F, (d * d + (K + 2) * d) * F, d
    if op == "sliding_attn":
        d, R = f["D"], min(f["W"] + 1, f["T"])
        return (2 * R * d + 1) * F, (4 * d * d + 4 * d) * F, d
    D, N, P = f["D"], f["N"], f["P"]
    H = D // P
    params = 4 * D * D + 5 * D + 2 * D * N + H * (3 * N + 1) + H
    return (D * N + P * D * N) * F, params * F, D


def main():
    bench, out = sys.argv[1], sys.argv[2]
    run = Run(bench, "/nonexistent", None, OPS, ["B", "T", "D"])
    rows = [r for r in run.ours if r["direction"] == "fwd" and r["f"].get("T") == 256 and r["f"].get("B") in (1, 16, 256)
            and (r["op"] != "rwkv" or r["f"].get("D") == 1024) and (r["op"] != "mamba" or r["f"].get("D") == 768)
            and (r["op"] != "base_conv" or (r["f"].get("conv") == 0 and r["f"].get("D") == 512))]
    lines = ["# Decoding throughput of the recurrent mixers (step_fp32)", "", *run.provenance_lines()[:2],
             f"- measured ceiling: device copy {fmt(run.copy_gbs, '.0f')} GB/s (kernels_bench, same run)", "",
             "256 tokens from the empty state per sequence, fp32. step_fp32 runs one token per call (generation); "
             "composed_fp32 is the parallel forward over the same 256 tokens (a prefill). State and KV cache are per "
             "sequence and per layer.", "",
             "| mixer | B | step ms/token | step tokens/s | prefill tokens/s | state (bytes) | KV cache at T = 256 "
             "(bytes) | step GB/s | % copy ceiling |",
             "|---|---|---|---|---|---|---|---|---|"]
    header = len(lines)
    for op in OPS:
        for B in (1, 16, 256):
            step = [r for r in rows if r["op"] == op and r["variant"] == "step_fp32" and r["f"]["B"] == B]
            par = [r for r in rows if r["op"] == op and r["variant"] == "composed_fp32" and r["f"]["B"] == B]
            if not step:
                continue
            s = step[0]
            state, params, d = sizes(op, s["f"])
            T = s["f"]["T"]
            per_token_s = s["ms"] / 1e3 / T
            traffic = params + 2 * B * state + 2 * B * d * F
            gbs = traffic / per_token_s / 1e9
            frac = gbs / run.copy_gbs if run.copy_gbs == run.copy_gbs and run.copy_gbs > 0 else float("nan")
            prefill = B * T / (par[0]["ms"] / 1e3) if par else float("nan")
            lines.append(f"| {op} | {B} | {fmt(s['ms'] / T, '.4f')} | {fmt(B * T / (s['ms'] / 1e3), '.3g')} | "
                         f"{fmt(prefill, '.3g')} | {state} | {2 * T * d * F} | {fmt(gbs, '.0f')} | "
                         f"{fmt(100 * frac, '.1f')} |")
    if len(lines) == header:
        lines.append("| (no step_fp32 rows in this run) | | | | | | | | |")
    write_atomic(f"{out}/decode.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
