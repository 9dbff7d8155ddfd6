#!/bin/bash
# `menagerie sweep --workers 1 --runs-per-worker 2` (cli/sweep_threads.hpp) when a worker's CUDA context is lost: the
# worker is replaced and every point but the one whose fault it was still trains to the serial sweep's results.
# The loss is simulated on this GPU-less machine by MENAGERIE_TEST_LOSE_CONTEXT=ID (cli/sweep_threads.cpp): ID throws
# once another point has started beside it (2 s at most), the worker's probe then says its context is lost, and its
# other points throw at their next log line.
# A 4-point sweep from train/configs/tiny.json (2 mixers x 2 learning rates, CPU) is run serially, then with the
# first point of the pool's order made to lose the context. Expected: exit 1 naming that point alone as failed; the
# log shows it lost beside another and a fresh worker taking the lost one's place (where it fails alone); the other
# three points' CSV rows and final checkpoints equal the serial sweep's (those cut off resume from their
# checkpoints); the failed point has no results line.
# usage: cli_sweep_lost_context.sh MENAGERIE SOURCE_DIR
set -u
bin=$1 src=$2
. "$src/verify/support/tiny_sweep.sh"  # a scratch directory, fail, tiny_sweep
tiny_sweep lost
first=$("$bin" sweep --config s.json --runs pool --workers 1 --runs-per-worker 2 --plan 2>&1 |
  awk -F'|' '/^\| [a-z]/ && $2 !~ /point/ {gsub(/ /, "", $2); print $2; exit}')
[ -n "$first" ] || fail "no first point in the plan"
MENAGERIE_TEST_LOSE_CONTEXT=$first "$bin" sweep --config s.json --runs pool --workers 1 --runs-per-worker 2 \
  --no-plot --no-progress >pool.log 2>&1
rc=$?
cat pool.log
[ "$rc" = 1 ] || fail "exit $rc, expected 1 (one point failed)"
grep -q "$first lost with the worker's device context" pool.log || fail "$first was not reported lost beside another"
grep -q "a fresh worker takes its place" pool.log || fail "no worker was replaced"
failed=$(grep -o '[^ ]* FAILED' pool.log | sort -u)
[ "$failed" = "$first FAILED" ] || fail "failed: '$failed', expected only $first"
key=$(echo "$first" | sed -E 's/^(.*)-d([0-9]+)-lr([^-]+)-(.*)$/\4,\1,\2,\3,/')  # data,mixer,d_model,lr,
grep -q "^$key" pool/lost.csv || fail "no CSV row for $first (key $key)"
grep "^$key" pool/lost.csv | cut -d, -f7-8 | grep -qx "," || fail "$first has a result: $(grep "^$key" pool/lost.csv)"
cmp <(grep -v "^$key" serial/lost.csv | cut -d, -f1-8) <(grep -v "^$key" pool/lost.csv | cut -d, -f1-8) ||
  fail "the other points' CSV rows (without the best-lr mark) differ from the serial sweep's"
n=0
for ck in serial/*/checkpoint/*.safetensors; do
  id=${ck#serial/}; id=${id%%/*}
  [ "$id" = "$first" ] && continue
  cmp -s "$ck" "pool/${ck#serial/}" || fail "pool/${ck#serial/} differs from the serial sweep's"
  n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "expected the checkpoints of 3 points, compared $n"
[ ! -s "pool/$first/results.jsonl" ] || ! tail -n 1 "pool/$first/results.jsonl" | grep -q '"final": *true' ||
  fail "$first finished, though it lost the context at every start"
echo "context lost at $first: it alone failed, the worker was replaced, $n checkpoints equal the serial sweep's"
