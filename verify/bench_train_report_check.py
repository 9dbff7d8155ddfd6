#!/usr/bin/env python3
"""The ctest test bench_train_report: bench/train_report.py on a hand-written bench/train_steps.cpp JSON and a
hand-written bench/train_torch.py JSON, three times (a missed target, a met one, no peer).
  verify/bench_train_report_check.py SOURCE_DIR
Expected values worked out by hand here, never read back from the script:
  ratio = zoology ms / our ms: base_conv 40 / 2 = 20.00x, h3 12 / 1 = 12.00x, mamba 50 / 10 = 5.00x;
  tokens/s = B T / s: base_conv ours 512 x 64 / 0.002 s = 16.38 M, zoology 512 x 64 / 0.040 s = 0.82 M;
  a 64-epoch run = steps per epoch x 64 x step: base_conv ours 196 x 64 x 2 ms = 25 s, zoology 196 x 64 x 40 ms =
  501.8 s = 8.4 min; mamba ours 782 x 64 x 10 ms = 500.5 s = 8.3 min, zoology 782 x 64 x 50 ms = 2502.4 s = 41.7 min;
  the target line: worst 5.00x at mamba, median of {20, 12, 5} = 12.00x, MISSED, short by 10 / 5 = 2.00; without the
  mamba row worst 12.00x, median 16.00x, MET; without the peer NOT MEASURED. Also: a skipped peer and our failed row
  named in the target line and listed in their sections; a peer timed with 1 step says so; the parameter counts
  (ours 1000 + d, zoology's the same but h3's 2128: agree on 2 of 3, h3 named); provenance; the CSV.
  With CUDA-graph timings (`bench train --graph`: base_conv 1 ms, h3 0.5 ms, mamba 4 ms): ratios 40 / 1 = 40.00x,
  12 / 0.5 = 24.00x, 50 / 4 = 12.50x, so the graph target line is MET (worst 12.50x at mamba, median 24.00x) beside
  the plain line's MISSED, and the rows and CSV carry both.
  Precision: the fp32 report says "fp32 on both sides" and "TF32 off"; rows of train_steps --precision tf32 beside a
  peer that ran with TF32 on say "**tf32**" and "TF32 on"; bf16 rows beside a peer under bf16 autocast say "**bf16**"
  and "autocast bfloat16"; rows beside a peer of another precision (tf32 and float, float and a peer file from before
  the "precision" key with its TF32 flag on, bf16 and tf32) are refused: a one-line error naming both, exit 2,
  nothing written.
  The GEMM floor (train_steps' "gemm_tflops" fp32 50, tf32 400, fp64 40 and each row's "gemm_flop"): floor = sum of
  flop / rate: base_conv 2.5e10 / 50e12 s + 4e8 / 40e12 s = 0.5 + 0.01 = 0.510 ms, hyena 1e10 / 50e12 = 0.200 ms, h3
  3e10 / 50e12 = 0.600 ms, mamba 4e11 / 50e12 = 8.000 ms; ours/floor 2 / 0.51 = 3.92x, 4 / 0.2 = 20.00x,
  1 / 0.6 = 1.67x, 10 / 8 = 1.25x, median (1.667 + 3.922) / 2 = 2.79x over 4 rows; ceiling = zoology / floor:
  40 / 0.51 = 78.43x, 12 / 0.6 = 20.00x, 50 / 8 = 6.25x: below 10x at 1 of 3 rows (mamba). A row with bf16 flops and
  no bf16 rate has no floor; a run without "gemm_tflops" has no floor columns.
"""
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

src = sys.argv[1]
failures = []
PROV = {"version": "0.1.0", "git_sha": "0123abcd", "build_type": "Release", "compiler": "GNU-12.2.0",
        "date_utc": "2026-12-06T00:00:00Z", "gpu": "Test GPU (sm_90, 132 SMs)", "cuda_runtime": "13.0",
        "cuda_driver": "13.1"}


def ours(mixer, d, T, B, spe, ms=None, error=None):
    r = {"mixer": mixer, "model": {}, "d_model": d, "T": T, "B": B, "num_kv_pairs": 4, "steps_per_epoch": spe,
         "epochs": 64, "params": 1000 + d, "labelled": 4 * B, "warmup": 3, "steps": 10}
    if error:
        r["error"] = error
    else:
        r.update(ms=ms, ms_steps=[ms] * 10, tokens_per_s=B * T / (ms / 1e3))
    return r


def peer(mixer, d, T, B, ms=None, steps=10, skipped=None):
    r = {"mixer": mixer, "d_model": d, "T": T, "B": B}
    if skipped:  # skipped unbuilt: no parameter count
        r["skipped"] = skipped
    else:
        r.update(params=(2000 if mixer == "h3" else 1000) + d, ms=ms, ms_steps=[ms] * steps, warmup=3, steps=steps, tokens_per_s=B * T / (ms / 1e3))
    return r


