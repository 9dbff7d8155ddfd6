#!/usr/bin/env python3
"""PyTorch peers of the recurrent family in bench/kernels_bench.cpp (RWKV-4's WKV, Mamba's selective scan), timed the
same way in the same invocation of `menagerie bench recurrent`.

  python3 bench/recurrent_torch.py --cases recurrent_cases.json --out recurrent_torch.json [--budget-s 150]
  python3 bench/recurrent_torch.py --cases recurrent_cases.json --out recurrent_torch.json --from-log LOG [--gpu NAME]
      [--budget-s S]   (no torch needed: the JSON of a run cut before it wrote one, rebuilt from its progress lines)

The shapes are the ones kernels_bench timed (kernels_bench --ops=wkv,selective_scan --cases-out writes them from the
contracts' gpu_bench_cases), so both sides run one grid. Every case gets its peer in the case's dtype and direction:
fwd (forward under no_grad), bwd (torch.autograd.grad of one retained forward's output with a random upstream
gradient: the backward alone, as kernels_bench times our backward after its forward) and fwdbwd (forward and that
backward in one timed region). Two cases that differ only in our variant share one peer row. Layout: [B, T, D] as
ours; each step reads the [B, D] slice of token t (no transposes on either side).

Both peers are the recurrences as a Python loop over T, vectorised over (b, d) (and n), which is how the projects'
own reference paths without a CUDA kernel compute them. They are written here from the contracts' math
(core/ops/wkv.hpp, core/ops/selective_scan.hpp), not copied. Arithmetic in float32; bfloat16 cases store their
tensors in bfloat16 and cast them to float32 inside the timed call, y cast back (as Mamba's selective_scan_ref does).

wkv, peer "torch_wkv_sequential": RWKV-4's WKV, k, v [B, T, D], time_decay, time_first [D], w = exp(time_decay),
u = time_first, with the numerically stable state per (b, d): p, q (numerator and denominator scaled by e^-o) and the
running maximum exponent o (p = q = 0, o = -1e38 before the first token, as RWKV-4's RNN path starts it):
    bk = u + k_t;  m = max(o, bk);        y_t = (e^{o-m} p + e^{bk-m} v_t) / (e^{o-m} q + e^{bk-m})
    m' = max(o - w, k_t);  p <- e^{o-w-m'} p + e^{k_t-m'} v_t;  q <- e^{o-w-m'} q + e^{k_t-m'};  o <- m'
which equals y_t = (sum_{s<t} e^{-(t-1-s)w + k_s} v_s + e^{u+k_t} v_t) / (the same sums without v).

selective_scan, peer "torch_scan_sequential": Mamba's selective_scan_ref from its math (the softplus of delta and
the z gate are outside the operator), x, delta [B, T, D], A [D, N], B, C [B, T, N], D [D], state h [B, D, N] = 0:
    dA = exp(delta_t[..., None] * A);  h = dA * h + (delta_t * x_t)[..., None] * B_t[:, None, :]
    y_t = (h * C_t[:, None, :]).sum(-1) + D * x_t
(delta * x for all t, and the D * x skip, are computed outside the loop, as selective_scan_ref does; exp(delta A) is
formed per step, [B, D, N], rather than for all t at once, which at T = 16k would be 13 GB.)

Inputs: uniform in the contracts' tensors() ranges: k, v, x, B, C, D, time_first in [-1, 1]; time_decay in [-2, 1]
(w in [0.14, 2.7]); delta in [0.05, 1]; A in [-1.5, -0.1]; the upstream gradient in [-1, 1].

Timing and the time budget. A Python loop over T costs tens of microseconds per step and per torch call (launch and
dispatch bound, not bandwidth bound), so T = 16k takes seconds per call. The whole script runs under --budget-s
(default 150 s, or MENAGERIE_RECURRENT_PEER_BUDGET_S). First, after one warm-up call of each op and direction at a
tiny shape, one probe per family of cases (op, dtype, direction, shape without T), smallest first, times one call at
T = 32: the time per step (and, on a GPU, autograd's memory per step). The probes stop once they have used a quarter
of the budget; the families left unprobed are skipped. A case's call is estimated as its family's time per step x T
(x 1.2 for safety); once a case of the family is timed, the slower of the probe's and that case's time per step
stands for the family's later, longer cases. The cases are then timed cheapest first; each gets the fair share of
what is left (the time left / the cases left) and, within it, the richest of these plans: 2 warm-ups and min(20,
max(3, 0.3 s / call)) timed calls (Peer.median_ms's usual method), 2 and 3, 1 and 3, 1 and 1. A case whose smallest
plan is over its share but within the time left is still timed with 1 warm-up and 1 timed call. A case whose
estimate exceeds the time left (or whose autograd memory would exceed 90% of the GPU's free memory) gets a row with
"skipped": the reason with the estimate, instead of a timing. Each timed row records its warm-ups and timed calls
("warmups", "iters"). Each timed call: L2 flushed, CUDA events around it, the median (bench/torch_peer.py). TF32 is
off (no matrix products here anyway). "gbs" is the effective bandwidth from the contract's minimum HBM bytes
(cost()'s second number: wkv 3BTD + 2D elements, selective_scan 3BTD + 2BTN + D(N + 1); x2 bwd, x3 fwdbwd, times the
dtype's size), the count kernels_bench's GB/s uses, so the columns compare. Exits 0 with {"skipped": reason} when
torch or a GPU is missing. The JSON is written (atomically) after every row, with meta "partial" until the last
write, so a run cut by its caller's time limit keeps the rows it timed.
wkv_sequential and scan_sequential can be imported (their check: bench/recurrent_torch_check.py).
"""
import argparse
import datetime
import json
import os
import re
import sys
import time

