#!/usr/bin/env bash
# session 25 call B: h-bf16 (true bf16 GEMMs, the embedding's batched loads; contains m-attn) at its clean SHA, build
# in build-gpu/carry.tar.gz; build-gpu/old-ff4.tgz holds ff4a4a2's train_steps (attention's score GEMMs in pedantic
# fp32 on tf32 streams, the embedding backward's one load per addition).
# 1. checks of the bf16 GEMMs (gemm_gpu_test, train_gpu_test's tensor-core cases, memcheck) and of the embedding
#    (conformance, memcheck); the planted gemm_gpu_test (bf16 operands truncated instead of rounded) must fail;
#    then fp32 base_conv and hyena steps, ff4a4a2's against this build's, alternating (the embedding's change);
# 2. attention and sliding_attn under tf32, ours with the score GEMMs in tf32 beside ff4a4a2's (fp32 scores) and
#    zoology under allow_tf32, all in this run;
# 3. bench train --precision bf16 for the rest of the call's limit (LIMIT).
set -u
tar xzf build-gpu/carry.tar.gz; tar xzf build-gpu/old-ff4.tgz -C build-gpu
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s25b; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
L=${LIMIT:-590}
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
fg gemm 60 build/verify/gemm_gpu_test
[ -x build-gpu/gemm_gpu_test_planted ] && fg gemm-planted 60 build-gpu/gemm_gpu_test_planted --gtest_filter='*Bf16*:*TensorCore*'
fg train-tc 150 build/verify/train_gpu_test --gtest_filter='*TensorCore*'
fg mem 120 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/train_gpu_test --gtest_filter='*TensorCore*/conv_mha:*TensorCore*/base_conv:*TensorCore*/mamba'
fg mem-gemm 60 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/gemm_gpu_test
fg conf-emb 90 build/verify/kernel_conformance_gpu_test --gtest_filter='*embedding*'
fg mem-emb 90 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/kernel_conformance_gpu_test --gtest_filter='*embedding*'
grep -H "PASSED\|FAILED\|ERROR SUMMARY\|^rc=\|relerr\|worst" $O/*.log > $O/summary.txt
(cd $OUT && tar czf s25b-tests.tgz s25b)
mkdir -p $OUT/b
for k in 1 2; do
  fg emb-old$k 60 build-gpu/old-ff4/train_steps --config bench/throughput-train.json --out $OUT/b/emb-old$k.json --only base_conv,hyena
  fg emb-new$k 60 build/bench/train_steps --config bench/throughput-train.json --out $OUT/b/emb-new$k.json --only base_conv,hyena
done
fg old-attn 90 build-gpu/old-ff4/train_steps --config bench/throughput-train.json --out $OUT/b/old-attn-tf32.json --only attention,sliding_attn --precision tf32
B=$(( (L - SECONDS) / 3 )); [ $B -gt 150 ] && B=150
fg bench-attn $(( B + 100 )) build/bin/menagerie bench train --precision tf32 --only attention,sliding_attn --budget-s $B --out $OUT/b/attn-tf32
echo "bf16 bench from $SECONDS s (limit $L)" >> $O/summary.txt
B=$(( L - SECONDS - 120 )); [ $B -lt 30 ] && B=30
fg bench-bf16 $(( L - 8 - SECONDS )) build/bin/menagerie bench train --precision bf16 --budget-s $B --out $OUT/b/bf16
mv $O/*.log $OUT/b/ 2>/dev/null; cp $O/summary.txt $OUT/b/
cd $OUT && tar czf s25b-bench.tgz b && rm -rf b s25b
