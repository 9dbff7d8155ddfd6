#!/bin/sh
# `menagerie gate --sweep` on the committed reports/sweep-small.csv against a baseline written here by hand from that
# CSV's numbers (the best accuracy over learning rates of each of its 9 cells):
#   - the CSV itself: 9 SAME, exit 0;
#   - base_conv d64's runs lowered by 0.03 (best 0.530250 -> 0.500250): that cell DROPs, exit 1;
#   - mha d32's runs unfinished (accuracy empty): UNFINISHED, exit 1;   conv+mha d16 removed: GONE, exit 1;
#   - a rise of 0.03 is a GAIN and passes;   a CSV without an accuracy column: one line on stderr, exit 2.
# usage: gate_sweep.sh MENAGERIE SOURCE_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$tmp/b/sweeps"
cat > "$tmp/b/sweeps/sweep-small.json" <<'JSON'
{"threshold": 0.02, "provenance": {"git_sha": "hand-written"},
 "cells": {"N32-D4 / conv+mha / d16": 0.9975, "N32-D4 / conv+mha / d32": 0.99975, "N32-D4 / conv+mha / d64": 1.0,
           "N32-D4 / base_conv / d16": 0.2645, "N32-D4 / base_conv / d32": 0.27075, "N32-D4 / base_conv / d64": 0.53025,
           "N32-D4 / mha / d16": 0.40525, "N32-D4 / mha / d32": 0.993, "N32-D4 / mha / d64": 0.99825}}
JSON
gate() { "$bin" gate --sweep "$1" --against "$tmp/b" > "$tmp/out" 2> "$tmp/err"; echo $?; }

cp "$src/reports/sweep-small.csv" "$tmp/sweep-small.csv"
rc=$(gate "$tmp/sweep-small.csv"); cat "$tmp/out"
[ "$rc" = 0 ] || fail "the sweep against its own numbers: exit $rc"
[ "$(grep -c ' SAME ' "$tmp/out")" = 9 ] || fail "expected 9 SAME cells"

mkdir -p "$tmp/drop" "$tmp/gain" "$tmp/unf" "$tmp/gone" "$tmp/bad"
awk -F, 'BEGIN{OFS=","} $2=="base_conv" && $3==64 {$7=sprintf("%.6f", $7-0.03)} {print}' \
  "$tmp/sweep-small.csv" > "$tmp/drop/sweep-small.csv"
rc=$(gate "$tmp/drop/sweep-small.csv"); cat "$tmp/out"
[ "$rc" = 1 ] || fail "a drop of 0.03: exit $rc, expected 1"
grep -q '^N32-D4 / base_conv / d64 .* -0.0300  DROP' "$tmp/out" || fail "base_conv d64 not reported as DROP"
[ "$(grep -c ' SAME ' "$tmp/out")" = 8 ] || fail "expected the 8 other cells SAME"

awk -F, 'BEGIN{OFS=","} $2=="base_conv" && $3==64 {$7=sprintf("%.6f", $7+0.03)} {print}' \
  "$tmp/sweep-small.csv" > "$tmp/gain/sweep-small.csv"
rc=$(gate "$tmp/gain/sweep-small.csv")
[ "$rc" = 0 ] && grep -q 'base_conv / d64 .* GAIN' "$tmp/out" || fail "a rise of 0.03: exit $rc, or no GAIN"

awk -F, 'BEGIN{OFS=","} $2=="mha" && $3==32 {$6=""; $7=""} {print}' "$tmp/sweep-small.csv" > "$tmp/unf/sweep-small.csv"
rc=$(gate "$tmp/unf/sweep-small.csv")
[ "$rc" = 1 ] && grep -q '^N32-D4 / mha / d32 .* UNFINISHED' "$tmp/out" || fail "unfinished cell: exit $rc"

grep -v '^N32-D4,conv+mha,16,' "$tmp/sweep-small.csv" > "$tmp/gone/sweep-small.csv"
rc=$(gate "$tmp/gone/sweep-small.csv")
[ "$rc" = 1 ] && grep -q '^N32-D4 / conv+mha / d16 .* GONE' "$tmp/out" || fail "missing cell: exit $rc"

cut -d, -f1-6 "$tmp/sweep-small.csv" > "$tmp/bad/sweep-small.csv"
rc=$(gate "$tmp/bad/sweep-small.csv")
[ "$rc" = 2 ] || fail "a CSV without accuracy: exit $rc, expected 2"
[ "$(wc -l < "$tmp/err")" = 1 ] && grep -q "no column 'accuracy'" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
echo "ok: SAME x9 on itself; DROP, UNFINISHED, GONE exit 1; GAIN passes; a malformed CSV exits 2"
