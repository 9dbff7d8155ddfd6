#!/usr/bin/env python3
"""Writes throughput-train.md, throughput-train.csv (and throughput-train.png when matplotlib is present) from one run
of `menagerie bench train`: bench/train_steps.cpp's timings of the GPU backend's training step and
bench/train_torch.py's of zoology's own training step on the same rows. Reads only those files.
  python3 bench/train_report.py STEPS_JSON TORCH_JSON OUT_DIR
TORCH_JSON may be missing or {"skipped": reason} (no peer columns; the target is NOT MEASURED).

Definitions, per row (mixer, d_model, T, B):
  step ms        the median over the timed steps (host clock around each step and its synchronisation)
  tokens/s       B T / (step ms / 1e3)
  ratio          zoology ms / our ms (above 1: ours is faster)
  graph          with `bench train --graph` (rows with "ms_graph"): our step replayed as a CUDA graph ("cuda_graph":
                 true), its ms and zoology ms / that ms in two more columns, and a second target line on them
  64-epoch run   steps_per_epoch x epochs x step ms, steps_per_epoch = ceil(train_examples / B) (the config's);
                 its ratio is the step's (the same factor)
  floor ms       (rows of train_steps with "gemm_flop", the run with "gemm_tflops") the sum over arithmetics of our
                 step's cuBLAS GEMM flops / the machine's rate in that arithmetic, measured in the same run: no step
                 that issues those products takes less on this GPU; "-" where an arithmetic has no measured rate
  ours/floor     our ms / floor ms: how far the rest of our step (its other kernels, launches, small GEMMs' lower
                 rate) keeps it from the floor
  ceiling        zoology ms / floor ms: the ratio a step issuing our GEMMs would reach if it took no more than them;
                 where it is below 10x, no faster non-GEMM kernel can meet the target at that shape
Target (issue 16): ours >= 10x zoology's training step at every shape. The worst row decides: MET when every row with
both timings reaches 10x, MISSED otherwise (the worst row and the factor it is short by); rows without both timings
are named, and the verdict covers the others; NOT MEASURED when no row has both.
"""
import csv
import json
import math
import os
import statistics
import sys

from report_common import fmt, peer_cell, write_atomic

TARGET = 10.0
steps_j, torch_j, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)

S = json.load(open(steps_j))
T_ = json.load(open(torch_j)) if os.path.exists(torch_j) else {"skipped": "no python3 with torch on this machine"}
meta, prov = T_.get("meta", {}), S.get("provenance", {})
OURS_PRECISION = S.get("precision", "float")
PEER_PRECISION = meta.get("precision", "tf32" if meta.get("tf32") else "float")  # files from before the key: tf32 flag
if meta and PEER_PRECISION != OURS_PRECISION:
    print(f"train_report.py: {torch_j}: zoology ran in precision \"{PEER_PRECISION}\" but our rows ({steps_j}) are "
          f"\"precision\": \"{OURS_PRECISION}\"; both sides must use one mode", file=sys.stderr)
    sys.exit(2)
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None


def key(r):
    return (r["mixer"], r["d_model"], r["T"], r["B"])


peers = {key(p): p for p in T_.get("results", [])}
rows = S.get("rows", [])
mixer_order = []
for r in rows:
    if r["mixer"] not in mixer_order:
        mixer_order.append(r["mixer"])


def peer(r):
    return peers.get(key(r))


def ratio(r, field="ms"):
    p = peer(r)
    return p["ms"] / r[field] if p and "ms" in p and field in r and r[field] > 0 else None


graph = any("ms_graph" in r for r in rows)
RATES = S.get("gemm_tflops") or {}


def floor(r):
    flop = r.get("gemm_flop")
    if not RATES or not flop or "ms" not in r:
        return None
    if any(f and not RATES.get(a) for a, f in flop.items()):
        return None
    return sum(f / (RATES[a] * 1e12) * 1e3 for a, f in flop.items() if f)


def ceiling(r):
    p, f = peer(r), floor(r)
    return p["ms"] / f if p and "ms" in p and f else None


floors = any(floor(r) is not None for r in rows)


