#!/bin/bash
# `menagerie sweep` on a real Slurm (ctest slurm_sweep, label cpu): starts a single-node cluster in a temp dir
# (verify/slurm_cluster.sh) and runs verify/fixtures/slurm/sweep.json (4 tiny CPU points, threads 1) as a job array:
#   - a serial `menagerie sweep` of the same config into another directory gives the reference CSV;
#   - `--slurm --array-parallelism 2` submits one array task per point (the script's #SBATCH --array=0-3%2);
#   - point 3 is made to fail (its results.jsonl is a directory): --status says failed, with its log's last lines;
#   - point 0 is cancelled with scancel once its first checkpoint exists, after a second trainer of that point
#     (`--point`, run here) has found it owned by the task and left it alone; --status says it stopped;
#   - point 3 is repaired, `--resubmit` submits exactly points 0 and 3 and prints point 3's failure;
#   - at the end --status shows every point done, --resubmit has nothing left (exit 2), the cancelled point's results
#     equal the serial run's line for line (wall-clock fields aside) and the CSV equals the serial CSV byte for byte.
# Exits 77 (skipped) with one line saying why where Slurm or munge is missing, not root, or the daemons do not come up.
# Usage: slurm_sweep.sh MENAGERIE_BINARY SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
config=$src/verify/fixtures/slurm/sweep.json
tmp=$(mktemp -d /tmp/menagerie-slurm.XXXXXX)
. "$src/verify/slurm_cluster.sh"
trap 'slurm_cluster_stop "$tmp/cluster"; rm -rf "$tmp"' EXIT
start=$(date +%s)
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
sweep() { "$bin" sweep --config "$config" --runs "$tmp/runs" --no-plot "$@"; }
# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s
wait_for() {
  local seconds=$1 what=$2 i
  shift 2
  for i in $(seq $((seconds * 5))); do "$@" && return 0; sleep 0.2; done
  fail "timed out after ${seconds} s waiting for $what"
}
re() { printf '%s' "$1" | sed 's/[.+*]/\\&/g'; }  # a point id as a literal in an extended regex
queue_empty() { [ -z "$(squeue -h -r -j "$1" 2>/dev/null)" ]; }
task_gone() { [ -z "$(squeue -h -r -o %i 2>/dev/null | grep -x "$1")" ]; }

mkdir -p "$tmp/cluster"
if ! slurm_cluster_start "$tmp/cluster"; then echo "skip: $slurm_cluster_why"; exit 77; fi
ok "single-node Slurm up: $(sinfo -h -o '%N %c CPUs %T')"

"$bin" sweep --config "$config" --runs "$tmp/serial" --no-plot --no-progress >"$tmp/serial.log" 2>&1 ||
  { cat "$tmp/serial.log"; fail "serial sweep"; }
