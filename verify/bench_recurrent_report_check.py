#!/usr/bin/env python3
"""The ctest test bench_recurrent_report: bench/recurrent_report.py's two error tables on hand-written JSON, a bench
JSON with one wkv row (kernels_bench's Google Benchmark format) and an --error-out file with error-vs-T rows and
extreme-input rows (those carrying "scale" and "case", harness/extreme_cases.hpp's cases).
  verify/bench_recurrent_report_check.py SOURCE_DIR
Checks, against cells written out by hand here (relerr / yardstick, 2 significant digits, and the verdict):
  - "Error against the decay range" has one table per operator, a row per case in the file's order, with the shape
    (B, T, D[, N]) in the heading: selective_scan's "delta x0.0001" row 1.00e-07 / 2.00e-07 pass for scan_fp32 y,
    "A x0.1, delta x0.001" 9.00e-07 / 1.40e-07 **FAIL**, and the over-tolerance line naming that case and tensor
  - a variant with no row for a case shows "-", an errored case "error" and its message (and the summary line says
    that the errored cases are unmeasured)
  - the error-vs-T table keeps only the rows without "scale": T = 256 and 1k, no 4k row from the extreme cases
  - without ERRORS_JSON both sections say there was no sweep
  - bench/recurrent_torch.py --from-log on a hand-written cases file (three wkv rows) and log (one timed line, one
    skipped line, the third row without a line): the timed row keeps ms 0.5, 3 calls after 2 warm-ups and GB/s
    recomputed by hand (3 B T D + 2 D = 208 elements x 4 bytes / 0.5 ms = 0.001664 GB/s), the skipped row its reason,
    the third "not reached"; meta "partial" counts them, and the report's peer line says **partial** and the log;
    a log that is not there is a one-line error, exit 2, no JSON written
"""
import json
import os
import subprocess
import sys
import tempfile

src = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


bench = {"context": {"menagerie_git_sha": "0123abcd", "menagerie_gpu": "Test GPU (sm_90)",
                     "menagerie_date_utc": "2026-12-06T00:00:00Z", "peak_copy_gbs": "3000",
                     "peak_fp32_gemm_tflops": "50"},
         "benchmarks": [{"name": "wkv/scan_fp32/fwd/B:8/T:1024/D:1024/iterations:10/manual_time",
                         "run_name": "wkv/scan_fp32/fwd/B:8/T:1024/D:1024", "iterations": 10, "real_time": 1.0,
                         "time_unit": "ms", "label": "float32", "ms": 1.0, "GB/s": 100.0, "TFLOP/s": 0.1}]}


def row(op, variant, tensor, relerr, yard, ok, T, scale=None, **shape):
    r = {"op": op, "variant": variant, "dtype": "bfloat16" if "bf16" in variant else "float32", "T": T, **shape,
         "tensor": tensor, "relerr": relerr, "yardstick": yard, "tolerance": 2 * yard, "finite": True, "pass": ok}
    if scale:
        r["scale"] = scale
        r["case"] = ", ".join(f"{k} x{v:g}" for k, v in sorted(scale.items()))
    return r


ss = {"B": 2, "D": 3, "N": 16}
rows = [
    row("selective_scan", "scan_fp32", "y", 1.0e-7, 1.1e-7, True, 256, B=1, D=2, N=16),
    row("selective_scan", "scan_fp32", "y", 1.2e-7, 1.3e-7, True, 1024, B=1, D=2, N=16),
    row("selective_scan", "scan_fp32", "y", 1.0e-7, 2.0e-7, True, 4096, {"delta": 1e-4}, **ss),
    row("selective_scan", "scan_fp32", "dA", 3.0e-7, 2.0e-6, True, 4096, {"delta": 1e-4}, **ss),
    row("selective_scan", "scan_bf16", "y", 2.0e-3, 2.5e-3, True, 4096, {"delta": 1e-4}, **ss),
    row("selective_scan", "scan_fp32", "y", 9.0e-7, 1.4e-7, False, 4096, {"delta": 1e-3, "A": 0.1}, **ss),
    row("selective_scan", "scan_fp32", "dA", 1.0e-6, 2.3e-6, True, 4096, {"delta": 1e-3, "A": 0.1}, **ss),
    row("wkv", "scan_fp32", "dtime_first", 2.0e-7, 1.0e-6, True, 4096, {"time_decay": 10.0}, B=2, D=3),
    row("wkv", "split_fp32", "dtime_first", 1.0e-7, 1.0e-6, True, 4096, {"time_decay": 10.0}, B=2, D=3),
    row("wkv", "split_fp32", "dtime_first", 4.0e-8, 4.6e-8, True, 4096, {"time_first": 100.0}, B=2, D=3),
    {"op": "wkv", "variant": "scan_fp32", "dtype": "float32", "T": 4096, "B": 2, "D": 3,
     "scale": {"time_first": 100.0}, "case": "time_first x100", "error": "out of memory (test)"},
]
errors = {"provenance": {"git_sha": "0123abcd", "gpu": "Test GPU"}, "seed": 7, "rows": rows}