def run_s(r, ms):
    return r["steps_per_epoch"] * r["epochs"] * ms / 1e3


def dur(s):
    if s is None:
        return "-"
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


def shape(r):
    return f"{r['mixer']} d_model={r['d_model']} T={r['T']} B={r['B']}"


def verdict(field="ms", how=""):
    name = f">= {TARGET:.0f}x zoology's training step at every shape{how}"
    vals = [(ratio(r, field), r) for r in rows]
    have = [(v, r) for v, r in vals if v is not None]
    missing = [r for v, r in vals if v is None]
    if not have:
        why = (f"no zoology peer ({T_['skipped']})" if "skipped" in T_ else
               "no row has both timings" if rows else "no rows in the run")
        return [f"- **NOT MEASURED** {name}: {why}"]
    worst, wr = min(have, key=lambda x: x[0])
    med = statistics.median(v for v, _ in have)
    ok = worst >= TARGET
    s = (f"- **{'MET' if ok else 'MISSED'}** {name}: worst {worst:.2f}x ({shape(wr)}), median {med:.2f}x over "
         f"{len(have)} rows")
    if not ok:
        below = sum(v < TARGET for v, _ in have)
        s += f"; short by a factor {TARGET / worst:.2f} at the worst row; {below} of {len(have)} rows below {TARGET:.0f}x"
    if missing:
        def why(r):
            if "error" in r:
                return "ours failed"
            p = peer(r)
            return ("zoology skipped" if p and "skipped" in p else "zoology failed" if p and "error" in p else
                    "no zoology row")
        s += (f"; {len(missing)} row(s) without both timings ("
              + ", ".join(f"{shape(r)}: {why(r)}" for r in missing) + "), so the verdict covers the others")
    return [s]


def floor_lines():
    """The GEMM floor beside the target: the rows whose ceiling is below it, and how far our step is from its floor."""
    if not floors:
        return []
    have = [(ceiling(r), r) for r in rows if ceiling(r) is not None]
    eff = [r["ms"] / floor(r) for r in rows if floor(r)]
    s = f"- the GEMM floor: our step is {statistics.median(eff):.2f}x its floor (median over {len(eff)} rows)"
    if have:
        low, lr = min(have, key=lambda x: x[0])
        below = sum(c < TARGET for c, _ in have)
        s += (f"; the ceiling is below {TARGET:.0f}x at {below} of {len(have)} rows with both timings (lowest "
              f"{low:.2f}x, {shape(lr)})" + (": there the target needs fewer GEMM flops or a cheaper arithmetic, not "
                                              "faster other kernels" if below else
                                              ": the whole gap is in the rest of our step"))
    return [s]


def params_line():
    """Whether both sides trained the same model: the trainable parameter counts, ours (model::param_count) and
    zoology's (its module's parameters with requires_grad), per row where both are known."""
    both = [(r, peer(r)) for r in rows if peer(r) and "params" in peer(r)]
    if not both:
        return []
    diff = [(r, p) for r, p in both if p["params"] != r["params"]]
    return [f"- same model: the trainable parameter counts agree on {len(both) - len(diff)} of {len(both)} rows where "
            "both are known" + ("; they differ at " + ", ".join(f"{shape(r)} (ours {r['params']}, zoology "
                                                               f"{p['params']})" for r, p in diff) if diff else "")]