steps = {"provenance": PROV, "config": "/x/bench/throughput-train.json",
         "optimizer": {"lr": 0.001, "weight_decay": 0.1}, "dropout": {"embedding": 0.1, "attention": 0},
         "rows": [ours("base_conv", 64, 64, 512, 196, 2.0), ours("hyena", 64, 64, 512, 196, 4.0),
                  ours("h3", 128, 64, 512, 196, 1.0), ours("rwkv", 64, 256, 256, 391, error="gpu backend: boom"),
                  ours("mamba", 512, 512, 128, 782, 10.0)]}
torch_meta = {"torch": "9.9.9-test", "cuda": "13.0", "gpu": "Test GPU", "dtype": "float32", "model": "LanguageModel",
              "optimizer": "AdamW(lr=0.001, weight_decay=0.1)", "mamba": "ref", "rwkv_wkv": "test wkv",
              "notes": ["a test note"], "budget_s": 240, "elapsed_s": 100.0, "import_s": 5.0, "timed": 3}
peers = {"meta": torch_meta,
         "results": [peer("base_conv", 64, 64, 512, 40.0), peer("hyena", 64, 64, 512, skipped="time budget: test"),
                     peer("h3", 128, 64, 512, 12.0, steps=1), peer("mamba", 512, 512, 128, 50.0)]}


def report(steps_j, peers_j, refused=False):
    with tempfile.TemporaryDirectory() as tmp:
        sj, tj, out = os.path.join(tmp, "s.json"), os.path.join(tmp, "t.json"), os.path.join(tmp, "out")
        json.dump(steps_j, open(sj, "w"))
        if peers_j is not None:
            json.dump(peers_j, open(tj, "w"))
        res = subprocess.run([sys.executable, os.path.join(src, "bench", "train_report.py"), sj, tj, out],
                             capture_output=True, text=True)
        if refused:
            lines = res.stderr.strip().splitlines()
            if res.returncode != 2 or len(lines) != 1 or os.path.exists(out) and os.listdir(out):
                failures.append(f"mismatched modes: exit 2, one line, nothing written expected; got exit "
                                f"{res.returncode}, stderr {res.stderr!r}")
            return res.stderr, None
        if res.returncode != 0:
            sys.exit(f"FAIL: train_report.py exited {res.returncode}:\n{res.stderr}")
        md = open(os.path.join(out, "throughput-train.md")).read()
        rows = list(csv.DictReader(open(os.path.join(out, "throughput-train.csv"))))
    return md, rows


def expect(md, line, where):
    if line not in md:
        failures.append(f"{where}: expected the line\n    {line}")


md, rows = report(steps, peers)
expect(md, "\n- **MISSED** >= 10x zoology's training step at every shape: worst 5.00x (mamba d_model=512 T=512 B=128), "
       "median 12.00x over 3 rows; short by a factor 2.00 at the worst row; 1 of 3 rows below 10x; 2 row(s) without "
       "both timings (hyena d_model=64 T=64 B=512: zoology skipped, rwkv d_model=64 T=256 B=256: ours failed), so "
       "the verdict covers the others\n", "target (missed)")
expect(md, "| base_conv | 64 | 64 | 512 | 1064 | 1064 | 2.000 | 16.38 | 40.000 | 0.82 | 20.00x | 25 s | 8.4 min |",
       "rows")
expect(md, "| h3 | 128 | 64 | 512 | 1128 | 2128 | 1.000 | 32.77 | 12.000 (1 step) | 2.73 | 12.00x |", "rows (1 step)")
expect(md, "| mamba | 512 | 512 | 128 | 1512 | 1512 | 10.000 | 6.55 | 50.000 | 1.31 | 5.00x | 8.3 min | 41.7 min |",
       "rows")
expect(md, "| hyena | 64 | 64 | 512 | 1064 | - | 4.000 | 8.19 | skipped | - | - | 50 s | - |", "rows (skipped peer)")
expect(md, "| rwkv | 64 | 256 | 256 | 1064 | - | failed | - | - | - | - | - | - |", "rows (ours failed)")
expect(md, "- same model: the trainable parameter counts agree on 2 of 3 rows where both are known; they differ at h3 "
       "d_model=128 T=64 B=512 (ours 1128, zoology 2128)\n", "parameter counts")
expect(md, "- ours rwkv d_model=64 T=256 B=256: gpu backend: boom", "rows without a timing")
expect(md, "- zoology hyena d_model=64 T=64 B=512: time budget: test", "peers not timed")
expect(md, "- mamba: 5.00x to 5.00x, median 5.00x over 1 rows; a 64-epoch run at d_model 512, T 512: ours 8.3 min, "
       "zoology 41.7 min", "summary")