with tempfile.TemporaryDirectory() as d:
    bj, ej, out = os.path.join(d, "b.json"), os.path.join(d, "e.json"), os.path.join(d, "out")
    json.dump(bench, open(bj, "w"))
    json.dump(errors, open(ej, "w"))
    script = os.path.join(src, "bench", "recurrent_report.py")
    filtered = dict(bench, context=dict(bench["context"], menagerie_filter="^wkv/.*/T:4096/"))
    fj = os.path.join(d, "f.json")
    json.dump(filtered, open(fj, "w"))
    for args in ([bj, os.path.join(d, "none.json"), out, ej], [bj, os.path.join(d, "none.json"), out + "2"],
                 [fj, os.path.join(d, "none.json"), out + "3"]):
        p = subprocess.run([sys.executable, script] + args, capture_output=True, text=True)
        check(p.returncode == 0, f"recurrent_report.py {args[-1]} exited {p.returncode}: {p.stderr.strip()[-400:]}")
    md3 = open(os.path.join(out + "3", "throughput-recurrent.md")).read() if os.path.exists(
        os.path.join(out + "3", "throughput-recurrent.md")) else ""
    md = open(os.path.join(out, "throughput-recurrent.md")).read() if os.path.exists(
        os.path.join(out, "throughput-recurrent.md")) else ""
    md2 = open(os.path.join(out + "2", "throughput-recurrent.md")).read() if os.path.exists(
        os.path.join(out + "2", "throughput-recurrent.md")) else ""

head = "## Error against the decay range"
check(head in md, "no 'Error against the decay range' section")
rng = md[md.find(head):] if head in md else ""
tsec = md[md.find("## Error against the double reference as T grows"):md.find(head)] if head in md else md
check("### selective_scan (B=2, T=4096, D=3, N=16)" in rng, "no selective_scan range table with its shape")
check("### wkv (B=2, T=4096, D=3)" in rng, "no wkv range table with its shape")
check("| inputs scaled | scan_fp32 (fp32) y | scan_fp32 (fp32) dA | scan_bf16 (bf16) y |" in rng,
      "selective_scan range table's columns")
check("| delta x0.0001 | 1.00e-07 / 2.00e-07 pass | 3.00e-07 / 2.00e-06 pass | 2.00e-03 / 2.50e-03 pass |" in rng,
      "the delta x0.0001 row")
check("| A x0.1, delta x0.001 | 9.00e-07 / 1.40e-07 **FAIL** | 1.00e-06 / 2.30e-06 pass | - |" in rng,
      "the A x0.1, delta x0.001 row (a FAIL cell, a variant without the case)")
check("- over tolerance: scan_fp32 at A x0.1, delta x0.001 (y)" in rng, "the over-tolerance line")
check(rng.find("| delta x0.0001 |") < rng.find("| A x0.1, delta x0.001 |"), "cases not in the file's order")
check("| inputs scaled | scan_fp32 (fp32) dtime_first | split_fp32 (fp32) dtime_first |" in rng, "wkv's columns")
check("| time_decay x10 | 2.00e-07 / 1.00e-06 pass | 1.00e-07 / 1.00e-06 pass |" in rng, "the time_decay x10 row")
check("| time_first x100 | error | 4.00e-08 / 4.60e-08 pass |" in rng, "the wkv row with an errored variant")
check("- scan_fp32 at time_first x100: out of memory (test)" in rng, "the errored case's message")
check("- no measured case over tolerance (the errored ones above are unmeasured)" in rng, "wkv's summary line")
check("| 256 | 1.00e-07 / 1.10e-07 pass |" in tsec and "| 1k | 1.20e-07 / 1.30e-07 pass |" in tsec,
      "the error-vs-T table's rows")
