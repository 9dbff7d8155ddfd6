#!/bin/bash
# `menagerie train` and `menagerie sweep` from the command line (train/configs/tiny.json and edits of it):
#   malformed configs: exit 2, exactly one line on stderr naming the key, no run directory created;
#   a good run: exit 0, results.jsonl with one line per epoch and the last one final; run again: "already
#   finished", exit 0, results unchanged; a tiny sweep: exit 0, its .md and .csv written; --tables rewrites them
#   (and, for a sliding-window grid, the window oracle's CSV) without training.
# Usage: cli_train.sh MENAGERIE_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
tiny=$src/train/configs/tiny.json

bad() {  # bad NAME SUBCOMMAND PYTHON_EDIT EXPECTED_SUBSTRING
  local name=$1 sub=$2 edit=$3 want=$4
  python3 -c "import json,sys; c=json.load(open('$tiny')); $edit; json.dump(c, open('$tmp/$name.json', 'w'))"
  "$bin" "$sub" --config "$tmp/$name.json" --out "$tmp/out-$name" >"$tmp/stdout" 2>"$tmp/stderr"
  local status=$?
  if [ "$status" -ne 2 ]; then echo "FAIL: $name: exit $status, expected 2"; cat "$tmp/stderr"; fail=1; return; fi
  if [ "$(wc -l <"$tmp/stderr")" -ne 1 ]; then echo "FAIL: $name: stderr is not one line:"; cat "$tmp/stderr"; fail=1; return; fi
  if ! grep -qF -- "$want" "$tmp/stderr"; then echo "FAIL: $name: stderr lacks '$want':"; cat "$tmp/stderr"; fail=1; return; fi
  if [ -e "$tmp/out-$name" ]; then echo "FAIL: $name: $tmp/out-$name was created"; fail=1; return; fi
  echo "ok: $(cat "$tmp/stderr")"
}

bad unknown_key train "c['epoch'] = 3" "unknown key 'epoch'"
bad wrong_type train "c['optimizer']['lr'] = 'fast'" "optimizer.lr must be a number, got string"
bad out_of_range train "c['dropout'] = {'attention': 1.0}" "dropout.attention = 1 must be in [0, 1)"
bad mixer train "c['model']['mixers'][1]['id'] = 'attention'" "model.mixers[1].id = \"attention\""
bad vocab train "c['model']['vocab_size'] = 12" "outside model.vocab_size = 12"
bad not_a_sweep sweep "pass" "(expected one of: name, base, grid)"
"$bin" train --config "$tmp/missing.json" >/dev/null 2>"$tmp/stderr"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/stderr")" -eq 1 ] && echo "ok: $(cat "$tmp/stderr")" || { echo "FAIL: missing config"; cat "$tmp/stderr"; fail=1; }

if ! "$bin" train --config "$tiny" --out "$tmp/run" --no-progress >"$tmp/stdout" 2>&1; then
  echo "FAIL: tiny run"; cat "$tmp/stdout"; fail=1
else
  n=$(wc -l <"$tmp/run/results.jsonl")
  epochs=$(python3 -c "import json; print(len([l for l in open('$tmp/run/results.jsonl')]), json.loads(open('$tmp/run/results.jsonl').readlines()[-1])['final'])")
  [ "$epochs" = "$n True" ] && echo "ok: tiny run, $n results lines, last final" || { echo "FAIL: results: $epochs"; fail=1; }
  cp "$tmp/run/results.jsonl" "$tmp/before"
  "$bin" train --config "$tiny" --out "$tmp/run" --no-progress >"$tmp/stdout" 2>&1
  if grep -q "already finished" "$tmp/stdout" && cmp -s "$tmp/before" "$tmp/run/results.jsonl"; then
    echo "ok: re-run says already finished, results unchanged"
  else
    echo "FAIL: re-run"; cat "$tmp/stdout"; fail=1
  fi
fi

python3 -c "
import json
c = json.load(open('$tiny')); c.pop('name'); c['model'].pop('d_model'); c['model'].pop('mixers'); c['model'].pop('hybrid')
s = {'name': 'cli-sweep', 'base': c, 'grid': {'mixers': [{'name': 'attention', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'mha'}], 'hybrid': True}}], 'd_model': [8], 'lr': [3e-3]}}
json.dump(s, open('$tmp/sweep.json', 'w'))"
if "$bin" sweep --config "$tmp/sweep.json" --runs "$tmp/sweep" --no-plot --no-progress >"$tmp/stdout" 2>&1 &&
   [ -s "$tmp/sweep/cli-sweep.md" ] && [ -s "$tmp/sweep/cli-sweep.csv" ]; then
  echo "ok: sweep wrote $(ls "$tmp/sweep" | tr '\n' ' ')"
else
  echo "FAIL: sweep"; cat "$tmp/stdout"; fail=1
fi

# --tables: trains nothing, rewrites the tables from the runs (the same CSV); a sliding-window grid also gets the
# window oracle's CSV, without any run.
cp "$tmp/sweep/cli-sweep.csv" "$tmp/csv-before"
rm "$tmp/sweep/cli-sweep.csv" "$tmp/sweep/cli-sweep.md"
if "$bin" sweep --config "$tmp/sweep.json" --runs "$tmp/sweep" --tables --no-plot >"$tmp/stdout" 2>&1 &&
   cmp -s "$tmp/csv-before" "$tmp/sweep/cli-sweep.csv" && [ -s "$tmp/sweep/cli-sweep.md" ] &&
   [ ! -e "$tmp/sweep/cli-sweep-oracle.csv" ]; then
  echo "ok: --tables rewrote the same CSV"
else
  echo "FAIL: --tables"; cat "$tmp/stdout"; fail=1
fi
python3 -c "
import json
s = json.load(open('$tmp/sweep.json')); s['name'] = 'cli-swa'
s['grid']['mixers'] = [{'name': 'swa-w2', 'model': {'mixers': [{'id': 'base_conv'}, {'id': 'sliding_attn', 'window': 2}], 'hybrid': True}}]
json.dump(s, open('$tmp/swa.json', 'w'))"
if "$bin" sweep --config "$tmp/swa.json" --runs "$tmp/swa" --tables --no-plot >"$tmp/stdout" 2>&1 &&
   grep -q "^data,point,swa-w2,8,2,4," "$tmp/swa/cli-swa-oracle.csv" && grep -q "exact window oracle" "$tmp/swa/cli-swa.md" &&
   [ "$(ls "$tmp/swa" | grep -vc '^cli-swa')" = 0 ]; then
  echo "ok: --tables on a sliding-window grid wrote the oracle, trained nothing"
else
  echo "FAIL: --tables oracle"; cat "$tmp/stdout"; ls "$tmp/swa"; cat "$tmp/swa/cli-swa-oracle.csv"; fail=1
fi
exit $fail
