#!/bin/bash
# `menagerie sweep --workers N` (cli/sweep_workers.hpp) gives the serial sweep's results: a 4-point sweep built from
# train/configs/tiny.json (2 mixers x 2 learning rates, CPU, a few seconds) is run serially into one directory and
# with --workers 3 into another; the tables (the CSV: accuracies, epochs, parameters, state sizes) must be equal byte
# for byte, and so must every run's final checkpoint (the parameters after training). The worker run must have
# overlapped: at least two points started before the first one finished. Then a failing point: a point whose run
# directory cannot be created must fail alone (exit 1, its id named), the other points finishing.
# --runs-per-worker (cli/sweep_threads.hpp): --workers 2 --runs-per-worker 2 (2 processes, 2 training threads each)
# must give the same CSV and checkpoints as the serial sweep, with runs of one process overlapping, and a point
# that fails there must fail alone too; the pool killed (kill -9) while points sit between checkpoints and started
# again must give the serial sweep's results. Bad values of --runs-per-worker: one line naming the value, exit 2.
# Its worker processes load CUDA modules eagerly (CUDA_MODULE_LOADING=EAGER, as their logs say) unless the user's
# environment sets CUDA_MODULE_LOADING (LAZY here), which they keep; with --gpus 3,5 worker k sees GPU gpus[k] alone.
# --match GLOB (with either kind of pool): only the matching points are trained, with the serial sweep's checkpoints,
# and the tables mark the others unfinished; a glob that matches no point, or --match without --workers: one line,
# exit 2, nothing written. --deadline-s 0.05 (either pool): the first points start (nothing is known yet), and when
# the first ends (after its own duration, well over 0.05 s) no other starts; the command exits 0 naming the points not
# started, which have no run directory; a second sweep without a deadline trains them and the CSV and checkpoints are
# the serial sweep's. With a finished sibling (another learning rate of the same cell) that took 10^5 s in the runs
# directory, --deadline-s 600 holds its point back and trains the others, and --plan says so before training,
# writing nothing. Bad values (0, -1, without --workers; --plan without --workers): one line, exit 2, nothing written.
# The line is cheapest to finish first: a point whose checkpoint has all but one epoch trained goes ahead of the
# points of its cost that have none.
# usage: cli_sweep_workers.sh MENAGERIE SOURCE_DIR
set -u
bin=$1 src=$2
. "$src/verify/support/tiny_sweep.sh"  # a scratch directory, fail, tiny_sweep
tiny_sweep workers
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

same_as_serial() {  # $1: the runs directory of a pool; prints the number of equal checkpoints
  cmp serial/workers.csv "$1"/workers.csv || fail "$1: the CSV differs from the serial sweep's"
  local k=0 ck
  for ck in serial/*/checkpoint/*.safetensors; do
    [ -e "$ck" ] || continue
    cmp -s "$ck" "$1/${ck#serial/}" || fail "$1/${ck#serial/} differs from the serial sweep's $ck"
    k=$((k + 1))
  done
  [ "$k" -ge 4 ] || fail "$1: expected checkpoint files of 4 points, compared $k"
  for r in serial/*/results.jsonl; do  # every epoch's loss and accuracy (the wall-clock fields aside)
    python3 -c '
import json, sys
strip = lambda p: [{k: v for k, v in json.loads(l).items() if k not in ("seconds", "tokens_per_s")} for l in open(p)]
sys.exit(strip(sys.argv[1]) != strip(sys.argv[2]))' "$r" "$1/${r#serial/}" || fail "$1/${r#serial/}: its losses or accuracies differ from $r"
  done
  echo "$k"
}
env -u CUDA_MODULE_LOADING "$bin" sweep --config s.json --runs threads --workers 2 --gpus 3,5 --runs-per-worker 2 \
  --no-plot >threads.log 2>&1 ||
  { cat threads.log; fail "sweep --workers 2 --runs-per-worker 2"; }
cat threads.log
n=$(same_as_serial threads) || { echo "$n"; exit 1; }
grep -q "2 workers x 2 runs each" threads.log || fail "the threaded pool's header line is missing"
[ "$(ls threads/.workers/worker-*.log | wc -l)" = 2 ] || fail "expected 2 worker processes: $(ls threads/.workers)"
# Each worker process loads its CUDA modules eagerly (cli/sweep_threads.cpp says why) unless the user set otherwise.
for w in threads/.workers/worker-*.log; do
  grep -qx "worker: CUDA_MODULE_LOADING=EAGER" "$w" || { cat "$w"; fail "$w: the worker's CUDA modules are not eager"; }
