#!/bin/bash
# bench/gpu_sweeps.sh carries cut runs across device sessions (the GPU machine is bare at each session's start): the
# checkpoints of the unfinished runs come back in $OUT/resume<TAG>.tar.xz.part-*, and a later call unpacks
# $CARRY/resume.tar.xz into runs/ before its sweeps start. Checked here without a GPU (nvidia-smi a stub; the sweeps
# themselves exit at once: no GPU is visible), in a scratch root holding the script, the configs, the committed
# results and the binary:
#  - a carried-in unfinished run (3 of 64 epochs, 2 MB of incompressible "weights") is unpacked: the sweep's plan
#    takes it first, its expected time from "its own checkpoint";
#  - it comes back whole in the resume parts (each under the device tool's 16 MiB), and it alone: the finished runs
#    copied from reports/ (a checkpoint state, no weights) do not;
#  - with RESUME_MB=1 it does not fit and nothing comes back, saying so;
#  - RESUME_MB=x and GPUS=0,a: one line naming the value, exit 2.
# usage: gpu_sweeps_resume.sh MENAGERIE SOURCE_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp" && mkdir -p root/build/bin root/train root/build-sweep stub carry out1 out2 || exit 1
ln -s "$src/bench" root/bench && ln -s "$src/train/configs" root/train/configs && ln -s "$src/reports" root/reports
ln -s "$bin" root/build/bin/menagerie
printf '#!/bin/sh\necho "GPU 0: stub"\n' >stub/nvidia-smi && chmod +x stub/nvidia-smi
cut=rwkv-d64-lr0.01-N128-D8  # unfinished in reports/zoology-fig2-gpu; the last of its cell in grid order
d=carry/runs/zoology-fig2/$cut && mkdir -p $d/checkpoint
head -c 2000000 /dev/urandom >$d/checkpoint/model-3.safetensors
echo '{"epoch": 3, "final": false}' >$d/results.jsonl
echo '{"epochs_done": 3, "step": 588, "results_bytes": 29, "finished": false, "seconds": 30, "model":
 "model-3.safetensors", "optimizer": "optimizer-3.safetensors", "optimizer_step": 588}' >$d/checkpoint/state.json
(cd carry && tar cJf ../root/build-sweep/resume.tar.xz runs) || fail "packing the carried runs"
run() {  # run OUT [VAR=VALUE...]: one call of bench/gpu_sweeps.sh in the scratch root
  local o=$1; shift
  (cd root && env PATH="$tmp/stub:$PATH" OUT="$tmp/$o" CARRY=build-sweep LIMIT=40 TAG=t ZMATCH='rwkv-d64-*N128*' BMATCH= \
    "$@" bash bench/gpu_sweeps.sh) >"$o.log" 2>&1 || { cat "$o.log"; fail "gpu_sweeps.sh: exit $?"; }
  tar xzf "$o/sweepst.tgz" -C "$o" || fail "$o/sweepst.tgz missing"
}
run out1
first=$(grep -m1 '^| rwkv' out1/sweepst/zoology-plan.md)
[[ "$first" == "| $cut | "*" | its own checkpoint | "* ]] ||
  { cat out1/sweepst/zoology-plan.md; fail "the carried-in run is not first in the plan with its own checkpoint"; }
for p in out1/resumet.tar.xz.part-*; do
  [ -f "$p" ] || fail "no resume parts came back"; [ "$(stat -c %s "$p")" -le $((16 << 20)) ] || fail "$p over 16 MiB"
done
back=$(cat out1/resumet.tar.xz.part-* | tar tJf - | cut -d/ -f3 | sort -u | paste -sd ' ')
cat out1/resumet.tar.xz.part-* | tar tJf - | grep -q "^runs/zoology-fig2/$cut/checkpoint/model-3.safetensors$" &&
  [ "$back" = "$cut" ] || fail "expected $cut alone back with its weights, got the runs: $back"
grep -q "resume: 1 of 1 unfinished runs come back" out1/sweepst/times.txt || { cat out1/sweepst/times.txt; fail "times.txt"; }
echo "carried in, dealt first from its own checkpoint, back out alone (the finished run stays)"
rm -rf root/runs
run out2 RESUME_MB=1
ls out2/resumet.tar.xz.part-* >/dev/null 2>&1 && fail "RESUME_MB=1: a 2 MB checkpoint came back"
grep -q "resume: 0 of 1 unfinished runs come back" out2/sweepst/times.txt || { cat out2/sweepst/times.txt; fail "RESUME_MB=1"; }
echo "RESUME_MB=1: nothing comes back, and times.txt says so"
for bad in RESUME_MB=x GPUS=0,a; do
  msg=$(cd root && env "$bad" OUT="$tmp/out3" bash bench/gpu_sweeps.sh 2>&1); rc=$?
  [ $rc = 2 ] && [ "$(echo "$msg" | wc -l)" = 1 ] && [[ "$msg" == *"$bad"* ]] || fail "$bad: exit $rc, said: $msg"
done
echo "RESUME_MB=x, GPUS=0,a: one line naming the value, exit 2"
