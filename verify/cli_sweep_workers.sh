#!/bin/bash
# `menagerie sweep --workers N` (cli/sweep_workers.hpp) gives the serial sweep's results: a 4-point sweep built from
# train/configs/tiny.json (2 mixers x 2 learning rates, CPU, a few seconds) is run serially into one directory and
# with --workers 3 into another; the tables (the CSV: accuracies, epochs, parameters, state sizes) must be equal byte
# for byte, and so must every run's final checkpoint (the parameters after training). The worker run must have
# overlapped: at least two points started before the first one finished. Then a failing point: a point whose run
# directory cannot be created must fail alone (exit 1, its id named), the other points finishing.
# usage: cli_sweep_workers.sh MENAGERIE SOURCE_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

python3 -c "
import json
c = json.load(open('$src/train/configs/tiny.json')); c.pop('name'); c['model'].pop('d_model'); c['model'].pop('mixers'); c['model'].pop('hybrid')
c['threads'] = 1
s = {'name': 'workers', 'base': c, 'grid': {'mixers': [
       {'name': 'attention', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'mha'}], 'hybrid': True}},
       {'name': 'base_conv', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'base_conv', 'conv': 'long_implicit'}], 'hybrid': True}}],
     'd_model': [8], 'lr': [3e-3, 1e-2]}}
json.dump(s, open('s.json', 'w'))" || fail "writing the sweep config"

"$bin" sweep --config s.json --runs serial --no-plot --no-progress >serial.log 2>&1 || { cat serial.log; fail "serial sweep"; }
"$bin" sweep --config s.json --runs pool --workers 3 --no-plot >pool.log 2>&1 || { cat pool.log; fail "sweep --workers 3"; }
cat pool.log
cmp serial/workers.csv pool/workers.csv || fail "the worker pool's CSV differs from the serial sweep's"
n=0
for ck in serial/*/checkpoint/*.safetensors; do
  [ -e "$ck" ] || continue
  other=pool/${ck#serial/}
  cmp -s "$ck" "$other" || fail "$other differs from the serial sweep's $ck"
  n=$((n + 1))
done
[ "$n" -ge 4 ] || fail "expected checkpoint files of 4 points, compared $n: $(ls serial/*/checkpoint)"
started=$(awk '/ started$/ {s++} / done / {print s; exit}' pool.log)
[ "${started:-0}" -ge 2 ] || fail "the workers did not overlap: $started point(s) had started when the first finished"
echo "serial and --workers 3: equal CSVs and $n equal checkpoints; $started points running at once"

# A failing point: its run directory's path is taken by a file, so the point cannot start (root included).
first=$(basename "$(ls -d serial/*/ | head -1)")
mkdir -p broken && touch broken/"$first"
"$bin" sweep --config s.json --runs broken --workers 2 --no-plot >broken.log 2>&1
rc=$?
[ "$rc" = 1 ] || { cat broken.log; fail "a point that cannot start: exit $rc, expected 1"; }
grep -q "$first FAILED" broken.log || { cat broken.log; fail "the failed point $first is not named"; }
[ "$(grep -c ' done ' broken.log)" = 3 ] || { cat broken.log; fail "the other 3 points did not finish"; }
echo "a point that cannot start fails alone: exit 1, the other 3 done"