mapfile -t points < <(python3 -c "
import csv
for r in csv.DictReader(open('$tmp/serial/slurm-test.csv')):
    print(f\"{r['mixer']}-d{r['d_model']}-lr{float(r['lr']):g}-data\")")
[ ${#points[@]} -eq 4 ] || fail "expected 4 points in the serial CSV, got ${#points[@]}"
ok "serial sweep: ${points[*]}"
victim=${points[0]} broken=${points[3]}

mkdir -p "$tmp/runs/$broken/results.jsonl/x"  # the failure: a run whose results file is a directory
sweep --slurm --array-parallelism 2 >"$tmp/submit.log" 2>&1 || { cat "$tmp/submit.log"; fail "--slurm"; }
job=$(sed -n 's/^submitted job \([0-9]*\):.*/\1/p' "$tmp/submit.log")
[ -n "$job" ] || { cat "$tmp/submit.log"; fail "no job id in the --slurm output"; }
grep -qx '#SBATCH --array=0-3%2' "$tmp/runs/slurm/1/job.sbatch" || fail "job.sbatch lacks #SBATCH --array=0-3%2"
ok "submitted job $job: $(grep -c "^  ${job}_" "$tmp/submit.log") array tasks"

wait_for 120 "the first checkpoint of $victim" test -s "$tmp/runs/$victim/checkpoint/state.json"
"$bin" sweep --config "$config" --runs "$tmp/runs" --no-plot --point "$victim" >"$tmp/second.log" 2>&1 ||
  { cat "$tmp/second.log"; fail "second trainer of $victim"; }
grep -Eq "^$(re "$victim"): being trained by another process (.*slurm job ${job}_0)" "$tmp/second.log" ||
  { cat "$tmp/second.log"; fail "a second trainer of $victim did not find it owned by task ${job}_0"; }
ok "a second trainer of $victim left it to its owner: $(head -n 1 "$tmp/second.log")"
scancel "${job}_0"
wait_for 30 "task ${job}_0 to leave the queue" task_gone "${job}_0"
python3 -c "
import json, sys
lines = [json.loads(l) for l in open('$tmp/runs/$victim/results.jsonl')]
sys.exit(0 if lines and not lines[-1].get('final') else 1)" ||
  fail "$victim finished before scancel came (make verify/fixtures/slurm/sweep.json longer)"
ok "scancel ${job}_0 after $(wc -l <"$tmp/runs/$victim/results.jsonl") epochs"

wait_for 300 "job $job to finish" queue_empty "$job"
sweep --status >"$tmp/status1.log" 2>&1 || { cat "$tmp/status1.log"; fail "--status"; }
grep -Eq "^$(re "$victim") +stopped" "$tmp/status1.log" || { cat "$tmp/status1.log"; fail "--status: $victim not stopped"; }
grep -Eq "^$(re "$broken") +failed" "$tmp/status1.log" || { cat "$tmp/status1.log"; fail "--status: $broken not failed"; }
grep -q "^  | .*results.jsonl" "$tmp/status1.log" ||
  { cat "$tmp/status1.log"; fail "--status: no log lines naming results.jsonl for $broken"; }
for p in "${points[@]:1:2}"; do
  grep -Eq "^$(re "$p") +done +[0-9]+ +[01]\.[0-9]+ +[^ ]+ +${job}_[12]$" "$tmp/status1.log" ||
    { cat "$tmp/status1.log"; fail "--status: $p not done by task ${job}_1 or _2"; }
done
ok "--status after the first job: $(tail -n +1 "$tmp/status1.log" | grep -E '^[0-9]+ done')"

rm -r "$tmp/runs/$broken/results.jsonl" || fail "the broken results directory went away"
sweep --resubmit >"$tmp/resubmit.log" 2>&1 || { cat "$tmp/resubmit.log"; fail "--resubmit"; }
job2=$(sed -n 's/^submitted job \([0-9]*\):.*/\1/p' "$tmp/resubmit.log")
resubmitted=$(sed -n "s/^  ${job2}_[0-9]* //p" "$tmp/resubmit.log" | sort | tr '\n' ' ')
[ "$resubmitted" = "$(printf '%s\n' "$victim" "$broken" | sort | tr '\n' ' ')" ] ||
  { cat "$tmp/resubmit.log"; fail "--resubmit submitted '$resubmitted', expected $victim and $broken"; }
grep -Eq "^$(re "$broken") failed" "$tmp/resubmit.log" || { cat "$tmp/resubmit.log"; fail "--resubmit did not report $broken"; }
ok "--resubmit: job $job2 with $resubmitted"
wait_for 300 "job $job2 to finish" queue_empty "$job2"

sweep --status >"$tmp/status2.log" 2>&1 || { cat "$tmp/status2.log"; fail "--status"; }
for p in "${points[@]}"; do
  grep -Eq "^$(re "$p") +done " "$tmp/status2.log" || { cat "$tmp/status2.log"; fail "--status: $p not done at the end"; }
done
grep -q "^4 done, 0 queued or running, 0 stopped, 0 failed, 0 not submitted$" "$tmp/status2.log" ||
  { cat "$tmp/status2.log"; fail "--status summary"; }
ok "--status at the end: every point done"
sweep --resubmit >"$tmp/again.log" 2>&1
[ $? -eq 2 ] && grep -q "nothing to resubmit" "$tmp/again.log" || { cat "$tmp/again.log"; fail "--resubmit when all done"; }

python3 - "$tmp/serial/$victim/results.jsonl" "$tmp/runs/$victim/results.jsonl" <<'PY' || fail "results of $victim differ"
import json, sys
wall = ("seconds", "tokens_per_s")
a, b = ([{k: v for k, v in json.loads(l).items() if not any(w in k for w in wall)} for l in open(p)] for p in sys.argv[1:])
if a != b:
    sys.exit(f"{len(a)} serial lines, {len(b)} resumed lines; first difference: {next((x, y) for x, y in zip(a, b) if x != y) if len(a) == len(b) else ''}")
PY
ok "$victim, cancelled and resumed: the serial run's $(wc -l <"$tmp/runs/$victim/results.jsonl") results lines"
cmp "$tmp/serial/slurm-test.csv" "$tmp/runs/slurm-test.csv" ||
  { diff "$tmp/serial/slurm-test.csv" "$tmp/runs/slurm-test.csv"; fail "the Slurm sweep's CSV differs from the serial one"; }
ok "CSV = the serial sweep's, byte for byte"
echo "slurm sweep: passed in $(( $(date +%s) - start )) s"
