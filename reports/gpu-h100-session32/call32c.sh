#!/usr/bin/env bash
# session 32, call c: the sweeps go on from call b's checkpoints for what device time is left (LIMIT).
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
LIMIT=${LIMIT:-560} TAG=c ZMATCH='*' BMATCH='*' bash bench/gpu_sweeps.sh
