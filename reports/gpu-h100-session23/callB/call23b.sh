#!/usr/bin/env bash
# session 23 call B: main at 54dcab0 (h-stepfast merged): train_gpu_test on this build, then bench train (ours + zoology's step)
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s23b; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
timeout 60 build/verify/train_gpu_test > $O/train-gpu.log 2>&1; echo "rc=$? at $SECONDS s" >> $O/train-gpu.log
OUT=$O STEPS=bench-train BENCH_TRAIN_TIMEOUT=$(( 585 - SECONDS )) bash bench/run_gpu.sh > $O/run_gpu.log 2>&1
echo "end at $SECONDS s" >> $O/run_gpu.log
cd $OUT && tar czf s23b.tgz s23b && rm -rf s23b