done
# --gpus 3,5: worker k sees only GPU gpus[k] (CUDA_VISIBLE_DEVICES), one worker per GPU on a multi-GPU host.
for k in 0 1; do
  g=$([ $k = 0 ] && echo 3 || echo 5)
  grep -qx "worker: CUDA_VISIBLE_DEVICES=$g" threads/.workers/worker-$k.log ||
    { cat threads/.workers/worker-$k.log; fail "worker $k does not see GPU $g alone (--gpus 3,5)"; }
done
[ "$(grep -c ' done ' threads.log)" = 4 ] || fail "expected 4 points done"
# Threads of one process overlapped: some worker had started two points before the first of them ended.
started=$(awk 'match($0, /worker [0-9]+/) {w = substr($0, RSTART, RLENGTH)} / started$/ {s[w]++}
  / done / && !(w in d) {d[w] = 1; if (s[w] > m) m = s[w]} END {print m + 0}' threads.log)
[ "$started" -ge 2 ] || fail "the threads of a worker did not overlap (at most $started running at once)"
echo "serial and --workers 2 --runs-per-worker 2: equal CSVs, results and $n equal checkpoints; $started points at once in one worker"

# Killed (kill -9 of the whole pool, once some point has a checkpoint) and started again: the same results. A sweep
# of 12 epochs (s12.json), so that points are caught between checkpoints.
python3 -c "
import json
s = json.load(open('s.json')); s['name'] = 'workers12'; s['base']['epochs'] = 12
json.dump(s, open('s12.json', 'w'))" || fail "writing the 12-epoch sweep config"
"$bin" sweep --config s12.json --runs serial12 --no-plot --no-progress >serial12.log 2>&1 || { cat serial12.log; fail "serial sweep (12 epochs)"; }
setsid "$bin" sweep --config s12.json --runs killed --workers 2 --runs-per-worker 2 --no-plot >killed.log 2>&1 &
pool=$!
for _ in $(seq 200); do ls killed/*/checkpoint/state.json >/dev/null 2>&1 && break; sleep 0.02; done
kill -9 -- -"$pool" 2>/dev/null
wait "$pool" 2>/dev/null
cut=0
for d in killed/*/; do
  [ -e "$d/checkpoint/state.json" ] && ! grep -q '"final":true' "$d/results.jsonl" 2>/dev/null && cut=$((cut + 1))
done
[ "$cut" -ge 1 ] || fail "the kill caught no point between checkpoints (nothing to resume)"
"$bin" sweep --config s12.json --runs killed --workers 2 --runs-per-worker 2 --no-plot >resumed.log 2>&1 ||
  { cat resumed.log; fail "the resumed sweep"; }
cmp serial12/workers12.csv killed/workers12.csv || fail "the resumed pool's CSV differs from the serial sweep's"
for ck in serial12/*/checkpoint/*.safetensors; do
  cmp -s "$ck" "killed/${ck#serial12/}" || fail "killed/${ck#serial12/} differs from the serial sweep's $ck"
done
echo "--runs-per-worker 2 killed with $cut point(s) between checkpoints and resumed: the serial sweep's CSV and checkpoints"

refused() {  # refused FLAG ARGS...: the sweep with ARGS exits 2 with one line naming FLAG and creates no runs directory
  local flag=$1 rc
  shift
  "$bin" sweep --config s.json --runs refused "$@" --no-plot >bad.log 2>&1
  rc=$?
  [ "$rc" = 2 ] || { cat bad.log; fail "sweep $*: exit $rc, expected 2"; }
  [ "$(wc -l <bad.log)" = 1 ] && grep -q -- "$flag" bad.log || { cat bad.log; fail "sweep $*: expected one line naming $flag"; }
  [ ! -e refused ] || fail "sweep $*: a refused command created its runs directory"
}
refused --runs-per-worker --workers 2 --runs-per-worker 0
refused --runs-per-worker --workers 2 --runs-per-worker 65
refused --runs-per-worker --runs-per-worker 2
echo "bad --runs-per-worker values: one line, exit 2"

# A failing point: its run directory's path is taken by a file, so the point cannot start (root included).
first=$(basename "$(ls -d serial/*/ | head -1)")
mkdir -p broken && touch broken/"$first"
"$bin" sweep --config s.json --runs broken --workers 2 --no-plot >broken.log 2>&1
rc=$?
[ "$rc" = 1 ] || { cat broken.log; fail "a point that cannot start: exit $rc, expected 1"; }
grep -q "$first FAILED" broken.log || { cat broken.log; fail "the failed point $first is not named"; }
[ "$(grep -c ' done ' broken.log)" = 3 ] || { cat broken.log; fail "the other 3 points did not finish"; }
echo "a point that cannot start fails alone: exit 1, the other 3 done"

