"""What the family reports of `menagerie bench` share (bench/conv_report.py, bench/recurrent_report.py): reading one
run's JSON (kernels_bench's Google Benchmark JSON, the peers' <stem>_torch.json, kernels_bench's --error-out rows),
our rows and their peers, the provenance lines, the MET/MISSED/NOT MEASURED verdict of a target with its roofline
arithmetic, the rows' table and the error-vs-T table. Reads only those files.

Definitions used by every report: ratio = peer ms / our ms (above 1: ours is faster); effective GB/s is
kernels_bench's GB/s counter (the contract's minimum HBM bytes, cost().hbm_elements x the dtype's size, x2 backward,
x3 fwdbwd, over the median time); the copy ceiling is the device-to-device copy kernels_bench measured in the same run
(its JSON context's peak_copy_gbs, read + write bytes per second), and % copy = GB/s over it.
"""
import json
import math
import os
import statistics

DIRS = ("fwd", "bwd", "fwdbwd")


def dtype_of(variant, label):
    if label in ("float32", "bfloat16"):
        return label
    return "bfloat16" if "bf16" in variant else "float32"  # older JSON without the label


def fmt(x, spec):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def peer_cell(p, count="iters", unit="call"):
    """A peer's timing cell: its median ms, with '(n calls)' when fewer than 3 were timed (count: the row's key for n,
    unit: what one is); 'skipped' or 'error' for a peer row that has no time, '-' for none."""
    if p is None:
        return "-"
    if "ms" in p:
        n = p.get(count)
        return f"{p['ms']:.3f}" + (f" ({n} {unit}{'s' if n > 1 else ''})" if n is not None and n < 3 else "")
    return "skipped" if "skipped" in p else "error" if "error" in p else "-"


def tk(T):
    return f"{T // 1024}k" if T >= 1024 and T % 1024 == 0 else str(T)


