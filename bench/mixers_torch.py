#!/usr/bin/env python3
"""zoology's own mixer modules as the peers of the mixers' GPU variants, timed the same way in the same invocation of
`menagerie bench mixers`.

  python3 bench/mixers_torch.py --cases mixers_cases.json --out mixers_torch.json --menagerie build/bin/menagerie \
      [--peers ../shared/peers] [--budget-s 240]
--peers defaults to MENAGERIE_PEERS_DIR, else ../shared/peers beside the project's root (../shared/peers/README.md), else
the project's build-gpu/peers (bench/pack_gpu.sh's copy for the GPU machine).

The shapes are the ones kernels_bench timed (--ops=base_conv,hyena,h3,rwkv,mamba --cases-out writes them from the
contracts' gpu_bench_cases), so both sides run one grid. Every case (op = the mixer id, its bench fields, direction)
gets zoology's module (../shared/peers/zoology, imported at run time, never copied) in float32, input u [B, T, D] as
ours, uniform in [-1, 1], and an upstream gradient likewise: fwd (forward under no_grad), bwd (torch.autograd.grad of
one retained forward's output with respect to u and every trainable parameter: the backward alone, as kernels_bench
times our backward after its forward) and fwdbwd (forward and that backward in one timed region). Two cases that
differ only in our variant share one peer row; a bfloat16 case gets the float32 peer (zoology's modules are float32
models: H3, Mamba and RWKV's WKV cast to float32 inside).

The modules, from the fields (bench_fields of core/mixers/<id>.hpp), l_max = T:
  base_conv  zoology.mixers.base_conv.BaseConv(D, l_max=T, kernel_size=K) for conv = 0 (short conv, K taps), and
             kernel_size=-1 with implicit_long_conv = (conv == 2) for the long convs (1 explicit, 2 implicit):
             y = conv(u) * (u W^T + b) + u;                                                 peer zoology_base_conv
  hyena      zoology.mixers.hyena.Hyena(D, l_max=T, filter_order=F (64), short_filter_order=K (3)): order 2, the
             implicit filter MLP, the FFT long convolution;                                 peer zoology_hyena
  h3         zoology.mixers.h3.H3(D, d_state=N, l_max=T, head_dim=P): shift SSM on k, diagonal S4D on kv, both
             as FFT convolutions;                                                           peer zoology_h3
  rwkv       zoology.mixers.rwkv.RWKVTimeMixer(l_max=T, d_model=D, layer_idx=0): the token shift, the four
             projections and WKV through its RUN_CUDA, which is zoology's CUDA extension (wkv_cuda.cu, JIT-compiled
             by torch at import, RWKV_FLOAT_MODE=bf16 as the module sets it: fp32 arithmetic, y rounded to bf16;
             compiled for T <= T_MAX = 1024), peer zoology_rwkv_cuda; where it does not compile, or T > T_MAX, RUN_CUDA
             is replaced by bench/recurrent_torch.py's wkv_sequential (the same stable recurrence as a PyTorch loop
             over T, y rounded to bf16 likewise), peer zoology_rwkv_torch_wkv
  mamba      zoology.mixers.mamba.Mamba(D, d_state=N (16), d_conv=K (4), expand=E/D (E = d_inner), use_fast_path=False):
             mamba_ssm's CUDA kernels and causal_conv1d are absent, so causal_conv1d_fn = None (the module's
             nn.Conv1d + SiLU path) and selective_scan_fn = zoology's own selective_scan_ref (mamba_ssm's plain
             PyTorch scan, a loop over T);                                                   peer zoology_mamba_ref
A field the script does not know for its mixer (or a missing required one: h3's N and P) makes that case's row an
error that says so, rather than timing a module of another configuration.

The same model: before any timing, each configuration's module is built at a small shape (d_model 16, or 8 P for h3;
T = 8) and its state_dict (names and shapes) is compared with the contract's tensors at that shape, which
`menagerie bench mixers --tensors` prints (core/mixers/<id>.hpp tensors(): the parameters, and the state_dict aliases,
such as hyena's filter frequency under three names). Any difference (a name on one side only, a shape) stops the
script with exit 1 and the list of differences.

Time budget (as bench/recurrent_torch.py; Mamba's scan and the WKV transcription are Python loops over T): the whole
timing runs under --budget-s (default 240 s, or MENAGERIE_MIXERS_PEER_BUDGET_S; importing zoology and compiling
RWKV's extension come before it and are recorded as import_s). First one probe per family (op, peer, direction, the
fields but T), smallest first, times one call at T = min(T, 64): the time per token and, on a GPU, the peak memory per
token; the probes stop at a quarter of the budget (their families: skipped). A case's call is estimated as its
family's time per token x T x 1.2; once a case of the family is timed, its time per token stands for the family's
later, longer cases. Cases are timed cheapest first, each within its share of what is left, with the richest of
recurrent_torch.py's plans (2 warm-ups and 3 to 20 timed calls, down to 1 and 1); a case whose estimate exceeds the
time left, or whose memory estimate exceeds 90% of the GPU's free memory, gets "skipped" with the reason, and one that
runs out of memory anyway gets "skipped" with the error. Each timed call: L2 flushed, CUDA events, the median
(bench/torch_peer.py). TF32 is off. Per row: ms, the peer's name, warm-ups and timed calls. Exits 0 with
{"skipped": reason} when torch, a GPU (MENAGERIE_PEER_CPU=1: on the CPU, for tests) or zoology is missing.
"""
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import types

