#!/bin/bash
# `menagerie sweep --runs-per-worker` on the GPU backend gives the serial sweep's results: train/configs/tiny-gpu.json
# (seven mixers at d 64, 16 epochs; about 10 s serially on an H100) is run serially into one directory and with
# --workers 1 --gpus 0 --runs-per-worker 4 (one process, four runs at once on their own threads and streams) into
# another; the CSV, every epoch's results line (wall-clock fields aside) and every checkpoint must be equal byte
# for byte (the GPU kernels on this path are deterministic), and the worker must have run points at once. Prints both
# wall times. Exit 77 (skip) without a GPU. CONFIG (another sweep, e.g. a reference-backend one) checks the script.
# usage: sweep_threads_gpu.sh MENAGERIE SOURCE_DIR [CONFIG]
set -u
bin=$(realpath "$1") src=$2 cfg=$(realpath "${3:-$2/train/configs/tiny-gpu.json}")
name=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$cfg")
backend=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["base"].get("backend", ""))' "$cfg")
[ "$backend" = gpu ] && "$bin" info 2>&1 | grep -q "^GPUs: *no GPU" && { echo "skipped: no GPU visible"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

t0=$(date +%s.%N)
"$bin" sweep --config "$cfg" --runs serial --no-plot --no-progress >serial.log 2>&1 || { cat serial.log; fail "serial sweep"; }
t1=$(date +%s.%N)
"$bin" sweep --config "$cfg" --runs threads --workers 1 --gpus 0 --runs-per-worker 4 --no-plot >threads.log 2>&1 ||
  { cat threads.log; fail "sweep --workers 1 --runs-per-worker 4"; }
t2=$(date +%s.%N)
cat threads.log
cmp serial/$name.csv threads/$name.csv || fail "the CSV differs from the serial sweep's"
n=0
for ck in serial/*/checkpoint/*.safetensors; do
  [ -e "$ck" ] || continue
  cmp -s "$ck" "threads/${ck#serial/}" || fail "threads/${ck#serial/} differs from the serial sweep's $ck"
  n=$((n + 1))
done
points=$(ls -d serial/*/ | wc -l)
[ "$n" -ge $((2 * points)) ] && [ "$points" -ge 2 ] || fail "expected checkpoint files of $points points, compared $n"
for r in serial/*/results.jsonl; do
  python3 -c '
import json, sys
strip = lambda p: [{k: v for k, v in json.loads(l).items() if k not in ("seconds", "tokens_per_s")} for l in open(p)]
sys.exit(strip(sys.argv[1]) != strip(sys.argv[2]))' "$r" "threads/${r#serial/}" || fail "threads/${r#serial/}: its losses or accuracies differ from $r"
done
started=$(awk '/ started$/ {s++} / done / {print s; exit}' threads.log)
[ "${started:-0}" -ge 2 ] || fail "the runs did not overlap: $started point(s) had started when the first finished"
printf 'serial and --runs-per-worker 4 on the GPU: equal CSVs, results and %d checkpoints; %d points at once; ' "$n" "$started"
python3 -c "import sys; a, b, c = map(float, sys.argv[1:]); print(f'wall {b - a:.1f} s serial, {c - b:.1f} s with 4 runs at once')" "$t0" "$t1" "$t2"
