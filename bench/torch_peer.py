"""What every PyTorch peer script of `menagerie bench` shares (bench/attention_torch.py, bench/conv_torch.py,
bench/recurrent_torch.py): the command line (--cases FILE --out FILE, plus a script's own options), importing torch
and finding a GPU (else {"skipped": reason} is written and the script exits 0), TF32 off, and the timing of one call
as kernels_bench times ours: two warm-up calls (fewer where a script asks, for calls that take seconds), then per
timed call the L2 flushed (a fill of twice its size) and CUDA events around the call; the median of the calls.

MENAGERIE_PEER_CPU=1 (tests only, never in a report): without a GPU, run on the CPU instead of skipping, with
time.perf_counter around each call, so that a script's own logic can be exercised on a machine without one.
write_results: a script's JSON written atomically after every row (bench/train_torch.py, bench/recurrent_torch.py).
default_peers: where zoology's snapshot is looked for (bench/mixers_torch.py, bench/train_torch.py).
"""
import argparse
import json
import math
import os
import time


def default_peers():
    """MENAGERIE_PEERS_DIR; else ../shared/peers beside the project's root where it exists; else build-gpu/peers in
    the project, the copy bench/pack_gpu.sh makes to travel to the GPU machine (the ../shared beside a checkout does
    not travel with it)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shared = os.path.join(root, "..", "shared", "peers")
    return os.environ.get("MENAGERIE_PEERS_DIR",
                          shared if os.path.isdir(shared) else os.path.join(root, "build-gpu", "peers"))


def write_results(out, rows, meta, final):
    """out, atomically: {"meta", "results": the rows so far}. Written after every row, so a run cut by a caller's
    time limit leaves the rows it timed; until the last write, meta["partial"] names the rows not reached yet."""
    done = rows if final else [r for r in rows if any(k in r for k in ("ms", "skipped", "error"))]
    if not final:
        meta = dict(meta, partial=f"written after {len(done)} of {len(rows)} rows; if this is the last write, the "
                                  f"run was cut before the other {len(rows) - len(done)}")
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump({"meta": meta, "results": done}, f, indent=1)
    os.replace(tmp, out)


class Peer:
    """torch, the device and the median timer, or skipped (the reason already written to --out)."""

    def __init__(self, description, add_args=None):
        ap = argparse.ArgumentParser(description=description)
        ap.add_argument("--cases", required=True, help="the cases file kernels_bench --cases-out wrote")
        ap.add_argument("--out", required=True)
        if add_args:
            add_args(ap)
        self.args = ap.parse_args()
        self.cases = json.load(open(self.args.cases))["cases"]
        self.skipped = None
        try:
            import torch
        except ImportError as e:
            self._skip(f"torch not importable: {e}")
            return
        if not torch.cuda.is_available():
            if os.environ.get("MENAGERIE_PEER_CPU") == "1":
                self.torch = torch
                self.dev = torch.device("cpu")
                return
            self._skip("no CUDA device visible to torch")
            return
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        self.torch = torch
        self.dev = torch.device("cuda")
        l2 = getattr(torch.cuda.get_device_properties(self.dev), "L2_cache_size", 50 * 2**20)
        self.flush = torch.empty(2 * l2, dtype=torch.uint8, device=self.dev)

    def _skip(self, reason):
        self.skipped = reason
        json.dump({"skipped": reason}, open(self.args.out, "w"))

    def probe(self, build, T):
        """One call of a case at length T, timed by the wall clock around synchronisations (a budget estimate, not a
        measurement): build() returns (fn, setup), setup (or None) the untimed part fn needs, such as a backward's
        retained forward. Returns the seconds per token of fn and of setup, and on a GPU the peak memory per token
        that building and running them allocated: what a family's estimate for a longer case scales by T."""
        torch, cuda = self.torch, self.dev.type == "cuda"

        def sync():
            if cuda:
                torch.cuda.synchronize()
        if cuda:
            torch.cuda.empty_cache()
            base = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
        fn, setup = build()
        setup_s = 0.0
        if setup:
            sync()
            t0 = time.perf_counter()
            setup()
            sync()
            setup_s = time.perf_counter() - t0
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        call_s = time.perf_counter() - t0
        mem = (torch.cuda.max_memory_allocated() - base) / T if cuda else 0.0
        return {"T": T, "call_s": call_s / T, "setup_s": setup_s / T, "bytes": mem}

    def probe_families(self, rows, family, build_at, describe, *, t_start, budget, probe_t, share, unit):
        """One probe per family of rows (rows with the same family(r); its last element the fields without T),
        smallest family first, at T = min(probe_t, the family's shortest T); build_at(r, T) gives (fn, setup) of row
        r at length T, describe(r, T) names it in the log. Once the probes have used `share` of the budget the rest
        are skipped. Returns {family: probe(...)'s dict, or {"skipped": reason} or {"error": reason}}."""
        torch, cuda = self.torch, self.dev.type == "cuda"
        probes = {}
        for fam in sorted({family(r) for r in rows}, key=lambda fam: (math.prod(v for _, v in fam[-1]), fam)):
            mine = [q for q in rows if family(q) == fam]
            r = mine[0]
            if time.monotonic() - t_start > share * budget:
                probes[fam] = {"skipped": f"time budget: not probed (the probes had used {share:.0%} of the "
                                          f"{budget:.0f} s budget)"}
                continue
            Tp = min([probe_t] + [q["T"] for q in mine])
            try:
                pr = probes[fam] = self.probe(lambda: build_at(r, Tp), Tp)
                print(f"probe {describe(r, Tp)}: {1e6 * pr['call_s']:.0f} us per {unit}"
                      + (f" (+ {1e6 * pr['setup_s']:.0f} us per {unit} for the retained forward)" if pr["setup_s"]
                         else "")
                      + (f", {pr['bytes'] / 2**20:.2f} MiB per {unit}" if cuda else ""), flush=True)
            except Exception as e:  # e.g. out of memory
                msg = str(e).splitlines()[0][:200] if str(e) else ""
                probes[fam] = {"error": f"probe failed: {type(e).__name__}: {msg}"}
                print(f"probe {describe(r, Tp)} failed: {probes[fam]['error']}", flush=True)
            if cuda:
                torch.cuda.empty_cache()
        return probes

    def median_ms(self, fn, iters, warmups=2):
        torch = self.torch
        for _ in range(warmups):
            fn()
        if self.dev.type == "cpu":  # MENAGERIE_PEER_CPU=1: tests only
            times = []
            for _ in range(iters):
                t0 = time.perf_counter()
                fn()
                times.append(1e3 * (time.perf_counter() - t0))
            times.sort()
            return times[len(times) // 2]
        torch.cuda.synchronize()
        times = []
        for i in range(iters):
            self.flush.fill_(i & 0xFF)
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        times.sort()
        return times[len(times) // 2]