PRECISION = {
    "float": "fp32 on both sides (zoology's mode: our \"precision\": \"float\", PyTorch's TF32 off)",
    "tf32": "**tf32**: ours \"precision\": \"tf32\" (the cuBLAS GEMMs of the head, the projections, the mixers' "
            "gemm_rm and attention's scores on TF32 tensor cores; every other kernel fp32), zoology with PyTorch's "
            "allow_tf32 (every matmul)",
    "bf16": "**bf16**: ours \"precision\": \"bf16\" (the cuBLAS GEMMs of the head, the projections, the mixers' "
            "gemm_rm and attention's products where gemm_cublas runs it (one head, T <= 1024) on bf16 tensor cores, "
            "operands rounded to bf16, fp32 accumulation and outputs; every other kernel fp32), zoology's forward "
            "and loss under torch.autocast(bfloat16) (every matmul in bf16, its outputs bf16)",
}.get(OURS_PRECISION, OURS_PRECISION)
spe = sorted({(r["T"], r["B"], r["steps_per_epoch"]) for r in rows})
epochs = sorted({r["epochs"] for r in rows})
lines = ["# Throughput: the GPU trainer's step beside zoology's own training step", "",
         "Generated by `bench/train_report.py` from one run of `menagerie bench train` (bench/train_steps.cpp timing "
         "the GPU backend, bench/train_torch.py timing zoology's LanguageModel on the same rows: same call, same GPU); "
         "do not edit by hand.", "",
         f"- GPU: {prov.get('gpu')}, CUDA runtime {prov.get('cuda_runtime')}, driver {prov.get('cuda_driver')}",
         f"- menagerie {prov.get('version')} git {prov.get('git_sha')}, {prov.get('build_type')}, "
         f"{prov.get('compiler')}, run {prov.get('date_utc')}; config {os.path.basename(str(S.get('config')))}",
         f"- precision: {PRECISION}",
         (f"- PyTorch {meta.get('torch')} (CUDA {meta.get('cuda')}) on {meta.get('gpu')}, {meta.get('dtype')}, TF32 "
          f"{'on' if meta.get('tf32') else 'off'}"
          + (f", autocast {meta['autocast']}" if meta.get("autocast") else "")
          + f"; the peer: {meta.get('model')}, {meta.get('optimizer')}; mamba: {meta.get('mamba')}; RWKV's WKV: "
          f"{meta.get('rwkv_wkv')}" + "".join(f"; {n}" for n in meta.get("notes", []))
          + (f"; **partial**: {meta['partial']}" if "partial" in meta else "") if meta else
          f"- PyTorch: none ({T_.get('skipped')}): no peer columns, the target is not measured"),
         "- a step, ours: the GPU backend's forward_backward (embedding dropout on, the head and cross-entropy at the "
         "labelled rows) and its fused AdamW step, then a device synchronisation; zoology's: zero_grad, forward "
         "(logits at every position), cross-entropy over the labelled positions, backward, AdamW step, loss.item() "
         "(bench/train_torch.py's docstring). Both: the host clock around each step, the median of the timed steps "
         f"after warm-up ({S['rows'][0].get('warmup', '-') if rows else '-'} warm-up and "
         f"{S['rows'][0].get('steps', '-') if rows else '-'} timed steps for ours; a zoology cell says '(1 step)' or "
         "'(2 steps)' where its budget allowed fewer than 3)",
         "- ratio = zoology ms / our ms (above 1: ours is faster); tokens/s = B T / step time; a 64-epoch run = steps "
         "per epoch x epochs x step time, steps per epoch = ceil(train_examples / B) from the config: "
         + ", ".join(f"T={t}, B={b}: {n}" for t, b, n in spe) + f"; epochs {', '.join(map(str, epochs))}",
         (f"- zoology's time budget: {fmt(meta.get('budget_s'), '.0f')} s ({fmt(meta.get('elapsed_s'), '.0f')} s used, "
          f"after {fmt(meta.get('import_s'), '.0f')} s importing zoology): {meta.get('timed')} rows timed, "
          f"{sum('skipped' in p for p in peers.values())} skipped (listed under 'Peers not timed')" if meta else
          "- zoology's time budget: no peer run"),
         *([f"- GEMM floor: the machine's rates measured in the same run (train_steps: the median of 5 square "
            f"products, 8192^3, fp64 4096^3): " + ", ".join(f"{a} {RATES[a]:.1f}" for a in RATES) + " TFLOP/s; "
            "floor = our step's cuBLAS GEMM flops at those rates, ceiling = zoology ms / floor ms (the definitions "
            "in bench/train_report.py)"] if floors else []),
         ("- figure: throughput-train.png" if plt else
          "- figure: throughput-train.png was **not drawn** (no matplotlib in the python3 that ran this report)"),
         "", "## Target", ""] + verdict() + (verdict("ms_graph", ", our step as a CUDA graph") if graph else []) + \
    floor_lines() + params_line() + [""]