from torch_peer import Peer, write_results

FACTOR = {"fwd": 1.0, "bwd": 2.0, "fwdbwd": 3.0}
OPS = ("wkv", "selective_scan")
PEER = {"wkv": "torch_wkv_sequential", "selective_scan": "torch_scan_sequential"}
SAFETY = 1.2       # on every estimate
LAYOUT = "[B, T, D] as ours (each step reads the [B, D] slice of token t)"
PROBE_T = 32       # steps of the probe call
PROBE_SHARE = 0.25  # of the budget, at most, for the probes
SHARE_TARGET_S = 0.3  # timed calls aim at this much in all, when the budget allows


def hbm_elements(op, f):
    """The contract's cost().hbm_elements (forward): k, v, y and the two parameter vectors; x, delta, y, B, C, A, D."""
    B, T, D = int(f["B"]), int(f["T"]), int(f["D"])
    if op == "wkv":
        return 3.0 * B * T * D + 2.0 * D
    N = int(f["N"])
    return 3.0 * B * T * D + 2.0 * B * T * N + D * (N + 1.0)


def _f32(t):
    """float32 arithmetic for half-precision storage; float32 and float64 (the check) stay as they are."""
    import torch
    return t if t.dtype in (torch.float32, torch.float64) else t.float()


def wkv_sequential(k, v, time_decay, time_first):
    """RWKV-4's WKV, the stable running-maximum recurrence as a loop over T: k, v [B, T, D] -> y [B, T, D]."""
    import torch
    dtype = k.dtype
    k, v = _f32(k), _f32(v)
    w, u = torch.exp(_f32(time_decay)), _f32(time_first)
    Bn, T, D = k.shape
    p = k.new_zeros(Bn, D)
    q = k.new_zeros(Bn, D)
    o = k.new_full((Bn, D), -1e38)
    ys = []
    for t in range(T):
        kt, vt = k[:, t], v[:, t]
        bk = u + kt
        m = torch.maximum(o, bk)
        a, e = torch.exp(o - m), torch.exp(bk - m)
        ys.append((a * p + e * vt) / (a * q + e))
        ow = o - w
        m = torch.maximum(ow, kt)
        a, e = torch.exp(ow - m), torch.exp(kt - m)
        p = a * p + e * vt
        q = a * q + e
        o = m
    return torch.stack(ys, 1).to(dtype)


def scan_sequential(x, delta, A, B, C, D):
    """Mamba's selective scan as a loop over T: x, delta [B, T, D], A [D, N], B, C [B, T, N], D [D] -> y [B, T, D]."""
    import torch
    dtype = x.dtype
    x, delta, A, B, C, D = (_f32(a) for a in (x, delta, A, B, C, D))
    Bn, T, Dn = x.shape
    dx = delta * x
    h = x.new_zeros(Bn, Dn, A.shape[1])
    ys = []
    for t in range(T):
        dA = torch.exp(delta[:, t, :, None] * A)
        h = dA * h + dx[:, t, :, None] * B[:, t, None, :]
        ys.append((h * C[:, t, None, :]).sum(-1))
    return (torch.stack(ys, 1) + D * x).to(dtype)


