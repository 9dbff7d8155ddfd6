#!/usr/bin/env bash
# session 22 call B: menagerie bench recurrent on a quiet GPU (reports/throughput-recurrent.md).
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s22b; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
MENAGERIE_RECURRENT_PEER_BUDGET_S=${PEER_S:-85} timeout ${LIM:-585} build/bin/menagerie bench recurrent --out $O/bench-recurrent > $O/bench-recurrent.log 2>&1
echo "bench recurrent rc=$? at $SECONDS s" >> $O/times.txt
cd $OUT && tar czf s22b.tgz s22b && rm -rf s22b
