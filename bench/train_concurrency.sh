#!/bin/bash
# The throughput gain of training R runs at once in one process (menagerie sweep --runs-per-worker R: one host
# thread and CUDA stream per run) over R runs one at a time, at Zoology Fig. 2's shapes (bench/train-concurrency.json:
# every GPU mixer of throughput-train.json, d_model 64 and 128, T 64 (batch 512) and T 256 (batch 256)).
# For each R it runs `train_steps --concurrent R` (bench/train_steps.cpp: per point the wall time of K rounds, a round
# being one training step of each of the R runs, one at a time and at once; speedup = sequential / concurrent) into
# OUT/concurrency-R<R>.json, then prints one table: a row per point, a speedup column per R.
# usage: bench/train_concurrency.sh BUILD_DIR OUT_DIR [R ...]     (default R: 2 4 8; needs a GPU, exit 77 without)
set -u
build=${1:?usage: train_concurrency.sh BUILD_DIR OUT_DIR [R ...]} out=${2:?usage: train_concurrency.sh BUILD_DIR OUT_DIR [R ...]}
shift 2
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(2 4 8)
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" || exit 2
for r in "${runs[@]}"; do
  "$build/bench/train_steps" --config "$src/bench/train-concurrency.json" --out "$out/concurrency-R$r.json" \
    --concurrent "$r"
  rc=$?
  [ "$rc" = 0 ] || { echo "train_steps --concurrent $r: exit $rc"; exit "$rc"; }
done
python3 - "$out" "${runs[@]}" <<'PY'
import json, sys
out, runs = sys.argv[1], sys.argv[2:]
table = {}
for r in runs:
    for row in json.load(open(f"{out}/concurrency-R{r}.json"))["rows"]:
        key = (row["mixer"], row["d_model"], row["T"], row["B"])
        table.setdefault(key, {})[r] = row
print("| mixer | d_model | T | B | " + " | ".join(f"R={r}: ms/round seq -> conc (speedup)" for r in runs) + " |")
print("|---|---|---|---|" + "---|" * len(runs))
for (m, d, t, b), cells in table.items():
    def cell(r):
        c = cells.get(r)
        if c is None or "error" in c:
            return "failed: " + (c or {}).get("error", "missing")[:60]
        return f"{c['ms_round_sequential']:.2f} -> {c['ms_round_concurrent']:.2f} ({c['speedup']:.2f}x)"
    print(f"| {m} | {d} | {t} | {b} | " + " | ".join(cell(r) for r in runs) + " |")
PY