def plan(call_s, setup_s, share_s, left_s):
    """(warm-ups, timed calls, estimated seconds) for one case, or None when even 1 + 1 exceeds what is left."""
    full = int(min(20, max(3, SHARE_TARGET_S / max(call_s, 1e-9))))
    for w, n in ((2, full), (2, 3), (1, 3), (1, 1)):
        cost = SAFETY * (setup_s + (w + n) * call_s)
        if cost <= share_s:
            return w, n, cost
    cost = SAFETY * (setup_s + 2 * call_s)
    return (1, 1, cost) if cost <= left_s else None


def peer_rows(cases):
    """One peer row per (op, dtype, direction, shape) of the cases file, in its order."""
    rows, done = [], set()
    for c in cases:
        if c["op"] not in OPS:
            continue
        f = {k: int(v) for k, v in c["fields"].items()}
        key = (c["op"], c["dtype"], c["direction"], tuple(sorted(f.items())))
        if key in done:
            continue
        done.add(key)
        rows.append({"peer": PEER[c["op"]], "op": c["op"], "dtype": c["dtype"], "direction": c["direction"], **f})
    return rows


def shape(r):
    return " ".join(f"{k}={r[k]}" for k in ("B", "T", "D", "N") if k in r)


def tag(r):
    """A row's progress-line prefix."""
    return f"torch {r['peer']} {r['dtype']} {r['direction']} {shape(r)}"


def gbs(r, ms):
    nbytes = hbm_elements(r["op"], r) * (2 if r["dtype"] == "bfloat16" else 4) * FACTOR[r["direction"]]
    return nbytes / (ms / 1e3) / 1e9


def from_log(argv):
    """--from-log: the JSON of a run cut (by its caller's time limit) before its last write, rebuilt from its
    progress lines: "<tag>: <ms> ms (median of <n> after <w> warm-up), ..." gives a timed row (GB/s recomputed from
    ms), "<tag>: skipped (<reason>)" and "<tag> failed: <error>" likewise; a row with no line was not reached. meta
    says so ("partial", "recovered_from"); --gpu and --budget-s name what the lines do not."""
    ap = argparse.ArgumentParser(description="rebuild recurrent_torch.py's JSON from the log of a cut run")
    ap.add_argument("--cases", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--from-log", required=True)
    ap.add_argument("--gpu", default="?")
    ap.add_argument("--budget-s", type=float)
    args = ap.parse_args(argv)
    try:
        rows = peer_rows(json.load(open(args.cases))["cases"])
        lines = open(args.from_log).read().splitlines()
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"recurrent_torch.py --from-log: {args.cases} or {args.from_log}: {e} (expected a kernels_bench cases "
              "file and this script's log)", file=sys.stderr)
        return 2
    by_tag = {tag(r): r for r in rows}
    timed_re = re.compile(r"^(torch .+?): ([0-9.]+) ms \(median of (\d+) after (\d+) warm-up\)")
    for line in lines:
        m = timed_re.match(line)
        if m and m.group(1) in by_tag:
            r, ms = by_tag[m.group(1)], float(m.group(2))
            r.update(ms=ms, gbs=gbs(r, ms), iters=int(m.group(3)), warmups=int(m.group(4)))
            continue
        for sep, key in ((": skipped (", "skipped"), (": failed (", "error"), (" failed: ", "error")):
            head, found, rest = line.partition(sep)
            if found and head in by_tag:
                by_tag[head][key] = rest[:-1] if sep.endswith("(") and rest.endswith(")") else rest
                break
    not_reached = [r for r in rows if not any(k in r for k in ("ms", "skipped", "error"))]
    for r in not_reached:
        r["skipped"] = "not reached: the run was cut before this row (its JSON rebuilt from its progress lines)"
    timed = sum("ms" in r for r in rows)
    unknown = "? (not in the progress lines)"
    meta = {"torch": unknown, "cuda": unknown, "layout": LAYOUT, "gpu": args.gpu, "budget_s": args.budget_s,
            "timed": timed,
            "skipped": sum("skipped" in r for r in rows), "recovered_from": os.path.basename(args.from_log),
            "partial": f"rebuilt from the progress lines of a run cut before it wrote its JSON: {timed} of "
                       f"{len(rows)} rows timed, {len(not_reached)} not reached"}
    write_results(args.out, rows, meta, final=True)
    print(f"recurrent_torch.py --from-log: {timed} rows timed, {len(not_reached)} not reached, of {len(rows)}")
    return 0


