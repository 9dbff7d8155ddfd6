#!/usr/bin/env bash
# session 32, call b: quadratic's racecheck (linear_attention conformance cases) beside the sweeps, which resume the
# runs cut off at call a's end from their last checkpoint.
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
mkdir -p $OUT/racecheck
( GTEST_FILTER='*KernelConformance/linear_attention*' MENAGERIE_REQUIRE_GPU=1 timeout 500 ctest --test-dir build -R 'kernel_conformance_gpu_test.sanitizer_racecheck' --output-on-failure; echo "racecheck exit $? at $SECONDS s" ) > $OUT/racecheck/racecheck.log 2>&1 &
LIMIT=${LIMIT:-565} TAG=b ZMATCH='*' BMATCH='*' bash bench/gpu_sweeps.sh
wait
tail -8 $OUT/racecheck/racecheck.log