lines += ["## Summary per mixer", "",
          "The ratio over the mixer's rows with both timings, and its largest shape's 64-epoch run.", ""]
for m in mixer_order:
    mine = [r for r in rows if r["mixer"] == m]
    vals = [ratio(r) for r in mine if ratio(r) is not None]
    part = (f"{min(vals):.2f}x to {max(vals):.2f}x, median {statistics.median(vals):.2f}x over {len(vals)} rows"
            if vals else "no row with both timings")
    big = max((r for r in mine if "ms" in r), key=lambda r: (r["d_model"] * r["T"], r["T"]), default=None)
    if big is not None:
        p = peer(big)
        part += (f"; a 64-epoch run at d_model {big['d_model']}, T {big['T']}: ours {dur(run_s(big, big['ms']))}, "
                 f"zoology {dur(run_s(big, p['ms'])) if p and 'ms' in p else '-'}")
    lines.append(f"- {m}: {part}")
lines.append("")

lines += ["## Rows", "",
          "| mixer | d_model | T | B | params ours | params zoology | ours ms | ours M tok/s | zoology ms | "
          "zoology M tok/s | zoology/ours | run ours | run zoology |" + (" ours graph ms | zoology/ours graph |" if graph
                                                                        else "")
          + (" floor ms | ours/floor | ceiling |" if floors else ""),
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if graph else "")
          + ("---|---|---|" if floors else "")]
csv_rows = []
for r in rows:
    p, rt = peer(r), ratio(r)
    ours_ms = r.get("ms")
    pms = p.get("ms") if p else None
    lines.append(
        f"| {r['mixer']} | {r['d_model']} | {r['T']} | {r['B']} | {r['params']} | "
        f"{p.get('params', '-') if p else '-'} | {fmt(ours_ms, '.3f') if ours_ms is not None else 'failed'} | "
        f"{fmt(r.get('tokens_per_s', 0) / 1e6 if ours_ms else None, '.2f')} | {peer_cell(p, 'steps', 'step')} | "
        f"{fmt(p['tokens_per_s'] / 1e6 if pms else None, '.2f')} | {fmt(rt, '.2f')}{'x' if rt else ''} | "
        f"{dur(run_s(r, ours_ms) if ours_ms else None)} | {dur(run_s(r, pms) if pms else None)} |"
        + (f" {fmt(r.get('ms_graph'), '.3f')} | {fmt(ratio(r, 'ms_graph'), '.2f')}{'x' if ratio(r, 'ms_graph') else ''} |"
           if graph else "")
        + (f" {fmt(floor(r), '.3f')} | {fmt(ours_ms / floor(r) if floor(r) else None, '.2f')}"
           f"{'x' if floor(r) else ''} | {fmt(ceiling(r), '.2f')}{'x' if ceiling(r) else ''} |" if floors else ""))
    csv_rows.append({"mixer": r["mixer"], "d_model": r["d_model"], "T": r["T"], "B": r["B"],
                     "steps_per_epoch": r["steps_per_epoch"], "epochs": r["epochs"], "params_ours": r["params"],
                     "params_zoology": p.get("params", "") if p else "", "ours_ms": fmt(ours_ms, ".4f"),
                     "ours_tokens_per_s": fmt(r.get("tokens_per_s"), ".0f"), "zoology_ms": fmt(pms, ".4f"),
                     "zoology_tokens_per_s": fmt(p.get("tokens_per_s") if p else None, ".0f"),
                     "ratio": fmt(rt, ".3f"), "run_ours_s": fmt(run_s(r, ours_ms) if ours_ms else None, ".1f"),
                     "run_zoology_s": fmt(run_s(r, pms) if pms else None, ".1f"),
                     **({"ours_graph_ms": fmt(r.get("ms_graph"), ".4f"), "ratio_graph": fmt(ratio(r, "ms_graph"), ".3f")}
                        if graph else {}),
                     **({"floor_ms": fmt(floor(r), ".4f"), "ceiling": fmt(ceiling(r), ".3f")} if floors else {}),
                     "note": r.get("error", "") or (p.get("skipped", "") or p.get("error", "") if p else "")})