def main():
    if "--from-log" in sys.argv[1:]:
        return from_log(sys.argv[1:])

    t_start = time.monotonic()
    default_budget = float(os.environ.get("MENAGERIE_RECURRENT_PEER_BUDGET_S", "150"))
    peer = Peer("PyTorch peers of the recurrent kernels (sequential loops over T)",
                lambda ap: ap.add_argument("--budget-s", type=float, default=default_budget,
                                           help="wall-clock budget of the whole script in seconds (default 150)"))
    if peer.skipped:
        return 0
    args, cases, torch, dev, median_ms = peer.args, peer.cases, peer.torch, peer.dev, peer.median_ms
    budget = args.budget_s
    cuda = dev.type == "cuda"

    def left():
        return budget - (time.monotonic() - t_start)

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def rand(g, dtype, lo, hi, *shape):
        return (torch.rand(*shape, device=dev, dtype=torch.float32, generator=g) * (hi - lo) + lo).to(dtype)

    def build(op, dtype_name, direction, f):
        """(fn, setup): the timed callable for the direction, and for bwd the untimed forward it needs (else None)."""
        dt = torch.bfloat16 if dtype_name == "bfloat16" else torch.float32
        B, T, D = int(f["B"]), int(f["T"]), int(f["D"])
        g = torch.Generator(device=dev).manual_seed(7)
        if op == "wkv":
            params = (rand(g, dt, -1, 1, B, T, D), rand(g, dt, -1, 1, B, T, D), rand(g, dt, -2, 1, D),
                      rand(g, dt, -1, 1, D))
            fwd = lambda: wkv_sequential(*params)
        else:
            N = int(f["N"])
            params = (rand(g, dt, -1, 1, B, T, D), rand(g, dt, 0.05, 1, B, T, D), rand(g, dt, -1.5, -0.1, D, N),
                      rand(g, dt, -1, 1, B, T, N), rand(g, dt, -1, 1, B, T, N), rand(g, dt, -1, 1, D))
            fwd = lambda: scan_sequential(*params)
        dy = rand(g, dt, -1, 1, B, T, D)
        if direction == "fwd":
            def fn():
                with torch.no_grad():
                    return fwd()
            return fn, None
        for p in params:
            p.requires_grad_(True)
        if direction == "fwdbwd":
            return (lambda: torch.autograd.grad(fwd(), params, dy)), None
        state = {}

        def setup():
            state.pop("out", None)  # the previous graph goes before the next is built
            state["out"] = fwd()
        return (lambda: torch.autograd.grad(state["out"], params, dy, retain_graph=True)), setup

    rows = peer_rows(cases)

    def family(r):
        return (r["op"], r["dtype"], r["direction"], tuple((k, r[k]) for k in ("B", "D", "N") if k in r))

    # ---- probes: time per step (and autograd bytes per step) of each family at T = PROBE_T ----
    # One warm-up of each op and direction at a tiny shape first (CUDA context, kernels' first launch), then one call
    # per family, smallest family first; the probes stop at PROBE_SHARE of the budget (their families: skipped).
    for op in sorted({r["op"] for r in rows}):
        for direction in sorted({r["direction"] for r in rows if r["op"] == op}):
            fn, setup = build(op, "float32", direction, {"B": 1, "T": 4, "D": 2, "N": 2})
            if setup:
                setup()
            fn()
    sync()
    probes = peer.probe_families(
        rows, family, lambda r, T: build(r["op"], r["dtype"], r["direction"], dict(family(r)[3], T=T)),
        lambda r, T: f"{r['peer']} {r['dtype']} {r['direction']} {shape(dict(family(r)[3], T=T))}",
        t_start=t_start, budget=budget, probe_t=PROBE_T, share=PROBE_SHARE, unit="step")

    # ---- the timings, cheapest first, each within its share of the budget ----
    def estimate(r):
        p = probes[family(r)]
        return (p["call_s"] * r["T"], p["setup_s"] * r["T"]) if "call_s" in p else (0.0, 0.0)

    def write(final=False):  # after every row: a run cut by its caller's time limit keeps what it timed
        meta = {"torch": torch.__version__, "cuda": torch.version.cuda,
                "gpu": torch.cuda.get_device_name(dev) if cuda else "cpu (MENAGERIE_PEER_CPU=1: a test, not a timing)",
                "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "layout": LAYOUT,
                "wkv": "the stable running-maximum recurrence (p, q, o) per (b, d) as a Python loop over T, float32",
                "selective_scan": "h = exp(delta_t A) h + (delta_t x_t) B_t, y_t = <h, C_t> + D x_t as a Python loop "
                                  "over T, float32 (selective_scan_ref's math)",
                "tf32": False,
                "timing": "CUDA events per call, L2 flushed before each, median; 2 warm-up calls and 3 to 20 timed "
                          "where the budget allows, down to 1 and 1 for long sequences (each row's warmups and iters)",
                "budget_s": budget, "elapsed_s": round(time.monotonic() - t_start, 1),
                "timed": sum("ms" in r for r in rows), "skipped": sum("skipped" in r for r in rows),
                "budget_rule": f"probe per family at T={PROBE_T}, estimate = time per step x T x {SAFETY}; cheapest "
                               "first, each case within (time left / cases left); over the time left: skipped"}
        write_results(args.out, rows, meta, final)

    order = sorted(range(len(rows)), key=lambda i: (estimate(rows[i])[1] + 2 * estimate(rows[i])[0], i))
    for n_done, i in enumerate(order):
        write()
        r = rows[i]
        p = probes[family(r)]
        tag_r = tag(r)
        if "error" in p or "skipped" in p:
            r.update(p)
            print(f"{tag_r}: {'failed' if 'error' in p else 'skipped'} ({p.get('error') or p['skipped']})", flush=True)
            continue
        call_s, setup_s = estimate(r)
        r["est_ms"] = 1e3 * call_s
        how = (f"{1e3 * call_s:.0f} ms per call from {1e6 * p['call_s']:.0f} us per step measured at T={p['T']}"
               + (f", plus {setup_s:.1f} s for the retained forward" if setup_s else ""))
        if cuda and p["bytes"] > 0:
            need = p["bytes"] * r["T"] * SAFETY
            free = torch.cuda.mem_get_info()[0]
            if need > 0.9 * free:
                r["skipped"] = (f"memory: estimated {need / 2**30:.1f} GiB for autograd's saved tensors "
                                f"({p['bytes'] / 2**20:.2f} MiB per step at T={p['T']}), over 90% of the "
                                f"{free / 2**30:.1f} GiB free")
                print(f"{tag_r}: skipped ({r['skipped']})", flush=True)
                continue
        lft = left()
        pl = plan(call_s, setup_s, lft / (len(order) - n_done), lft)
        if pl is None:
            r["skipped"] = (f"time budget: estimated {SAFETY * (setup_s + 2 * call_s):.0f} s for 1 warm-up and 1 timed "
                            f"call ({how}), over the {max(lft, 0):.0f} s left of the {budget:.0f} s budget")
            print(f"{tag_r}: skipped ({r['skipped']})", flush=True)
            continue
        w, n, _ = pl
        try:
            fn, setup = build(r["op"], r["dtype"], r["direction"], r)
            if setup:
                sync()
                t0 = time.perf_counter()
                setup()
                sync()
                # the family's later (longer) cases are estimated from the slower of the probe and this case
                p["setup_s"] = max(p["setup_s"], (time.perf_counter() - t0) / r["T"])
            ms = median_ms(fn, n, w)
            if ms / 1e3 / r["T"] > p["call_s"]:
                p["call_s"], p["T"] = ms / 1e3 / r["T"], r["T"]
            r.update(ms=ms, gbs=gbs(r, ms), warmups=w, iters=n)
            print(f"{tag_r}: {ms:.3f} ms (median of {n} after {w} warm-up), {r['gbs']:.3g} GB/s, estimated "
                  f"{1e3 * call_s:.0f} ms; {left():.0f} s of the budget left", flush=True)
        except Exception as e:  # e.g. out of memory at T = 16k backward
            r["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            print(f"{tag_r} failed: {r['error']}", flush=True)
        fn = setup = None
        if cuda:
            torch.cuda.empty_cache()

    timed = sum("ms" in r for r in rows)
    skipped = sum("skipped" in r for r in rows)
    print(f"recurrent_torch.py: {timed} peer rows timed, {skipped} skipped, "
          f"{sum('error' in r for r in rows)} failed in {time.monotonic() - t_start:.0f} s of the {budget:.0f} s "
          "budget", flush=True)
    write(final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
