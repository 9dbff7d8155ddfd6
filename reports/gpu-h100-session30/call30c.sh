#!/usr/bin/env bash
# session 30, call c: the training step beside zoology's at bf16 (attention's products now bf16, 891b8ee)
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
export CUDA_HOME=/nonexistent-no-jit PYTHONUNBUFFERED=1 MENAGERIE_REQUIRE_GPU=1
nvidia-smi -L > $OUT/gpu.txt
( time build/bin/menagerie bench train --precision bf16 --out $OUT/bench-train-bf16 --budget-s 225 ) > $OUT/bench-train-bf16.log 2>&1
tail -15 $OUT/bench-train-bf16.log
