#!/usr/bin/env python3
"""The ctest test bench_mixers_report: bench/mixers_report.py on a hand-written bench JSON (kernels_bench's Google
Benchmark format: name op/variant/direction/K:V/.../iterations:N/manual_time, the counters ms, GB/s, TFLOP/s, the
label = the variant's dtype, the context's provenance) and a hand-written mixers_torch.py JSON.
  verify/bench_mixers_report_check.py SOURCE_DIR
Checks, against values worked out by hand here (ratio = peer ms / our ms, never read back from the script):
  - every timed row is in the right table (B = 8: long sequences; B = 256: Zoology shapes) with our ms, TFLOP/s, the
    peer's name, the peer's ms and the ratio: 2.0 / 0.5 = 4.00x, 3.0 / 4.0 = 0.75x, 2.0 / 0.8 = 2.50x, and a
    bfloat16 variant against the float32 peer, 2.0 / 0.25 = 8.00x
  - a peer timed with 1 call says so; a skipped peer shows "skipped" and its reason under "Peers not timed"
  - our failed row is listed under "Rows without a timing"; mixers without rows are NOT MEASURED
  - the summary's ratio range and median per mixer, configuration and variant, each variant on its own line (base_conv
    short: composed_fp32 4.00x, composed_bf16 8.00x)
  - the provenance: the git SHA and GPU from the bench JSON's context, torch's version from the peers' meta
"""
import json
import os
import subprocess
import sys
import tempfile

src = sys.argv[1]
failures = []


def bench_row(name, ms, tflops, label="float32", error=None):
    r = {"name": name + "/iterations:10/manual_time", "run_name": name, "run_type": "iteration", "iterations": 10,
         "real_time": ms, "time_unit": "ms", "label": label}
    if error:
        r.update(error_occurred=True, error_message=error)
    else:
        r.update({"ms": ms, "GB/s": 100.0, "TFLOP/s": tflops})
    return r


bench = {"context": {"menagerie_git_sha": "0123abcd", "menagerie_gpu": "Test GPU (sm_90)",
                     "menagerie_date_utc": "2026-12-06T00:00:00Z", "menagerie_cuda_runtime": "13.0",
                     "menagerie_cuda_driver": "13.0", "menagerie_version": "0.1.0", "menagerie_build_type": "Release",
                     "menagerie_compiler": "GNU-12.2.0", "peak_copy_gbs": "3000", "peak_fp32_gemm_tflops": "50",
                     "timing": "CUDA events per call, L2 flushed before each, median; 2 warm-up calls"},
         "benchmarks": [
             bench_row("base_conv/composed_fp32/fwd/B:8/T:1024/D:1024/conv:0/K:3", 0.5, 1.25),
             bench_row("base_conv/composed_bf16/fwd/B:8/T:1024/D:1024/conv:0/K:3", 0.25, 2.5, "bfloat16"),
             bench_row("base_conv/composed_fp32/bwd/B:8/T:4096/D:1024/conv:2/K:3", 4.0, 3.5),
             bench_row("rwkv/composed_fp32/fwdbwd/B:256/T:256/D:128", 0.8, 0.75),
             bench_row("rwkv/composed_fp32/fwd/B:8/T:16384/D:1024", 10.0, 2.0),
             bench_row("rwkv/composed_fp32/bwd/B:8/T:16384/D:1024", 0.0, 0.0, error="verification failed: du"),
             bench_row("wkv/scan_fp32/fwd/B:8/T:1024/D:1024", 1.0, 1.0)]}  # another family: ignored
peers = {"meta": {"torch": "9.9.9-test", "cuda": "13.0", "gpu": "Test GPU", "layout": "[B, T, D] as ours",
                  "rwkv_wkv": "the PyTorch transcription (test)", "notes": ["opt_einsum absent (test)"],
                  "budget_s": 300, "elapsed_s": 12.0, "import_s": 3.0},
         "results": [
             {"peer": "zoology_base_conv", "op": "base_conv", "dtype": "float32", "direction": "fwd", "B": 8,
              "T": 1024, "D": 1024, "conv": 0, "K": 3, "ms": 2.0, "warmups": 2, "iters": 20},
             {"peer": "zoology_base_conv", "op": "base_conv", "dtype": "float32", "direction": "bwd", "B": 8,
              "T": 4096, "D": 1024, "conv": 2, "K": 3, "ms": 3.0, "warmups": 2, "iters": 20},
             {"peer": "zoology_rwkv_torch_wkv", "op": "rwkv", "dtype": "float32", "direction": "fwdbwd", "B": 256,
              "T": 256, "D": 128, "ms": 2.0, "warmups": 1, "iters": 1},
             {"peer": "zoology_rwkv_torch_wkv", "op": "rwkv", "dtype": "float32", "direction": "fwd", "B": 8,
              "T": 16384, "D": 1024, "skipped": "time budget: estimated 99 s for 1 warm-up and 1 timed call"}]}