rm -rf broken && mkdir -p broken && touch broken/"$first"
CUDA_MODULE_LOADING=LAZY "$bin" sweep --config s.json --runs broken --workers 1 --runs-per-worker 3 --no-plot \
  >broken.log 2>&1
rc=$?
[ "$rc" = 1 ] || { cat broken.log; fail "--runs-per-worker 3, a point that cannot start: exit $rc, expected 1"; }
grep -q "$first FAILED" broken.log || { cat broken.log; fail "the failed point $first is not named"; }
[ "$(grep -c ' done ' broken.log)" = 3 ] || { cat broken.log; fail "the other 3 points did not finish"; }
grep -qx "worker: CUDA_MODULE_LOADING=LAZY" broken/.workers/worker-0.log ||
  { cat broken/.workers/worker-0.log; fail "the user's CUDA_MODULE_LOADING=LAZY did not reach the worker"; }
echo "--runs-per-worker 3: a point that cannot start fails alone: exit 1, the other 3 done; CUDA modules eager by"
echo "default, the user's CUDA_MODULE_LOADING kept"

for pool in "--workers 2" "--workers 1 --runs-per-worker 2"; do
  rm -rf match
  "$bin" sweep --config s.json --runs match $pool --match 'attention-*' --match '*-lr0.01-*' --no-plot >match.log 2>&1 ||
    { cat match.log; fail "sweep $pool --match"; }
  grep -q "3 of 4 points unfinished (of those --match names)" match.log || { cat match.log; fail "$pool --match: count"; }
  [ "$(cd match && ls -d *-data | tr '\n' ' ')" = "attention-d8-lr0.003-data attention-d8-lr0.01-data base_conv-d8-lr0.01-data " ] ||
    { ls match; fail "$pool --match: expected the 3 matching run directories only"; }
  for ck in match/*/checkpoint/*.safetensors; do
    cmp -s "$ck" "serial/${ck#match/}" || fail "$pool --match: $ck differs from the serial sweep's"
  done
  grep -q "^| base_conv | 0.[0-9]* (0.01) \* |$" match/workers.md ||
    { cat match/workers.md; fail "$pool --match: base_conv's cell does not mark its unmatched learning rate unfinished"; }
done
echo "--match: only the matching points trained, as in the serial sweep; the tables mark the rest unfinished"
refused --match --workers 2 --match 'nope*'
refused --match --match 'attention-*'
echo "bad --match: one line, exit 2, nothing written"

for pool in "--workers 1:1" "--workers 1 --runs-per-worker 2:2"; do
  args=${pool%:*} first=${pool##*:}
  rm -rf late
  "$bin" sweep --config s.json --runs late $args --deadline-s 0.05 --no-plot >late.log 2>&1 ||
    { cat late.log; fail "sweep $args --deadline-s: exit $?"; }
  [ "$(grep -c ' done ' late.log)" = "$first" ] || { cat late.log; fail "$args --deadline-s: $first point(s) expected done"; }
  grep -q "$((4 - first)) point(s) not started: expected to end after --deadline-s 0.05" late.log ||
    { cat late.log; fail "$args --deadline-s: the points not started are not named"; }
  [ "$(cd late && ls -d *-data | wc -l)" = "$first" ] || { ls late; fail "$args --deadline-s: unstarted points left run directories"; }
  "$bin" sweep --config s.json --runs late $args --no-plot >late2.log 2>&1 || { cat late2.log; fail "$args: the rest"; }
  k=$(same_as_serial late) || { echo "$k"; exit 1; }
done
echo "--deadline-s: no point started past the deadline, the rest trained by a later sweep as in the serial sweep"

# Finished siblings (same cell, another learning rate) give the expected duration: with the serial attention run at
# lr 0.003 copied in and its "seconds" made all nines (10^5 s or more), its lr 0.01 sibling is not started under
# --deadline-s 600, while base_conv's two points (no sibling finished, nothing known) are trained.
for args in "--workers 1" "--workers 1 --runs-per-worker 2"; do
  rm -rf sib && mkdir sib && cp -r serial/attention-d8-lr0.003-data sib/
  python3 -c "
import re
p = 'sib/attention-d8-lr0.003-data/results.jsonl'
lines = open(p).read().split('\\n')
# same length (the checkpoint records the file's size): every digit of the last line's seconds made a 9
lines[-2] = re.sub(r'(\"seconds\": *)([0-9.]+)', lambda m: m.group(1) + '9' * len(m.group(2)), lines[-2])
open(p, 'w').write('\\n'.join(lines))" || fail "editing the sibling's results"
  "$bin" sweep --config s.json --runs sib $args --deadline-s 600 --no-plot >sib.log 2>&1 ||
    { cat sib.log; fail "sweep $args --deadline-s 600 beside a finished sibling: exit $?"; }
  grep -q "1 point(s) not started: expected to end after --deadline-s 600 .*: attention-d8-lr0.01-data" sib.log ||
    { cat sib.log; fail "$args: the point whose finished sibling took 10^5 s or more was not held back"; }
  [ "$(grep -c ' done ' sib.log)" = 2 ] || { cat sib.log; fail "$args: base_conv's two points expected done"; }
done
echo "--deadline-s: a point whose finished sibling took 10^5 s or more is held back, points with no sibling finished start"
# --plan says the same before anything is trained: in the runs directory with the 10^5 s sibling, under --deadline-s
# 600, attention lr 0.01 is held back and base_conv's two points start with no predicted end; nothing is written.
rm -rf plan && mkdir plan && cp -r sib/attention-d8-lr0.003-data plan/ && find plan | sort >plan.before
"$bin" sweep --config s.json --runs plan --workers 1 --runs-per-worker 2 --deadline-s 600 --plan >plan.log 2>&1 ||
  { cat plan.log; fail "sweep --plan: exit $?"; }
grep -q "^| attention-d8-lr0.01-data | [0-9]* | its cell's finished runs | - | held back" plan.log &&
  [ "$(grep -c "^| base_conv-d8-lr[0-9.]*-data | - | nothing known | 0 | unknown" plan.log)" = 2 ] ||
  { cat plan.log; fail "sweep --plan: expected attention lr 0.01 held back and base_conv's two points started"; }
find plan | sort | cmp -s - plan.before || fail "sweep --plan wrote into the runs directory"
echo "--plan: the held-back point and the started ones named, nothing written"
# Cheapest to finish first: all four points cost the same, so the line is in grid order (attention first), except
# that a point whose checkpoint has all but one of its epochs trained goes ahead of the others (the plan's rows are
# the line).
rm -rf resume && mkdir -p resume/base_conv-d8-lr0.01-data/checkpoint
epochs=$(python3 -c "import json; print(json.load(open('s.json'))['base']['epochs'])") || fail "reading the epochs"
printf '{"epochs_done": %d, "step": 9, "results_bytes": 0, "finished": false, "seconds": 1.5, "model": "m.safetensors",
 "optimizer": "o.safetensors", "optimizer_step": 9}\n' $((epochs - 1)) >resume/base_conv-d8-lr0.01-data/checkpoint/state.json
"$bin" sweep --config s.json --runs resume --workers 1 --plan >resume.log 2>&1 || { cat resume.log; fail "sweep --plan: exit $?"; }
line=$(grep -oE '^\| [a-z_]+-d8-lr[0-9.]+-data ' resume.log | tr -d '| ' | paste -sd ' ')
[ "$line" = "base_conv-d8-lr0.01-data attention-d8-lr0.003-data attention-d8-lr0.01-data base_conv-d8-lr0.003-data" ] ||
  { cat resume.log; fail "expected the point $((epochs - 1)) of $epochs epochs in first, then grid order; the line: $line"; }
echo "the line: the point with a checkpoint $((epochs - 1)) of $epochs epochs in first, then the others in grid order"
refused --plan --plan
refused --deadline-s --workers 2 --deadline-s 0
refused --deadline-s --workers 2 --deadline-s -1
refused --deadline-s --deadline-s 5
echo "bad --deadline-s: one line, exit 2, nothing written"