class Run:
    """One run of a family: our rows (ours, failed), the peers, the context and the copy ceiling."""

    def __init__(self, bench, torch_j, errors_j, ops, shape_keys):
        self.b = json.load(open(bench))
        self.t = json.load(open(torch_j)) if os.path.exists(torch_j) else \
            {"skipped": "no python3 with torch on this machine"}
        self.e = json.load(open(errors_j)) if errors_j and os.path.exists(errors_j) else None
        self.ctx = self.b.get("context", {})
        self.copy_gbs = float(self.ctx.get("peak_copy_gbs", "nan"))
        self.fp32_tflops = float(self.ctx.get("peak_fp32_gemm_tflops", "nan"))
        self.ops, self.shape_keys = ops, shape_keys
        # Our rows: the Google Benchmark name is op/variant/direction/K:V/.../iterations:N/manual_time.
        self.ours, self.failed = [], []
        for r in self.b.get("benchmarks", []):
            parts = r["name"].split("/")
            if len(parts) < 3 or parts[0] not in ops:
                continue
            op, var, d = parts[:3]
            f = {}
            for p in parts[3:]:
                k, _, v = p.partition(":")
                if k in ("iterations", "manual_time", "real_time", "repeats") or not v:
                    continue
                f[k] = int(float(v))
            row = {"op": op, "variant": var, "direction": d, "dtype": dtype_of(var, r.get("label", "")), "f": f}
            if r.get("error_occurred"):
                row["error"] = r.get("error_message", "error")
                self.failed.append(row)
                continue
            row.update(ms=float(r["ms"]), gbs=float(r["GB/s"]), tflops=float(r.get("TFLOP/s", "nan")))
            self.ours.append(row)
        self.skipped = self.t.get("skipped")
        self.peers = [p for p in self.t.get("results", []) if p.get("op") in ops]

    # ---- rows and peers ----
    def peer_of(self, row, dtype=None):
        """The peer row of our row's op, direction and shape in `dtype` (default: the row's own)."""
        dt = dtype or row["dtype"]
        for p in self.peers:
            if p["op"] == row["op"] and p["dtype"] == dt and p["direction"] == row["direction"] and \
                    all(p.get(k) == v for k, v in row["f"].items()):
                return p
        return None

    def ratio(self, row, dtype=None):
        p = self.peer_of(row, dtype)
        return p["ms"] / row["ms"] if p and "ms" in p and row["ms"] > 0 else None

    def shape(self, row):
        return " ".join(f"{k}={row['f'][k]}" for k in self.shape_keys[row["op"]] if k in row["f"])

    def frac(self, row):
        """Our row's GB/s over the copy ceiling, or None without a ceiling."""
        return row["gbs"] / self.copy_gbs if self.copy_gbs == self.copy_gbs and self.copy_gbs > 0 else None

    # ---- provenance ----
    def provenance(self):
        """(sha, gpu, date) of our side, for the figure's footer."""
        return self.ctx.get("menagerie_git_sha"), self.ctx.get("menagerie_gpu"), self.ctx.get("menagerie_date_utc")

    def provenance_lines(self):
        ctx, t, sha, gpu, date = self.ctx, self.t, *self.provenance()
        return [f"- GPU: {gpu}, CUDA runtime {ctx.get('menagerie_cuda_runtime')}, "
                f"driver {ctx.get('menagerie_cuda_driver')}",
                f"- menagerie {ctx.get('menagerie_version')} git {sha}, {ctx.get('menagerie_build_type')}, "
                f"{ctx.get('menagerie_compiler')}, run {date}",
                (f"- PyTorch {t['meta'].get('torch')} (CUDA {t['meta'].get('cuda')}) on {t['meta'].get('gpu')}, TF32 "
                 f"off; peers timed in layout {t['meta'].get('layout')}" if t.get("meta") else
                 f"- PyTorch: none ({self.skipped}): the peer columns are empty and the targets against torch are not "
                 "measured"),
                f"- measured ceiling: device copy {fmt(self.copy_gbs, '.0f')} GB/s (read + write; kernels_bench, same "
                "run)",
                f"- timing: {ctx.get('timing')}; both sides"] + (
                    [f"- **filtered run**: only the cases matching `{ctx['menagerie_filter']}` (`menagerie bench ... "
                     "--filter`), without the error sweep; every target below is judged on those rows only"]
                    if ctx.get("menagerie_filter") else [])

    # ---- targets ----
    def verdict(self, name, rows_, target, value, what, extra=None, roofline_peer=None, roofline_frac=False):
        """One target line: every row in scope must reach `target`; the worst row decides, with where and by how much.
        what: "x" (a ratio to the peer) or "frac" (a fraction of the copy ceiling). roofline_peer(row): the peer row
        the roofline of a missed "x" target is measured against (default: the row's own peer). roofline_frac: a
        missed "frac" target also gets the roofline arithmetic of its worst row (bytes and FLOPs against the copy and
        fp32 ceilings) and the factor the median row is short by."""
        copy_gbs = self.copy_gbs
        shape = self.shape
        vals = [(value(r), r) for r in rows_]
        missing = [r for v, r in vals if v is None]
        vals = [(v, r) for v, r in vals if v is not None]
        if not vals:
            why = ("no rows of this variant in the run" if not rows_ else
                   "no peer timing for these rows" if what == "x" else "no ceiling measured")
            skipped = [p for p in (self.peer_of(r) for r in rows_) if p and "skipped" in p]
            if rows_ and what == "x" and skipped:
                why += (f" ({len(skipped)} of their {len(rows_)} peer rows skipped for the peers' time budget, the "
                        "others not timed or failed)" if len(skipped) < len(rows_) else
                        " (every one of their peer rows was skipped for the peers' time budget)")
            return [f"- **NOT MEASURED** {name}: {why}"]
        worst, wr = min(vals, key=lambda x: x[0])
        med = statistics.median(v for v, _ in vals)
        ok = worst >= target
        unit = (lambda v: f"{v:.2f}x") if what == "x" else (lambda v: f"{100 * v:.0f}%")
        s = (f"- **{'MET' if ok else 'MISSED'}** {name}: worst {unit(worst)} ({wr['variant']} {wr['direction']} "
             f"{shape(wr)}), median {unit(med)} over {len(vals)} rows")
        if not ok:
            s += (f"; short by a factor {target / worst:.2f} at the worst row" if what == "x" else
                  f"; short by {100 * (target - worst):.0f} percentage points at the worst row")
        if missing:
            def why_missing(r):
                if "error" in r:  # one of our failed rows, where a report puts them in scope
                    return " (ours failed: 'Rows without a timing')"
                p = self.peer_of(r) if what == "x" else None
                return f" (peer skipped: {p['skipped'].split(':')[0]})" if p and "skipped" in p else ""
            s += (f"; {len(missing)} row(s) in scope without a " + ("peer timing" if what == "x" else "value") + " ("
                  + ", ".join(f"{r['direction']} {shape(r)}{why_missing(r)}" for r in missing)
                  + "), so the verdict covers the others")
        out_ = [s]
        below = [(v, r) for v, r in vals if v < target]
        listed = vals if len(vals) <= 12 else below
        if listed:
            out_.append(("  - " if len(vals) <= 12 else f"  - the {len(below)} rows below the target: ")
                        + ", ".join(f"{r['direction']} {shape(r)}: {unit(v)}" for v, r in listed))
        if not ok and what == "x" and copy_gbs == copy_gbs:
            # Roofline: the fastest ours could be is the contract's minimum bytes at the copy ceiling.
            p = roofline_peer(wr) if roofline_peer else self.peer_of(wr)
            t_roof = wr["gbs"] * wr["ms"] / copy_gbs
            out_.append(f"  - roofline at the worst row: its {wr['gbs'] * wr['ms'] / 1e3:.3g} GB of minimum traffic "
                        f"take {t_roof:.3f} ms at the copy ceiling ({copy_gbs:.0f} GB/s); ours takes {wr['ms']:.3f} ms "
                        f"({100 * t_roof / wr['ms']:.0f}% of the ceiling); against the peer's {p['ms']:.3f} ms the "
                        f"roofline allows at most {p['ms'] / t_roof:.2f}x"
                        + (", below the target: no kernel can meet it there" if p["ms"] / t_roof < target else ""))
        if not ok and what == "frac" and roofline_frac and copy_gbs == copy_gbs:
            out_ += self.roofline_lines(wr, target, med)
        if extra:
            out_.append("  - " + extra)
        return out_

    def roofline_lines(self, wr, target, med):
        """The roofline arithmetic of a missed bandwidth target at its worst row: the minimum traffic at the copy
        ceiling, the contract's FLOPs at the fp32 ceiling (kernels_bench's TFLOP/s counter x the time: cost().flops,
        x2.5 backward, x3.5 fwdbwd), which bound is the binding one, and what meeting the target would take."""
        copy_gbs, fp32 = self.copy_gbs, self.fp32_tflops
        gb = wr["gbs"] * wr["ms"] / 1e3
        t_mem = gb / copy_gbs * 1e3
        gflop = wr.get("tflops", float("nan")) * wr["ms"]
        s = (f"  - roofline at the worst row ({wr['direction']} {self.shape(wr)}): its {gb:.3g} GB of minimum "
             f"traffic take {t_mem:.3f} ms at the copy ceiling ({copy_gbs:.0f} GB/s)")
        bound = t_mem
        if gflop == gflop and fp32 == fp32 and fp32 > 0:
            t_flop = gflop / fp32
            bound = max(t_mem, t_flop)
            s += (f"; its {gflop:.3g} GFLOP (the contract's count) take {t_flop:.3f} ms at the measured fp32 ceiling "
                  f"({fp32:.1f} TFLOP/s, an FMA-bound GEMM; exponentials run slower, on the SFU): intensity "
                  f"{gflop / gb:.1f} FLOP/byte against the machine's {1e3 * fp32 / copy_gbs:.1f}, so "
                  + ("memory bound" if t_mem >= t_flop else
                     f"bound by arithmetic first: at that roofline it would move its bytes at "
                     f"{100 * t_mem / t_flop:.0f}% of the copy ceiling"
                     + (", below the target: no kernel can meet it there" if t_mem / t_flop < target else "")))
        need = t_mem / target
        s += (f". Ours takes {wr['ms']:.3f} ms ({100 * t_mem / wr['ms']:.0f}% of the copy ceiling); "
              f"{100 * target:.0f}% needs {need:.3f} ms or less, {wr['ms'] / need:.2f}x faster"
              + (f" (the roofline allows {bound:.3f} ms)" if bound > t_mem else ""))
        return [s, f"  - the median row is at {100 * med:.0f}%, short by a factor {target / med:.2f}" if med < target
                else f"  - the median row is at {100 * med:.0f}%, at or above the target"]

    # ---- tables ----
    def rows_table(self, op, sel, peer_cell=None, peer_gbs=".0f"):
        """The table of our rows `sel` of one op, each beside its peer. peer_cell(p) -> the peer ms cell of a peer
        row (default: its ms, or "-" without one); peer_gbs: the format of the peer's GB/s."""
        lines = ["| op | variant | dtype | dir | shape | ours ms | GB/s | % copy | peer ms | peer GB/s | peer/ours |",
                 "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in sel:
            p = self.peer_of(r)
            pms = p.get("ms") if p else None
            rt = pms / r["ms"] if pms else None
            frac = 100 * r["gbs"] / self.copy_gbs if self.copy_gbs == self.copy_gbs and self.copy_gbs > 0 else None
            pcell = peer_cell(p) if p and peer_cell else fmt(pms, ".3f")
            lines.append(f"| {op} | {r['variant']} | {r['dtype']} | {r['direction']} | {self.shape(r)} | "
                         f"{r['ms']:.3f} | {r['gbs']:.0f} | {fmt(frac, '.0f')}{'%' if frac is not None else ''} | "
                         f"{pcell} | {fmt(p.get('gbs') if p else None, peer_gbs)} | "
                         f"{fmt(rt, '.2f')}{'x' if rt else ''} |")
        return lines

    def failed_lines(self):
        peer_err = [p for p in self.peers if "error" in p]
        if not (self.failed or peer_err):
            return []
        lines = ["## Rows without a timing", ""]
        lines += [f"- ours {r['op']} {r['variant']} {r['direction']} {self.shape(r)}: {r['error']}"
                  for r in self.failed]
        lines += [f"- peer {p['peer']} {p['dtype']} {p['direction']} "
                  + " ".join(f"{k}={p[k]}" for k in self.shape_keys[p['op']] if k in p) + f": {p['error']}"
                  for p in peer_err]
        lines.append("")
        return lines

    def error_lines(self, intro, keys=("B", "D"), suffix=""):
        """The error against the double reference as T grows, one table per op (kernels_bench --error-out). intro:
        the sentence after the provenance; keys: the fields other than T named in each op's heading (or a dict, op ->
        those fields); suffix: text after them."""
        e = self.e
        if e is None:
            return ["## Error against the double reference as T grows", "",
                    "No error sweep in this run (no ERRORS_JSON).", ""]
        rows = [r for r in e.get("rows", []) if "scale" not in r]  # the extreme-input rows: range_lines
        ep = e.get("provenance", {})
        lines = ["## Error against the double reference as T grows", "",
                 f"kernels_bench `--error-out` (seed {e.get('seed')}, git {ep.get('git_sha')}, {ep.get('gpu')}): "
                 + intro, ""]
        for op in sorted({r["op"] for r in rows}):
            rs = [r for r in rows if r["op"] == op]
            cols = []
            for r in rs:
                if "tensor" in r and (r["variant"], r["dtype"], r["tensor"]) not in cols:
                    cols.append((r["variant"], r["dtype"], r["tensor"]))
            Ts = sorted({r["T"] for r in rs})
            ks = keys[op] if isinstance(keys, dict) else keys
            others = sorted({tuple(r.get(k) for k in ks) for r in rs})
            lines += [f"### {op} (" + "; ".join(", ".join(f"{k}={v}" for k, v in zip(ks, o)) for o in others)
                      + f"{suffix})", "",
                      "| T | " + " | ".join(f"{v} ({'bf16' if d == 'bfloat16' else 'fp32'}) {tn}" for v, d, tn in cols)
                      + " |", "|---|" + "---|" * len(cols)]
            for T in Ts:
                cells = []
                for v, d, tn in cols:
                    m = next((r for r in rs if r["T"] == T and r["variant"] == v and r.get("tensor") == tn), None)
                    err = next((r for r in rs if r["T"] == T and r["variant"] == v and "error" in r), None)
                    if m:
                        cells.append(error_cell(m))
                    elif err:
                        cells.append("error")
                    else:
                        cells.append("-")
                lines.append(f"| {tk(T)} | " + " | ".join(cells) + " |")
            lines.append("")
            for r in rs:
                if "error" in r:
                    lines.append(f"- {r['variant']} at T={r['T']}: {r['error']}")
            fails = [r for r in rs if "tensor" in r and not r["pass"]]
            if fails:
                first = {}
                for r in sorted(fails, key=lambda r: r["T"]):
                    first.setdefault((r["variant"], r["tensor"]), r["T"])
                lines.append("- over tolerance (first T): " + ", ".join(f"{v} {tn} at T={tk(T)}"
                                                                      for (v, tn), T in first.items()))
            else:
                lines.append("- every variant within tolerance at every T of the sweep")
            lines.append("")
        return lines

    def range_lines(self, intro, keys):
        """The error against the input range (kernels_bench --error-out's rows with "scale": harness/extreme_cases.hpp's
        cases at one problem per op), one table per op, a row per case in the sweep's order, the cells as the T
        table's. intro: the sentence after the provenance; keys: op -> the shape fields named in its heading."""
        title = "## Error against the decay range"
        e = self.e
        if e is None:
            return [title, "", "No error sweep in this run (no ERRORS_JSON).", ""]
        rows = [r for r in e.get("rows", []) if "scale" in r and r.get("op") in self.ops]
        if not rows:
            return [title, "", "The error sweep has no extreme-input rows (rows with \"scale\": kernels_bench writes "
                    "them for the operators of harness/extreme_cases.hpp).", ""]
        ep = e.get("provenance", {})
        lines = [title, "", f"kernels_bench `--error-out` (seed {e.get('seed')}, git {ep.get('git_sha')}, "
                 f"{ep.get('gpu')}): " + intro, ""]
        for op in [o for o in self.ops if any(r["op"] == o for r in rows)]:
            rs = [r for r in rows if r["op"] == op]
            cols, cases = [], []
            for r in rs:
                if "tensor" in r and (r["variant"], r["dtype"], r["tensor"]) not in cols:
                    cols.append((r["variant"], r["dtype"], r["tensor"]))
                if r["case"] not in cases:
                    cases.append(r["case"])
            shapes = sorted({tuple(r.get(k) for k in keys[op]) for r in rs})
            lines += [f"### {op} (" + "; ".join(", ".join(f"{k}={v}" for k, v in zip(keys[op], sh)) for sh in shapes)
                      + ")", "",
                      "| inputs scaled | " + " | ".join(f"{v} ({'bf16' if d == 'bfloat16' else 'fp32'}) {tn}"
                                                       for v, d, tn in cols) + " |", "|---|" + "---|" * len(cols)]
            for c in cases:
                cells = []
                for v, d, tn in cols:
                    m = next((r for r in rs if r["case"] == c and r["variant"] == v and r.get("tensor") == tn), None)
                    err = next((r for r in rs if r["case"] == c and r["variant"] == v and "error" in r), None)
                    cells.append(error_cell(m) if m else "error" if err else "-")
                lines.append(f"| {c} | " + " | ".join(cells) + " |")
            lines.append("")
            lines += [f"- {r['variant']} at {r['case']}: {r['error']}" for r in rs if "error" in r]
            fails = [r for r in rs if "tensor" in r and not r["pass"]]
            if fails:
                seen = []
                for r in fails:
                    if (r["variant"], r["case"]) not in seen:
                        seen.append((r["variant"], r["case"]))
                lines.append("- over tolerance: " + "; ".join(
                    f"{v} at {c} (" + ", ".join(r["tensor"] for r in fails if r["variant"] == v and r["case"] == c)
                    + ")" for v, c in seen))
            elif any("error" in r for r in rs):
                lines.append("- no measured case over tolerance (the errored ones above are unmeasured)")
            else:
                lines.append("- every variant within tolerance in every case")
            lines.append("")
        return lines


def error_cell(m):
    """An error table's cell: the kernel's relerr / the yardstick's, and the verdict of the tolerance rule."""
    rel = "NaN" if m["relerr"] is None else f"{m['relerr']:.2e}"
    return f"{rel} / {fmt(m.get('yardstick'), '.2e')} {'pass' if m['pass'] else '**FAIL**'}"


def write_atomic(path, text):
    open(path + ".tmp", "w").write(text)
    os.replace(path + ".tmp", path)
