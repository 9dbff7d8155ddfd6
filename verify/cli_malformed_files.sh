#!/bin/bash
# `menagerie data inspect` on the committed tensor-file fixtures (verify/fixtures/io):
#   every good/* file: exit 0, a report on stdout, nothing on stderr;
#   every bad/* file:  exit 2, exactly one line on stderr ("menagerie: error: FILE: reason"), nothing on stdout;
#   a good and a bad file together: exit 2 and still nothing on stdout (all files are validated before printing).
# Usage: cli_malformed_files.sh MENAGERIE_BINARY FIXTURE_DIR
set -u
bin=$1
dir=$2
fail=0
passed=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

check() {  # check EXPECTED_STATUS FILE...
  local want=$1
  shift
  "$bin" data inspect "$@" >"$out" 2>"$err"
  local status=$? lines
  lines=$(wc -l <"$err")
  local what="data inspect $*"
  if [ "$status" -ne "$want" ]; then
    echo "FAIL: $what: exit status $status, expected $want"; cat "$err"; fail=$((fail + 1)); return
  fi
  if [ "$want" -eq 0 ]; then
    if [ -s "$err" ] || [ ! -s "$out" ]; then
      echo "FAIL: $what: expected a report on stdout and an empty stderr"; cat "$err"; fail=$((fail + 1)); return
    fi
  else
    if [ -s "$out" ]; then echo "FAIL: $what: printed to stdout:"; cat "$out"; fail=$((fail + 1)); return; fi
    if [ "$lines" -ne 1 ] || [ "$(wc -c <"$err")" -le 1 ]; then
      echo "FAIL: $what: $lines lines on stderr, expected exactly one:"; cat "$err"; fail=$((fail + 1)); return
    fi
    if ! grep -qF "menagerie: error: $1: " "$err"; then
      echo "FAIL: $what: stderr does not name the file:"; cat "$err"; fail=$((fail + 1)); return
    fi
    echo "ok: $(cat "$err")"
  fi
  passed=$((passed + 1))
}

shopt -s nullglob
good=("$dir"/good/*)
bad=("$dir"/bad/*)
if [ ${#good[@]} -eq 0 ] || [ ${#bad[@]} -eq 0 ]; then echo "FAIL: no fixtures under $dir"; exit 1; fi
for f in "${good[@]}"; do check 0 "$f"; done
check 0 "${good[@]}"
for f in "${bad[@]}"; do check 2 "$f"; done
check 2 "$dir/no_such_file.npy"
check 2 "${bad[0]}" "${good[0]}"
"$bin" data inspect "${good[0]}" "${bad[0]}" >"$out" 2>/dev/null
if [ -s "$out" ]; then echo "FAIL: a bad file after a good one still printed a partial report"; fail=$((fail + 1)); else passed=$((passed + 1)); fi
echo "$passed passed, $fail failed"
[ "$fail" -eq 0 ]
