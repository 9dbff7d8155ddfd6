#!/usr/bin/env bash
# session 24 call B (h-tf32 working tree, as call A): bench train --precision bf16 (zoology under bf16 autocast).
set -u
grep -q OURS_PRECISION bench/train_report.py || { echo "check out h-tf32 first"; exit 3; }
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s24b; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
timeout 580 build/bin/menagerie bench train --precision bf16 --budget-s 200 --out $O/bench-train-bf16 > $O/bench-bf16.log 2>&1
echo "rc=$? at $SECONDS s" >> $O/bench-bf16.log
cd $OUT && tar czf s24b.tgz s24b && rm -rf s24b
