#!/usr/bin/env bash
# Session 35, call a (copy into build-gpu/, carry build-gpu): for a session with one call's worth of device time left.
# First the tests whose fix has not run on a GPU (selective_scan_fast_gpu_test: the chunked baseline's kN pinned to
# 16, af4c9b9; dynamic_smem_gpu_test), 90 s at most; then both figures' sweeps for the rest of the call, their
# workers loading CUDA modules eagerly (the default since 305a77c): twelve Zoology runs at once, the worker whose
# context was lost at 82 s in session 33 when loading lazily. The unfinished runs' checkpoints come back as
# resume-parts (bench/gpu_sweeps.sh).
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
TESTS_R='selective_scan_fast_gpu_test|dynamic_smem_gpu_test' TESTS_S=90 LIMIT=${LIMIT:-570} TAG=${TAG:-a} \
  ZMATCH='*' BMATCH='*' bash bench/gpu_sweeps.sh
T=${TAG:-a}; tar xzOf "$OUT/sweeps$T.tgz" "sweeps$T/times.txt"
tar xzOf "$OUT/sweeps$T.tgz" "sweeps$T/gpu-tests.log" | grep -E "tests passed|FAILED|Failed" | head -8
tar xzOf "$OUT/sweeps$T.tgz" "sweeps$T/zoology.log" | grep -E "lost|context|FAILED" | head -5
