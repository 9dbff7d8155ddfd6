#!/usr/bin/env python3
"""The ctest test bench_train_peers: bench/train_torch.py end to end at a tiny shape, so that building zoology's
LanguageModel from every mixer entry of bench/throughput-train.json and its training step are exercised before
a GPU call depends on them. On a GPU when torch sees one, else on the CPU (MENAGERIE_PEER_CPU=1).
  verify/bench_train_peers_check.py SOURCE_DIR [TRAIN_STEPS]
Skips (77) without a python3 that has torch, or without ../shared/peers/zoology (MENAGERIE_PEERS_DIR).
The rows: with TRAIN_STEPS (the CUDA build's bench/train_steps), its `--plan-only --smoke` rows (every entry at
d_model 64, T 64) with B set to 2, each carrying our model::param_count; without it, rows written here as train_steps
writes them, each entry's merged model at d_model 16, T 16, B 2. 2 kv pairs, 1 warm-up and 2 timed steps.
Checks: exit 0; one result per row, in the same (mixer, d_model, T, B); every row timed (ms > 0, 1 <= steps <= 2,
tokens/s = B T / ms) with a positive parameter count, and with TRAIN_STEPS zoology's trainable parameter count equal
to ours (the same model).
"""
import json
import os
import subprocess
import sys
import tempfile

src = sys.argv[1]
try:
    import torch
except ImportError:
    print("bench_train_peers: skipped: no torch in this python3")
    sys.exit(77)
peers = os.environ.get("MENAGERIE_PEERS_DIR", os.path.join(src, "..", "shared", "peers"))
if not os.path.isdir(os.path.join(peers, "zoology")):
    print(f"bench_train_peers: skipped: no zoology under {peers}")
    sys.exit(77)
cuda = torch.cuda.is_available()
cfg = json.load(open(os.path.join(src, "bench", "throughput-train.json")))
failures = []
with tempfile.TemporaryDirectory() as tmp:
    ours = len(sys.argv) > 2
    if ours:
        d, T, B = 64, 64, 2
        plan = os.path.join(tmp, "plan.json")
        res = subprocess.run([sys.argv[2], "--config", os.path.join(src, "bench", "throughput-train.json"),
                              "--out", plan, "--plan-only", "--smoke"], capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"FAIL: train_steps --plan-only exited {res.returncode}: {res.stderr}")
        rows = json.load(open(plan))["rows"]
        for r in rows:
            r.update(B=B, num_kv_pairs=2, warmup=1, steps=2, ms=1.0)
    else:
        d, T, B = 16, 16, 2
        rows = []
        for m in cfg["mixers"]:
            model = dict(cfg["model"], **m["model"], d_model=d)
            if m.get("positions"):
                model["max_position_embeddings"] = T
            rows.append({"mixer": m["name"], "model": model, "d_model": d, "T": T, "B": B, "num_kv_pairs": 2,
                         "steps_per_epoch": 1, "epochs": 1, "params": 0, "warmup": 1, "steps": 2, "ms": 1.0})
    sj, tj = os.path.join(tmp, "steps.json"), os.path.join(tmp, "torch.json")
    json.dump({"provenance": {}, "config": "test", "optimizer": cfg["optimizer"], "dropout": cfg["dropout"],
               "rows": rows}, open(sj, "w"))
    env = dict(os.environ, MENAGERIE_PEER_CPU="1", MENAGERIE_PEERS_DIR=peers)
    res = subprocess.run([sys.executable, os.path.join(src, "bench", "train_torch.py"), "--steps", sj, "--out", tj,
                          "--budget-s", "200"], capture_output=True, text=True, env=env)
    print(res.stdout)
    if res.returncode != 0:
        sys.exit(f"FAIL: train_torch.py exited {res.returncode}:\n{res.stderr}")
    out = json.load(open(tj))
if "skipped" in out:
    sys.exit(f"FAIL: train_torch.py skipped: {out['skipped']}")
got = out["results"]
if [(r["mixer"], r["d_model"], r["T"], r["B"]) for r in got] != [(r["mixer"], d, T, B) for r in rows]:
    failures.append(f"results {[(r['mixer'], r['d_model'], r['T'], r['B']) for r in got]} do not follow the rows")
for r, o in zip(got, rows):
    if ours and r.get("params") != o["params"]:
        failures.append(f"{r['mixer']}: zoology's model has {r.get('params')} trainable parameters, ours "
                        f"{o['params']} (model::param_count)")
    if "ms" in r:
        if not (r["ms"] > 0 and 1 <= r["steps"] <= 2 and r.get("params", 0) > 0
                and abs(r["tokens_per_s"] - B * T / (r["ms"] / 1e3)) <= 1e-6 * r["tokens_per_s"]):
            failures.append(f"{r['mixer']}: a timed row with ms {r['ms']}, steps {r.get('steps')}, params "
                            f"{r.get('params')}, tokens/s {r.get('tokens_per_s')}")
    else:
        failures.append(f"{r['mixer']}: not timed: {r.get('error') or r.get('skipped')}")
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print(f"bench_train_peers: zoology's LanguageModel built and stepped for {sum('ms' in r for r in got)} of "
      f"{len(got)} mixers on {'the GPU' if cuda else 'the CPU'}"
      + (", its parameter counts equal to ours" if ours else " (no train_steps: parameter counts not compared)"))