OPS = ("base_conv", "hyena", "h3", "rwkv", "mamba")
PROBE_T = 64
PROBE_SHARE = 0.25
CHECK_T = 8
# The fields each mixer's cases may carry besides B, T, D, and the value of each optional one when absent.
FIELDS = {"base_conv": {"conv": 0, "K": 3}, "hyena": {"F": 64, "K": 3}, "h3": {"N": None, "P": None},
          "rwkv": {}, "mamba": {"N": 16, "K": 4, "E": None}}
CONV = {0: "short", 1: "long_explicit", 2: "long_implicit"}


def config(op, f):
    """(our mixer object, as run configs write it, for menagerie --tensors; zoology's constructor kwargs) for the
    case's fields f at its T (l_max = T). Raises ValueError for a field the script does not know or a missing one."""
    extra = sorted(set(f) - {"B", "T", "D"} - set(FIELDS[op]))
    if extra:
        raise ValueError(f"{op}: bench field(s) {', '.join(extra)} unknown to mixers_torch.py (update its FIELDS)")
    g = {k: f.get(k, v) for k, v in FIELDS[op].items()}
    missing = [k for k, v in g.items() if v is None]
    if missing:
        raise ValueError(f"{op}: the case has no {', '.join(missing)} field")
    T = f["T"]
    if op == "base_conv":
        if g["conv"] not in CONV:
            raise ValueError(f"base_conv: conv = {g['conv']} is not one of {sorted(CONV)} (short, explicit, implicit)")
        conv = CONV[g["conv"]]
        ours = {"id": op, "conv": conv, "l_max": T}
        if conv == "short":
            ours["kernel_size"] = g["K"]
        return ours, {"l_max": T, "kernel_size": g["K"] if conv == "short" else -1,
                      "implicit_long_conv": conv == "long_implicit"}
    if op == "hyena":
        return ({"id": op, "l_max": T, "filter_order": g["F"], "short_filter_order": g["K"]},
                {"l_max": T, "filter_order": g["F"], "short_filter_order": g["K"]})
    if op == "h3":
        return {"id": op, "d_state": g["N"], "head_dim": g["P"]}, {"d_state": g["N"], "l_max": T, "head_dim": g["P"]}
    if op == "rwkv":
        return {"id": op}, {"l_max": T, "layer_idx": 0}
    # mamba's bench field E is d_inner = expand D (core/mixers/mamba.hpp bench_fields); without it, expand 2.
    expand = f["E"] // f["D"] if "E" in f else 2
    if "E" in f and expand * f["D"] != f["E"]:
        raise ValueError(f"mamba: E = {f['E']} is not a multiple of D = {f['D']}")
    return ({"id": op, "d_state": g["N"], "d_conv": g["K"], "expand": expand},
            {"d_state": g["N"], "d_conv": g["K"], "expand": expand, "use_fast_path": False})


