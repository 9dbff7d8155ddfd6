#!/usr/bin/env bash
# Session 35's sweep call (copy into build-sweep/): both figures' sweeps on every GPU of the machine
# (bench/gpu_sweeps.sh with GPUS = all of them: one Zoology and one Based worker per GPU), resuming the runs whose
# checkpoints were carried in (build-sweep/resume.tar.xz, from the last call of session 34 or later). LIMIT, TAG and
# DEADLINE as in bench/gpu_sweeps.sh; on the last call of the session set DEADLINE to the seconds it has, so that no
# point starts that cannot end (the cut ones come back in $OUT/resume<TAG>.tar.xz.part-*).
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-sweep/carry.tar.xz; }
T=${TAG:-a} G=$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)
echo "GPUs: $G"
CARRY=build-sweep GPUS=$G LIMIT=${LIMIT:-565} TAG=$T ZMATCH='*' BMATCH='*' bash bench/gpu_sweeps.sh
tar xzOf "$OUT/sweeps$T.tgz" "sweeps$T/times.txt"
