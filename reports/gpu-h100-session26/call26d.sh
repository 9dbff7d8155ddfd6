#!/usr/bin/env bash
# session 26 call D (prepared; not run). build-gpu/carry26.tar.gz (branch h-attn-bf16 at 13694d6): the fp32 bench
# train (zoology's fp32 step beside ours, with
# the GEMM floor columns that reports/throughput-train.md of session 23 lacks) for the call's limit (LIMIT).
set -u
tar xzf build-gpu/carry26.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/d; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
L=${LIMIT:-590}
B=$(( L - SECONDS - 130 )); [ $B -lt 40 ] && B=40
timeout $(( L - 8 - SECONDS )) build/bin/menagerie bench train --budget-s $B --out $O/bench-train > $O/bench-fp32.log 2>&1
echo "rc=$? at $SECONDS s" >> $O/bench-fp32.log
cd $OUT && tar czf s26d.tgz d && rm -rf d
