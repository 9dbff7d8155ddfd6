#!/bin/sh
# CI's accuracy gate (issue 17): re-train train/configs/sweep-ci.json, 4 MQAR runs (conv+mha, base_conv, conv+based,
# mamba2 at d_model 32, lr 3e-3, 8 epochs on 2,000 examples of vocab 32, N 16, 2 key-value pairs), into a temporary
# directory, then gate its CSV with `menagerie gate --sweep` against reports/baselines/sweeps/sweep-ci.json.
# The gate compares, per cell (data, mixer, d_model), the best accuracy over learning rates a_now with the baseline's
# a_base; |a_now - a_base| <= 0.01 is SAME (the threshold stored with the baseline). Seeded training is deterministic
# (two runs, and threads 1 against 2, gave identical accuracies), so 0.01 (10 of the 1,000 test queries) is slack
# for rounding only; a learning bug moves a cell by more (docs/gate.md, "CI's accuracy gate").
# Exit 1 when:
#   - the sweep fails;
#   - the gate exits non-zero: a cell DROPped, is UNFINISHED or GONE (1), or the baseline is missing (77: it is
#     committed with the config, so here a missing one is an error, not a skip);
#   - a cell GAINed: `gate` passes a GAIN, but a deterministic sweep that rose means training changed (dropping both
#     of AdamW's bias corrections raised mamba2 from 0.593 to 0.973). Refresh the baseline on purpose, in its own
#     commit: menagerie sweep --config train/configs/sweep-ci.json --runs DIR --out DIR, then
#     menagerie baseline update --sweep DIR/sweep-ci.csv --threshold 0.01.
# Nothing is written outside the temporary directory (--runs and --out point into it).
# usage: gate_sweep_ci.sh MENAGERIE SOURCE_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

start=$(date +%s)
"$bin" sweep --config "$src/train/configs/sweep-ci.json" --runs "$tmp/runs" --out "$tmp" --no-plot --no-progress \
  > "$tmp/sweep.log" 2>&1
rc=$?
[ "$rc" = 0 ] || { cat "$tmp/sweep.log"; fail "menagerie sweep exited $rc"; }
echo "sweep-ci: 4 runs in $(($(date +%s) - start)) s"

"$bin" gate --sweep "$tmp/sweep-ci.csv" --against "$src/reports/baselines" > "$tmp/gate.txt" 2>&1
rc=$?
cat "$tmp/gate.txt"
[ "$rc" = 0 ] || fail "menagerie gate --sweep exited $rc (1: a cell DROPped, is UNFINISHED or GONE; 77: no baseline)"
! grep -q '  GAIN  ' "$tmp/gate.txt" || fail "a cell GAINed: training changed; refresh the baseline on purpose"
echo "ok: every cell of sweep-ci within the baseline's threshold"