expect(md, "T=64, B=512: 196, T=256, B=256: 391, T=512, B=128: 782; epochs 64", "steps per epoch")
expect(md, "- GPU: Test GPU (sm_90, 132 SMs), CUDA runtime 13.0, driver 13.1", "provenance")
expect(md, "- menagerie 0.1.0 git 0123abcd, Release", "provenance")
expect(md, "- PyTorch 9.9.9-test (CUDA 13.0) on Test GPU", "provenance")
expect(md, "- precision: fp32 on both sides", "precision (fp32)")
expect(md, "float32, TF32 off; the peer", "precision (fp32 peer)")
expect(md, "; the peer: LanguageModel, AdamW(lr=0.001, weight_decay=0.1); mamba: ref; RWKV's WKV: test wkv; a test "
       "note", "the peer's model, optimizer, mamba and WKV")
tf32_steps = dict(steps, precision="tf32")
tf32_peers = dict(peers, meta=dict(torch_meta, precision="tf32", tf32=True))
md_tf32, _ = report(tf32_steps, tf32_peers)
expect(md_tf32, "- precision: **tf32**: ours \"precision\": \"tf32\"", "precision (tf32)")
expect(md_tf32, "float32, TF32 on; the peer", "precision (tf32 peer)")
bf16_steps = dict(steps, precision="bf16")
bf16_peers = dict(peers, meta=dict(torch_meta, precision="bf16", autocast="bfloat16"))
md_bf16, _ = report(bf16_steps, bf16_peers)
expect(md_bf16, "- precision: **bf16**: ours \"precision\": \"bf16\"", "precision (bf16)")
expect(md_bf16, "float32, TF32 off, autocast bfloat16; the peer", "precision (bf16 peer)")
err, _ = report(tf32_steps, peers, refused=True)
expect(err, "zoology ran in precision \"float\" but our rows", "mismatched modes (tf32 rows, fp32 peer)")
err, _ = report(steps, dict(peers, meta=dict(torch_meta, tf32=True)), refused=True)
expect(err, "zoology ran in precision \"tf32\" but our rows", "mismatched modes (fp32 rows, an older tf32 peer)")
err, _ = report(bf16_steps, tf32_peers, refused=True)
expect(err, "zoology ran in precision \"tf32\" but our rows", "mismatched modes (bf16 rows, tf32 peer)")
by = {(r["mixer"], r["d_model"]): r for r in rows}
if by.get(("base_conv", "64"), {}).get("ratio") != "20.000" or by.get(("mamba", "512"), {}).get("run_zoology_s") \
        != "2502.4":
    failures.append(f"CSV: base_conv ratio 20.000 and mamba run_zoology_s 2502.4 expected, got {rows}")

steps_met = dict(steps, rows=[r for r in steps["rows"] if r["mixer"] != "mamba"])
md2, _ = report(steps_met, peers)
expect(md2, "\n- **MET** >= 10x zoology's training step at every shape: worst 12.00x (h3 d_model=128 T=64 B=512), "
       "median 16.00x over 2 rows; 2 row(s) without both timings", "target (met)")

md3, _ = report(steps, None)
expect(md3, "\n- **NOT MEASURED** >= 10x zoology's training step at every shape: no zoology peer (no python3 with "
       "torch on this machine)\n", "target (no peer)")

graphed = dict(steps, rows=[dict(r, ms_graph={"base_conv": 1.0, "hyena": 2.0, "h3": 0.5, "mamba": 4.0}[r["mixer"]])
                             if "ms" in r else r for r in steps["rows"]])
md4, rows4 = report(graphed, peers)
expect(md4, "\n- **MISSED** >= 10x zoology's training step at every shape: worst 5.00x", "target (graph run, plain line)")
expect(md4, "\n- **MET** >= 10x zoology's training step at every shape, our step as a CUDA graph: worst 12.50x (mamba "
       "d_model=512 T=512 B=128), median 24.00x over 3 rows; 2 row(s) without both timings", "target (graph line)")
expect(md4, "| base_conv | 64 | 64 | 512 | 1064 | 1064 | 2.000 | 16.38 | 40.000 | 0.82 | 20.00x | 25 s | 8.4 min | 1.000 | "
       "40.00x |", "rows (graph columns)")
expect(md4, "| rwkv | 64 | 256 | 256 | 1064 | - | failed | - | - | - | - | - | - | - | - |", "rows (graph, ours failed)")
if "ours graph ms" in md or "CUDA graph" in md:
    failures.append("a run without graph timings has graph columns")