lines.append("")

failed = [r for r in rows if "error" in r]
perr = [(r, peer(r)) for r in rows if peer(r) and "error" in peer(r)]
if failed or perr:
    lines += ["## Rows without a timing", ""]
    lines += [f"- ours {shape(r)}: {r['error']}" for r in failed]
    lines += [f"- zoology {shape(r)}: {p['error']}" for r, p in perr]
    lines.append("")
pskip = [(r, peer(r)) for r in rows if peer(r) and "skipped" in peer(r)]
if pskip:
    lines += ["## Peers not timed", "",
              "bench/train_torch.py skips a row whose estimated time exceeds what is left of its budget, or that does "
              "not fit in memory; the reason is in each line.", ""]
    lines += [f"- zoology {shape(r)}: {p['skipped']}" for r, p in pskip]
    lines.append("")

write_atomic(os.path.join(out, "throughput-train.md"), "\n".join(lines) + "\n")
with open(os.path.join(out, "throughput-train.csv.tmp"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(csv_rows[0]) if csv_rows else ["mixer"])
    w.writeheader()
    w.writerows(csv_rows)
os.replace(os.path.join(out, "throughput-train.csv.tmp"), os.path.join(out, "throughput-train.csv"))
if plt is None:
    print("train_report.py: no matplotlib; throughput-train.png not written", file=sys.stderr)
    sys.exit(0)

# ---- the figure: zoology/ours against d_model, one panel per T, one line per mixer (dotted: its GEMM-floor ceiling),
# the 10x target dashed ----
Ts = sorted({r["T"] for r in rows})
fig, axes = plt.subplots(1, max(len(Ts), 1), figsize=(5 * max(len(Ts), 1), 4.5), squeeze=False)
for ax, t in zip(axes[0], Ts):
    for i, m in enumerate(mixer_order):
        pts = sorted((r["d_model"], ratio(r)) for r in rows if r["mixer"] == m and r["T"] == t and ratio(r))
        if pts:
            ax.plot([x for x, _ in pts], [y for _, y in pts], "o-", color=f"C{i % 10}", label=m)
        cps = sorted((r["d_model"], ceiling(r)) for r in rows if r["mixer"] == m and r["T"] == t and ceiling(r))
        if cps:
            ax.plot([x for x, _ in cps], [y for _, y in cps], ":", color=f"C{i % 10}", lw=0.9)
    ax.axhline(TARGET, color="red", lw=0.8, ls="--", label=f"target {TARGET:.0f}x")
    ax.axhline(1.0, color="black", lw=0.8, ls=":")
    ax.set_xscale("log", base=2)
    ds = sorted({r["d_model"] for r in rows})
    ax.set_xticks(ds)
    ax.set_xticklabels([str(x) for x in ds])
    ax.set_yscale("log")
    ax.set_xlabel("d_model")
    ax.set_ylabel("zoology ms / our ms per step")
    b = next((r["B"] for r in rows if r["T"] == t), None)
    ax.set_title(f"T={t}, B={b}", fontsize=10)
    if not any(math.isfinite(y) for line in ax.lines[:-2] for y in line.get_ydata()):
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", color="gray")
    ax.legend(fontsize=7)
fig.text(0.01, 0.005, f"{prov.get('gpu')}; menagerie git {prov.get('git_sha')}, {prov.get('date_utc')}; zoology "
         + (f"on PyTorch {meta.get('torch')}, float32, TF32 {'on' if meta.get('tf32') else 'off'}" if meta else f"not run ({T_.get('skipped')})")
         + "; median of host-synchronised steps" + ("; dotted: zoology ms / our GEMM floor" if floors else ""),
         fontsize=7, color="dimgray")
fig.tight_layout(rect=(0, 0.04, 1, 1))
fig.savefig(os.path.join(out, "throughput-train.png.tmp.png"), dpi=110)
os.replace(os.path.join(out, "throughput-train.png.tmp.png"), os.path.join(out, "throughput-train.png"))
