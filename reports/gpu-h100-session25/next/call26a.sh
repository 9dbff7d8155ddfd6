#!/usr/bin/env bash
# session 26 call A (prepared in session 25): main's head, build in build-gpu/carry.tar.gz (with
# softmax_attention_gpu_test and build-gpu/softmax_attention_gpu_test_planted); the attention check at T 512, then
# the fp32 bench train with the GEMM floor for the rest of the call's limit (LIMIT).
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s26a; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
L=${LIMIT:-590}
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
fg softmax 120 build/verify/softmax_attention_gpu_test
fg softmax-planted 60 build-gpu/softmax_attention_gpu_test_planted --gtest_filter='*ScoresFollow*'
fg mem-emb 90 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/kernel_conformance_gpu_test --gtest_filter='*embedding*'
grep -H "PASSED\|FAILED\|ERROR SUMMARY\|^rc=\|tf32 stream" $O/*.log > $O/summary.txt
(cd $OUT && tar czf s26a-tests.tgz s26a)
B=$(( L - SECONDS - 130 )); [ $B -lt 40 ] && B=40
mkdir -p $OUT/b; fg bench-fp32 $(( L - 8 - SECONDS )) build/bin/menagerie bench train --budget-s $B --out $OUT/b/bench-train
mv $O/bench-fp32.log $OUT/b/; cd $OUT && tar czf s26a-bench.tgz b && rm -rf s26a b