by4 = {(r["mixer"], r["d_model"]): r for r in rows4}
if by4.get(("mamba", "512"), {}).get("ratio_graph") != "12.500" or by4.get(("h3", "128"), {}).get("ours_graph_ms") != "0.5000":
    failures.append(f"CSV (graph): mamba ratio_graph 12.500 and h3 ours_graph_ms 0.5000 expected, got {rows4}")

# A peer run cut after its third row: bench/torch_peer.py's write_results (bench/train_torch.py writes its JSON with
# it; imported, no torch needed) keeps the rows it reached, names the others, and the report says so.
spec = importlib.util.spec_from_file_location("torch_peer", os.path.join(src, "bench", "torch_peer.py"))
torch_peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(torch_peer)
reached = [dict(p) for p in peers["results"][:3]] + [{"mixer": "mamba", "d_model": 512, "T": 512, "B": 128}]
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "t.json")
    torch_peer.write_results(out, reached, torch_meta, final=False)
    cut = json.load(open(out))
if len(cut["results"]) != 3 or cut["meta"].get("partial", "").split(";")[0] != "written after 3 of 4 rows":
    failures.append(f"write_results: 3 rows and 'written after 3 of 4 rows' expected, got {cut}")
md5, _ = report(steps, cut)
expect(md5, "; **partial**: written after 3 of 4 rows; if this is the last write, the run was cut before the other 1",
       "provenance (partial peer run)")
expect(md5, "\n- **MET** >= 10x zoology's training step at every shape: worst 12.00x (h3 d_model=128 T=64 B=512), median "
       "16.00x over 2 rows; 3 row(s) without both timings (hyena d_model=64 T=64 B=512: zoology skipped, rwkv "
       "d_model=64 T=256 B=256: ours failed, mamba d_model=512 T=512 B=128: no zoology row)", "target (partial peer run)")

FLOP = {"base_conv": {"fp32": 2.5e10, "fp64": 4e8}, "hyena": {"fp32": 1e10}, "h3": {"fp32": 3e10, "tf32": 0},
        "mamba": {"fp32": 4e11}, "rwkv": {"fp32": 1e10}}
floored = dict(steps, gemm_tflops={"fp32": 50.0, "tf32": 400.0, "fp64": 40.0},
               rows=[dict(r, gemm_flop=FLOP[r["mixer"]]) for r in steps["rows"]])
md6, rows6 = report(floored, peers)
expect(md6, "\n- the GEMM floor: our step is 2.79x its floor (median over 4 rows); the ceiling is below 10x at 1 of 3 "
       "rows with both timings (lowest 6.25x, mamba d_model=512 T=512 B=128): there the target needs fewer GEMM flops "
       "or a cheaper arithmetic, not faster other kernels\n", "floor line")
expect(md6, "fp32 50.0, tf32 400.0, fp64 40.0 TFLOP/s", "floor rates")
expect(md6, "| base_conv | 64 | 64 | 512 | 1064 | 1064 | 2.000 | 16.38 | 40.000 | 0.82 | 20.00x | 25 s | 8.4 min | 0.510 | "
       "3.92x | 78.43x |", "rows (floor)")
expect(md6, "| 4.000 | 8.19 | skipped | - | - | 50 s | - | 0.200 | 20.00x | - |", "rows (floor, skipped peer)")
expect(md6, "| 41.7 min | 8.000 | 1.25x | 6.25x |", "rows (floor, mamba)")
expect(md6, "| rwkv | 64 | 256 | 256 | 1064 | - | failed | - | - | - | - | - | - | - | - | - |", "rows (floor, ours failed)")
by6 = {(r["mixer"], r["d_model"]): r for r in rows6}
if by6.get(("h3", "128"), {}).get("floor_ms") != "0.6000" or by6.get(("h3", "128"), {}).get("ceiling") != "20.000":
    failures.append(f"CSV (floor): h3 floor_ms 0.6000 and ceiling 20.000 expected, got {rows6}")
if "floor" in md:
    failures.append("a run without gemm_tflops has floor columns or lines")
no_bf16 = dict(floored, rows=[dict(r, gemm_flop={"fp32": 4e11, "bf16": 1e9}) if r["mixer"] == "mamba" else r
                              for r in floored["rows"]])
md7, _ = report(no_bf16, peers)
expect(md7, "| 41.7 min | - | - | - |", "rows (floor, an arithmetic without a rate)")
expect(md7, "(median over 3 rows); the ceiling is below 10x at 0 of 2 rows with both timings (lowest 20.00x, h3 "
       "d_model=128 T=64 B=512): the whole gap is in the rest of our step", "floor line (no mamba floor)")

if failures:
    print("FAIL: throughput-train.md:\n" + md + "\n" + "\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("bench_train_report: target lines (missed, met, not measured, graph), the GEMM floor, rows, ratios, run times, "
      "summary, provenance and CSV as worked out by hand")
