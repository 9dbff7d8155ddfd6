#!/usr/bin/env bash
# session 33, call b (then c, d with TAG=c ...): the sweeps go on from the last call's checkpoints on the same warm
# machine; beside them (RACECHECK=1), quadratic's racecheck on linear_attention's conformance cases at T <= 96
# (MENAGERIE_GPU_MAX_T; 200 by default under the sanitizers, where it ran past 250-500 s in sessions 28, 29 and 32;
# two 64-token tiles still meet at 96).
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
if [ "${RACECHECK:-0}" = 1 ]; then
  mkdir -p "$OUT/racecheck"
  ( GTEST_FILTER='*KernelConformance/linear_attention*' MENAGERIE_GPU_MAX_T=96 MENAGERIE_REQUIRE_GPU=1 timeout 500 \
      ctest --test-dir build -R 'kernel_conformance_gpu_test.sanitizer_racecheck' --output-on-failure
    echo "racecheck exit $? at $SECONDS s" ) > "$OUT/racecheck/racecheck.log" 2>&1 &
fi
LIMIT=${LIMIT:-565} TAG=${TAG:-b} ZMATCH='*' BMATCH='*' bash bench/gpu_sweeps.sh
wait
[ -f "$OUT/racecheck/racecheck.log" ] && tail -8 "$OUT/racecheck/racecheck.log"