with tempfile.TemporaryDirectory() as tmp:
    bj, tj, out = os.path.join(tmp, "b.json"), os.path.join(tmp, "t.json"), os.path.join(tmp, "out")
    json.dump(bench, open(bj, "w"))
    json.dump(peers, open(tj, "w"))
    res = subprocess.run([sys.executable, os.path.join(src, "bench", "mixers_report.py"), bj, tj, out],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"FAIL: mixers_report.py exited {res.returncode}:\n{res.stderr}")
    md = open(os.path.join(out, "throughput-mixers.md")).read()


def section(title):
    start = md.find("\n## " + title)
    if start < 0:
        failures.append(f"no section '## {title}'")
        return ""
    end = md.find("\n## ", start + 1)
    return md[start:end if end >= 0 else len(md)]


def expect(text, line, where):
    if line not in text:
        failures.append(f"{where}: expected the line\n    {line}")


long_t, zoo_t = section("Long sequences: B = 8"), section("Zoology training shapes")
expect(long_t, "| base_conv | short (K=3) | composed_fp32 | fwd | B=8 T=1k D=1024 | 0.500 | 1.25 | zoology_base_conv | "
       "2.000 | 4.00x |", "long sequences")
expect(long_t, "| base_conv | short (K=3) | composed_bf16 | fwd | B=8 T=1k D=1024 | 0.250 | 2.50 | zoology_base_conv | "
       "2.000 | 8.00x |", "long sequences (bf16 against the float32 peer)")
expect(long_t, "| base_conv | implicit long | composed_fp32 | bwd | B=8 T=4k D=1024 | 4.000 | 3.50 | zoology_base_conv "
       "| 3.000 | 0.75x |", "long sequences")
expect(long_t, "| rwkv | - | composed_fp32 | fwd | B=8 T=16k D=1024 | 10.000 | 2.00 | zoology_rwkv_torch_wkv | "
       "skipped | - |", "long sequences (skipped peer)")
expect(zoo_t, "| rwkv | - | composed_fp32 | fwdbwd | B=256 T=256 D=128 | 0.800 | 0.75 | zoology_rwkv_torch_wkv | "
       "2.000 (1 call) | 2.50x |", "Zoology shapes")
if "B=256" in long_t or "B=8 " in zoo_t:
    failures.append("a row in the wrong table")
if "wkv/" in md or "| wkv |" in md:
    failures.append("a row of another family (wkv) was reported")
summary = section("Summary")
expect(summary, "- base_conv short (K=3) (composed_fp32): B=8: 4.00x to 4.00x, median 4.00x over 1 rows", "summary")
expect(summary, "- base_conv short (K=3) (composed_bf16): B=8: 8.00x to 8.00x, median 8.00x over 1 rows", "summary")
expect(summary, "- base_conv implicit long (composed_fp32): B=8: 0.75x to 0.75x, median 0.75x over 1 rows", "summary")
expect(summary, "- rwkv (composed_fp32): Zoology shapes: 2.50x to 2.50x, median 2.50x over 1 rows", "summary")
for op in ("hyena", "h3", "mamba"):
    expect(summary, f"- **NOT MEASURED** {op}: kernels_bench timed no {op} rows", "summary")
expect(section("Rows without a timing"), "- ours rwkv composed_fp32 bwd B=8 T=16384 D=1024: verification failed: du",
       "rows without a timing")
expect(section("Peers not timed"), "- zoology_rwkv_torch_wkv fwd B=8 T=16384 D=1024: time budget: estimated 99 s for 1 "
       "warm-up and 1 timed call", "peers not timed")
expect(md, "menagerie 0.1.0 git 0123abcd", "provenance")
expect(md, "- GPU: Test GPU (sm_90)", "provenance")
expect(md, "PyTorch 9.9.9-test", "provenance")
expect(md, "RWKV's WKV: the PyTorch transcription (test); opt_einsum absent (test) (", "peers' notes")

if failures:
    print("FAIL: throughput-mixers.md:\n" + md + "\n" + "\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("bench_mixers_report: every row, ratio, summary line and provenance line as worked out by hand")
