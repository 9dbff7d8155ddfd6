#!/bin/bash
# Runs the bad-input suite verify/bad_inputs.tsv (its header says the columns and the helpers a command may use):
# each row in a fresh empty directory, checking the exit status, that stderr is exactly one line matching the row's
# regex (for status 0: its first line, empty when the regex is ^$), and that none of the row's paths exist afterwards.
# A command that exits 77 (skip_if_root) is counted as skipped. Prints one line per row and the totals.
# Usage: bad_inputs.sh MENAGERIE_BINARY SOURCE_DIR [NAME_REGEX]
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
only=${3:-}
table=$src/verify/bad_inputs.tsv
root=$(mktemp -d)
trap 'chmod -R u+w "$root"; rm -rf "$root"' EXIT

# The helpers of the table's commands, defined in every row's shell.
prelude=$(cat <<'HELPERS'
menagerie() { "$MENAGERIE_BIN" "$@"; }
cfg() { python3 -c "import json; c = json.load(open('$TINY')); $1; json.dump(c, open('c.json', 'w'))"; }
sweepcfg() {
  python3 -c "
import json
c = json.load(open('$TINY')); c.pop('name'); c['model'].pop('d_model'); c['model'].pop('mixers'); c['model'].pop('hybrid')
s = {'name': 'bad-inputs', 'base': c, 'grid': {'mixers': [{'name': 'attention', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'mha'}], 'hybrid': True}}], 'd_model': [8], 'lr': [3e-3]}}
$1
json.dump(s, open('s.json', 'w'))"
}
dead_pid() { true & local p=$!; wait "$p"; echo "$p"; }
skip_if_root() { [ "$(id -u)" != 0 ] || exit 77; }
fake_slurm() {  # fake_slurm LINE STATUS: bin/sbatch prints LINE and exits STATUS; bin/squeue shows an empty queue
  mkdir -p bin
  printf '#!/bin/sh\necho "%s"\nexit %s\n' "$1" "$2" >bin/sbatch
  printf '#!/bin/sh\nexit 0\n' >bin/squeue
  chmod +x bin/sbatch bin/squeue
  export PATH=$PWD/bin:$PATH
}
nested_npz() {  # $FIX/good/arrays.npz with its first member's sizes stretched to the central directory
  python3 -c "
import struct, sys
z = bytearray(open('$FIX/good/arrays.npz', 'rb').read())
cd = struct.unpack_from('<I', z, len(z) - 6)[0]
start = 30 + struct.unpack_from('<H', z, 26)[0] + struct.unpack_from('<H', z, 28)[0]
for at in (18, 22, cd + 20, cd + 24): struct.pack_into('<I', z, at, cd - start)
open(sys.argv[1], 'wb').write(z)" "$1"
}
HELPERS
)
export MENAGERIE_BIN=$bin FIX=$src/verify/fixtures/io TINY=$src/train/configs/tiny.json

passed=0 failed=0 skipped=0 n=0
start=$(date +%s.%N)
while IFS=$'\t' read -r name want regex absent command; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  [[ -n "$only" && ! "$name" =~ $only ]] && continue
  n=$((n + 1))
  if [ -z "$command" ]; then echo "FAIL $name: malformed row (expected 5 tab-separated columns)"; failed=$((failed + 1)); continue; fi
  dir=$root/$n
  mkdir "$dir"
  (cd "$dir" && timeout 60 bash -c "$prelude"$'\n'"$command" >"$root/$n.out" 2>"$root/$n.err")
  status=$?
  if [ "$status" -eq 77 ]; then echo "skip $name"; skipped=$((skipped + 1)); continue; fi
  first=$(head -n 1 "$root/$n.err")
  lines=$(wc -l <"$root/$n.err")
  why=""
  if [ "$status" -ne "$want" ]; then
    why="exit status $status, expected $want"
  elif [ "$want" -ne 0 ] && [ "$lines" -ne 1 ]; then
    why="$lines lines on stderr, expected exactly one"
  elif ! grep -qE -- "$regex" <<<"$first"; then
    why="first stderr line does not match /$regex/"
  elif [ "$absent" != "-" ]; then
    for pattern in $absent; do
      found=$(cd "$dir" && compgen -G "$pattern" | head -n 1)
      if [ -n "$found" ]; then why="$found exists afterwards"; break; fi
    done
  fi
  if [ -z "$why" ]; then
    echo "ok   $name: $first"
    passed=$((passed + 1))
  else
    echo "FAIL $name: $why; command: $command"
    sed 's/^/     stderr: /' "$root/$n.err" | head -n 5
    failed=$((failed + 1))
  fi
done <"$table"
seconds=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
echo "bad inputs: $n rows, $passed passed, $failed failed, $skipped skipped, ${seconds} s"
[ "$n" -gt 0 ] && [ "$failed" -eq 0 ]
