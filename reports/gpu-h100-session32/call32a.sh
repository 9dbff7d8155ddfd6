#!/usr/bin/env bash
# session 32, call a: the full gpu suite at main alone (no sanitizer, at most 330 s), then both sweeps over every
# unfinished point in their plans' order, for the rest of the call.
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
GPU_TESTS=1 TESTS_S=330 LIMIT=565 TAG=a ZMATCH='*' BMATCH='*' bash bench/gpu_sweeps.sh
tail -25 $OUT/sweepsa/gpu-tests.log