check("| 4k |" not in tsec, "the extreme-input rows leaked into the error-vs-T table")
check(md2.count("No error sweep in this run (no ERRORS_JSON).") == 2,
      "without ERRORS_JSON both error sections should say so")

check("- **filtered run**: only the cases matching `^wkv/.*/T:4096/`" in md3,
      "a filtered run's report (context menagerie_filter, `menagerie bench --filter`) does not say it is filtered")
check("filtered run" not in md, "an unfiltered run's report says it is filtered")

# ---- recurrent_torch.py --from-log: the JSON of a cut peer run, rebuilt from its progress lines ----
with tempfile.TemporaryDirectory() as d:
    cases = {"cases": [{"op": "wkv", "dtype": "float32", "direction": "fwd", "fields": {"B": 2, "T": T, "D": 8}}
                       for T in (4, 8, 16)]}
    cj, lj, tj = os.path.join(d, "cases.json"), os.path.join(d, "cut.log"), os.path.join(d, "t.json")
    json.dump(cases, open(cj, "w"))
    open(lj, "w").write(
        "error sweep: something of ours\n"
        "torch torch_wkv_sequential float32 fwd B=2 T=4 D=8: 0.500 ms (median of 3 after 2 warm-up), 0.00166 GB/s, "
        "estimated 1 ms; 10 s of the budget left\n"
        "torch torch_wkv_sequential float32 fwd B=2 T=8 D=8: skipped (time budget: estimated 9 s, over the 1 s left)\n")
    p = subprocess.run([sys.executable, os.path.join(src, "bench", "recurrent_torch.py"), "--cases", cj, "--out", tj,
                        "--from-log", lj, "--gpu", "Test GPU"], capture_output=True, text=True)
    check(p.returncode == 0, f"recurrent_torch.py --from-log exited {p.returncode}: {p.stderr.strip()[-400:]}")
    t = json.load(open(tj)) if os.path.exists(tj) else {"meta": {}, "results": []}
    res = {r["T"]: r for r in t["results"]}
    r4 = res.get(4, {})
    check(r4.get("ms") == 0.5 and r4.get("iters") == 3 and r4.get("warmups") == 2
          and abs(r4.get("gbs", 0) - 0.001664) < 1e-9, f"--from-log: the timed row {r4}")
    check(res.get(8, {}).get("skipped") == "time budget: estimated 9 s, over the 1 s left",
          f"--from-log: the skipped row {res.get(8)}")
    check(res.get(16, {}).get("skipped", "").startswith("not reached:") and "ms" not in res.get(16, {}),
          f"--from-log: the row without a line {res.get(16)}")
    check(t["meta"].get("partial", "").endswith("1 of 3 rows timed, 1 not reached"), f"--from-log meta {t['meta']}")
    missing = os.path.join(d, "missing.json")
    p = subprocess.run([sys.executable, os.path.join(src, "bench", "recurrent_torch.py"), "--cases", cj, "--out",
                        missing, "--from-log", os.path.join(d, "no.log")], capture_output=True, text=True)
    check(p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "no.log" in p.stderr
          and not os.path.exists(missing), f"--from-log with no log: exit {p.returncode}, stderr {p.stderr!r}")
    bj, out = os.path.join(d, "b.json"), os.path.join(d, "out")
    json.dump(bench, open(bj, "w"))
    p = subprocess.run([sys.executable, os.path.join(src, "bench", "recurrent_report.py"), bj, tj, out],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"recurrent_report.py on the rebuilt JSON exited {p.returncode}: {p.stderr[-400:]}")
    mdp = open(os.path.join(out, "throughput-recurrent.md")).read() if p.returncode == 0 else ""
    check("; **partial**: rebuilt from the progress lines of a run cut before it wrote its JSON: 1 of 3 rows timed, "
          "1 not reached (from cut.log)" in mdp, "the report's peer line does not say the peer run is partial")

if failures:
    for f in failures:
        print("FAIL:", f)
    print(f"--- report ---\n{md}")
    sys.exit(1)
print("bench_recurrent_report: every check passed")