def stand_in(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def importable(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


class Zoology:
    """zoology's mixer classes, imported from PEERS/zoology (PEERS/stubs after site-packages, for pydantic and
    wandb; PEERS/wheels/einops-*.whl on sys.path when einops is missing: a pure-Python wheel imports as a zip)."""

    def __init__(self, peers, torch, cuda):
        self.notes = []
        sys.path.insert(0, os.path.join(peers, "zoology"))
        sys.path.append(os.path.join(peers, "stubs"))
        if not importable("einops"):
            sys.path += sorted(glob.glob(os.path.join(peers, "wheels", "einops-*.whl")))
            self.notes.append("einops from ../shared/peers/wheels")
        if not importable("opt_einsum"):  # H3's SSKernel contracts with it; torch.einsum computes the same
            stand_in("opt_einsum", contract=torch.einsum)
            self.notes.append("opt_einsum absent: its contract() is torch.einsum")
        from zoology.mixers.base_conv import BaseConv
        from zoology.mixers.hyena import Hyena
        from zoology.mixers.h3.h3 import H3
        self.classes = {"base_conv": BaseConv, "hyena": Hyena, "h3": H3}
        self.mamba = self._import_mamba()
        self.classes["mamba"] = self.mamba.Mamba
        self.rwkv, self.rwkv_cuda_error = self._import_rwkv(torch, cuda)
        self.classes["rwkv"] = lambda d, **kw: self.rwkv.RWKVTimeMixer(d_model=d, **kw)

    def _import_mamba(self):
        """zoology.mixers.mamba with stand-ins for causal_conv1d, mamba_ssm's CUDA extensions and (where triton is
        missing) the triton layer norm, none of which the reference path uses; selective_scan_fn =
        selective_scan_ref."""
        stand_in("causal_conv1d", causal_conv1d_fn=None)
        stand_in("causal_conv1d_cuda")
        stand_in("selective_scan_cuda")
        if not importable("triton"):
            stand_in("zoology.mixers.mamba_ssm.triton.layernorm", RMSNorm=None, layer_norm_fn=None, rms_norm_fn=None)
        import zoology.mixers.mamba as mamba
        from zoology.mixers.mamba_ssm.selective_scan_interface import selective_scan_ref
        mamba.causal_conv1d_fn = None
        mamba.selective_scan_fn = selective_scan_ref
        return mamba

    def _import_rwkv(self, torch, cuda):
        """zoology.mixers.rwkv, whose import JIT-compiles wkv_cuda.cu; (module, None) when it compiled, else
        (module with wkv_cuda = None, the reason)."""
        import torch.utils.cpp_extension as ext
        real_load, err = ext.load, []

        def load(*a, **k):
            if not cuda:
                err.append("no CUDA device")
                return None
            try:
                return real_load(*a, **k)
            except Exception as e:  # no nvcc or ninja, a compile error
                err.append(f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}")
                return None
        ext.load = load
        try:
            import zoology.mixers.rwkv as rwkv
        finally:
            ext.load = real_load
        rwkv.RUN_CUDA_ZOOLOGY = rwkv.RUN_CUDA
        return rwkv, (err[0] if err else None)

    def rwkv_path(self, T):
        """The peer name of an rwkv case of length T, and RUN_CUDA set to its WKV."""
        if self.rwkv_cuda_error is None and T <= self.rwkv.T_MAX:
            self.rwkv.RUN_CUDA = self.rwkv.RUN_CUDA_ZOOLOGY
            return "zoology_rwkv_cuda"
        from recurrent_torch import wkv_sequential

        def run(B, T, C, w, u, k, v):
            y = wkv_sequential(k, v, w, u)
            return y.bfloat16() if os.environ.get("RWKV_FLOAT_MODE") == "bf16" else y
        self.rwkv.RUN_CUDA = run
        return "zoology_rwkv_torch_wkv"

    def peer_name(self, op, T):
        return self.rwkv_path(T) if op == "rwkv" else {"mamba": "zoology_mamba_ref"}.get(op, f"zoology_{op}")

    def build(self, op, d, kwargs):
        return self.classes[op](d, **kwargs)


def check_state_dicts(zoo, rows, menagerie):
    """Each configuration's module at a small shape against the contract's tensors from `menagerie bench mixers
    --tensors`; returns the lines of differences (empty: every one agrees)."""
    reqs, seen = [], set()
    for r in rows:
        if "error" in r:
            continue
        d = 8 * r["P"] if r["op"] == "h3" else 16
        ours, kw = config(r["op"], dict(r["fields"], T=CHECK_T))
        key = json.dumps([ours, d], sort_keys=True)
        if key not in seen:
            seen.add(key)
            reqs.append(({"mixer": ours, "d_model": d, "B": 1, "T": CHECK_T}, r["op"], kw))
    if not reqs:
        return []
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"mixers": [q for q, _, _ in reqs]}, f)
    try:
        res = subprocess.run([menagerie, "bench", "mixers", "--tensors", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    if res.returncode != 0:
        return [f"{menagerie} bench mixers --tensors failed (exit {res.returncode}): {res.stderr.strip()}"]
    problems = []
    for (q, op, kw), c in zip(reqs, json.loads(res.stdout)["mixers"]):
        sd = {k: list(v.shape) for k, v in zoo.build(op, q["d_model"], kw).state_dict().items()}
        ours = {t["name"]: t["shape"] for t in c["tensors"]}
        alias = {a["alias"]: a["canonical"] for a in c["aliases"]}
        what = f"{json.dumps(q['mixer'])} at d_model {q['d_model']}, T {CHECK_T}"
        for name in sorted(set(sd) - set(ours) - set(alias)):
            problems.append(f"{what}: zoology's state_dict has {name} {sd[name]}, the contract has no such tensor")
        for name in sorted(set(ours) - set(sd)):
            problems.append(f"{what}: the contract's {name} {ours[name]} is not in zoology's state_dict")
        for name in sorted(set(sd) & (set(ours) | set(alias))):
            want = ours.get(name, ours.get(alias.get(name)))
            if sd[name] != want:
                problems.append(f"{what}: {name} has shape {sd[name]} in zoology's state_dict, {want} in the contract")
        print(f"state_dict check {what}: {len(sd)} tensors, "
              + ("agree" if not problems else f"{len(problems)} difference(s) so far"), flush=True)
    return problems


def main():
    from torch_peer import Peer, default_peers
    from recurrent_torch import SAFETY, plan

    default_budget = float(os.environ.get("MENAGERIE_MIXERS_PEER_BUDGET_S", "240"))

    def add_args(ap):
        ap.add_argument("--menagerie", required=True, help="the menagerie binary (for the contracts' tensors)")
        ap.add_argument("--peers", default=default_peers(),
                        help="the peers folder holding zoology/, stubs/, wheels/ (default: MENAGERIE_PEERS_DIR, else "
                             "../shared/peers from the project's root, else its build-gpu/peers)")
        ap.add_argument("--budget-s", type=float, default=default_budget,
                        help="wall-clock budget of the timing in seconds (default 240)")
    peer = Peer("zoology's mixer modules, timed beside the mixers' GPU variants", add_args)
    if peer.skipped:
        return 0
    args, cases, torch, dev, median_ms = peer.args, peer.cases, peer.torch, peer.dev, peer.median_ms
    cuda = dev.type == "cuda"
    peers_dir = os.path.abspath(args.peers)
    if not os.path.isdir(os.path.join(peers_dir, "zoology", "zoology", "mixers")):
        peer._skip(f"no zoology under {peers_dir} (expected zoology/zoology/mixers; --peers or MENAGERIE_PEERS_DIR)")
        print(f"mixers_torch.py: skipped: {peer.skipped}", flush=True)
        return 0
    t_import = time.monotonic()
    zoo = Zoology(peers_dir, torch, cuda)
    import_s = time.monotonic() - t_import
    if zoo.rwkv_cuda_error:
        print(f"rwkv: zoology's WKV CUDA extension not available ({zoo.rwkv_cuda_error}): the PyTorch transcription "
              "of its recurrence stands in", flush=True)

    # ---- the rows: one per (op, direction, fields); a bfloat16 case shares the float32 row ----
    rows, done = [], set()
    for c in cases:
        if c["op"] not in OPS:
            continue
        f = {k: int(v) for k, v in c["fields"].items()}
        key = (c["op"], c["direction"], tuple(sorted(f.items())))
        if key in done:
            continue
        done.add(key)
        r = {"op": c["op"], "dtype": "float32", "direction": c["direction"], **f, "fields": f}
        try:
            config(c["op"], f)
            r["peer"] = zoo.peer_name(c["op"], f["T"])
        except ValueError as e:
            r.update(peer=f"zoology_{c['op']}", error=str(e))
        rows.append(r)

    problems = check_state_dicts(zoo, rows, args.menagerie)
    if problems:
        print("mixers_torch.py: zoology's modules differ from the contracts:\n  " + "\n  ".join(problems),
              file=sys.stderr)
        return 1

    t_start = time.monotonic()
    budget = args.budget_s

    def left():
        return budget - (time.monotonic() - t_start)

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def build(r, T):
        """(fn, setup) of row r at length T: the timed callable, and for bwd the untimed forward it needs."""
        f = dict(r["fields"], T=T)
        _, kw = config(r["op"], f)
        if r["op"] == "rwkv":
            zoo.rwkv_path(T)
        g = torch.Generator(device=dev).manual_seed(7)
        module = zoo.build(r["op"], f["D"], kw).to(dev).eval()
        u = torch.rand(f["B"], T, f["D"], device=dev, generator=g).mul_(2).sub_(1)
        dy = torch.rand(f["B"], T, f["D"], device=dev, generator=g).mul_(2).sub_(1)
        if r["direction"] == "fwd":
            def fn():
                with torch.no_grad():
                    return module(u)
            return fn, None
        params = [u.requires_grad_(True)] + [p for p in module.parameters() if p.requires_grad]
        if r["direction"] == "fwdbwd":
            return (lambda: torch.autograd.grad(module(u), params, dy)), None
        state = {}

        def setup():
            state.pop("out", None)
            state["out"] = module(u)
        return (lambda: torch.autograd.grad(state["out"], params, dy, retain_graph=True)), setup

    def shape(r):
        return " ".join(f"{k}={v}" for k, v in r["fields"].items())

    def family(r):
        return (r["op"], r["peer"], r["direction"], tuple((k, v) for k, v in r["fields"].items() if k != "T"))

    def oom(e):
        return isinstance(e, RuntimeError) and "out of memory" in str(e)

    def err(e):
        return f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"

    # ---- probes: time (and peak memory) per token of each family at T = min(T, PROBE_T) ----
    live = [r for r in rows if "error" not in r]
    probes = peer.probe_families(live, family, build, lambda r, T: f"{r['peer']} {r['direction']} {shape(r)} at T={T}",
                                 t_start=t_start, budget=budget, probe_t=PROBE_T, share=PROBE_SHARE, unit="token")

    # ---- the timings, cheapest first, each within its share of the budget ----
    def estimate(r):
        p = probes[family(r)]
        return (p["call_s"] * r["T"], p["setup_s"] * r["T"]) if "call_s" in p else (0.0, 0.0)

    order = sorted(range(len(live)), key=lambda i: (estimate(live[i])[1] + 2 * estimate(live[i])[0], i))
    for n_done, i in enumerate(order):
        r = live[i]
        p = probes[family(r)]
        tag = f"zoology {r['peer']} {r['direction']} {shape(r)}"
        if "error" in p or "skipped" in p:
            r.update({k: v for k, v in p.items() if k in ("error", "skipped")})
            print(f"{tag}: {r.get('error') or r['skipped']}", flush=True)
            continue
        call_s, setup_s = estimate(r)
        r["est_ms"] = 1e3 * call_s
        how = f"{1e3 * call_s:.0f} ms per call from {1e6 * p['call_s']:.0f} us per token at T={p['T']}"
        if cuda and p["bytes"] > 0:
            need, free = p["bytes"] * r["T"] * SAFETY, torch.cuda.mem_get_info()[0]
            if need > 0.9 * free:
                r["skipped"] = (f"memory: estimated {need / 2**30:.1f} GiB ({p['bytes'] / 2**20:.2f} MiB per token at "
                                f"T={p['T']}), over 90% of the {free / 2**30:.1f} GiB free")
                print(f"{tag}: skipped ({r['skipped']})", flush=True)
                continue
        lft = left()
        pl = plan(call_s, setup_s, lft / (len(order) - n_done), lft)
        if pl is None:
            r["skipped"] = (f"time budget: estimated {SAFETY * (setup_s + 2 * call_s):.0f} s for 1 warm-up and 1 timed "
                            f"call ({how}), over the {max(lft, 0):.0f} s left of the {budget:.0f} s budget")
            print(f"{tag}: skipped ({r['skipped']})", flush=True)
            continue
        w, n, _ = pl
        fn = setup = None
        try:
            fn, setup = build(r, r["T"])
            if setup:
                setup()
            ms = median_ms(fn, n, w)
            p["call_s"], p["T"] = ms / 1e3 / r["T"], r["T"]
            r.update(ms=ms, warmups=w, iters=n)
            print(f"{tag}: {ms:.3f} ms (median of {n} after {w} warm-up), estimated {1e3 * call_s:.0f} ms; "
                  f"{left():.0f} s of the budget left", flush=True)
        except Exception as e:
            if oom(e):
                r["skipped"] = f"memory: {err(e)}"
            else:
                r["error"] = err(e)
            print(f"{tag}: {r.get('error') or r['skipped']}", flush=True)
        fn = setup = None
        if cuda:
            torch.cuda.empty_cache()

    for r in rows:
        del r["fields"]
    timed, skipped = sum("ms" in r for r in rows), sum("skipped" in r for r in rows)
    elapsed = time.monotonic() - t_start
    print(f"mixers_torch.py: {timed} peer rows timed, {skipped} skipped, {sum('error' in r for r in rows)} failed in "
          f"{elapsed:.0f} s of the {budget:.0f} s budget", flush=True)
    meta = {"torch": torch.__version__, "cuda": torch.version.cuda,
            "gpu": torch.cuda.get_device_name(dev) if cuda else "cpu (MENAGERIE_PEER_CPU=1: a test, not a timing)",
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "layout": "[B, T, D] as ours (zoology's modules take and return [B, T, D])",
            "zoology": os.path.abspath(os.path.join(args.peers, "zoology")),
            "modules": {"base_conv": "zoology.mixers.base_conv.BaseConv", "hyena": "zoology.mixers.hyena.Hyena",
                        "h3": "zoology.mixers.h3.h3.H3", "rwkv": "zoology.mixers.rwkv.RWKVTimeMixer",
                        "mamba": "zoology.mixers.mamba.Mamba (use_fast_path=False, selective_scan_ref)"},
            "rwkv_wkv": ("zoology's CUDA extension (T <= 1024), the PyTorch transcription above"
                         if zoo.rwkv_cuda_error is None else
                         f"the PyTorch transcription (zoology's CUDA extension: {zoo.rwkv_cuda_error})"),
            "notes": zoo.notes, "state_dicts": "checked against the contracts' tensors",
            "tf32": False, "dtype": "float32",
            "timing": "CUDA events per call, L2 flushed before each, median; 2 warm-up calls and 3 to 20 timed where "
                      "the budget allows, down to 1 and 1 (each row's warmups and iters)",
            "budget_s": budget, "elapsed_s": round(elapsed, 1), "import_s": round(import_s, 1), "timed": timed,
            "skipped": skipped}
    json.dump({"meta": meta, "results": rows}, open(args.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
