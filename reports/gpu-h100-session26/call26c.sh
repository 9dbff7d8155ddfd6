#!/usr/bin/env bash
# session 26 call C (prepared; the device came for none of the tries). build-gpu/carry26.tar.gz: branch h-attn-bf16
# at 13694d6 (attention's score GEMMs on a bf16 stream round their fp32 operands to bf16; an outgrown bf16 scratch
# is kept for the graphs captured before); build-gpu/old26.tgz: b9e8b81's
# train_steps (those GEMMs pedantic fp32 under bf16); planted: build-gpu/softmax_attention_gpu_test_bf16_as_tf32
# (74065fa, blas_for gives bf16 streams TF32 arithmetic), build-gpu/gemm_gpu_test_scratch_freed (the outgrown
# scratch freed).
# 1. checks: softmax_attention_gpu_test and gemm_gpu_test (all), the planted ones (ScoresFollowTheStreamsPrecision
#    and Bf16GraphsKeepTheirScratchWhenItGrows must fail), train_gpu_test (all), memcheck of the new paths (softmax's
#    ScoresFollow, the gemm test, the planted gemm test, train_gpu_test's bf16 attention rows);
# 2. where the limit leaves time: bf16 attention and sliding_attn steps, b9e8b81's and 13694d6's train_steps; then
#    bench train --precision bf16 --only attention,sliding_attn (13694d6 beside zoology under bf16 autocast);
# 3. Fig. 2 cells (bench/run_gpu.sh's fig2-cells, FIG2_MATCH=$MATCH) for the rest of the call's limit (LIMIT).
set -u
tar xzf build-gpu/carry26.tar.gz; tar xzf build-gpu/old26.tgz -C build-gpu
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/c; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
L=${LIMIT:-590}
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
CS="compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20"
fg softmax 120 build/verify/softmax_attention_gpu_test
fg softmax-planted 60 build-gpu/softmax_attention_gpu_test_bf16_as_tf32 --gtest_filter='*ScoresFollow*'
fg gemm 60 build/verify/gemm_gpu_test
fg gemm-planted 60 build-gpu/gemm_gpu_test_scratch_freed --gtest_filter='*KeepTheirScratch*'
fg train 150 build/verify/train_gpu_test
fg mem-softmax 120 $CS build/verify/softmax_attention_gpu_test --gtest_filter='*ScoresFollow*'
fg mem-gemm 90 $CS build/verify/gemm_gpu_test
fg mem-gemm-planted 60 $CS build-gpu/gemm_gpu_test_scratch_freed --gtest_filter='*KeepTheirScratch*'
fg mem-train 150 $CS build/verify/train_gpu_test --gtest_filter='*Bf16*/conv_mha:*Bf16*/sliding_attn_dropout:*Modes*'
grep -H "PASSED\|FAILED\|ERROR SUMMARY\|^rc=\|stream\|bf16 from" $O/*.log > $O/summary.txt
(cd $OUT && tar czf s26c-checks.tgz c)
left() { echo $(( L - SECONDS )); }
if [ $(left) -gt 200 ]; then
  fg steps-old 80 build-gpu/old/bench/train_steps --config bench/throughput-train.json --out $O/steps-old.json --only attention,sliding_attn --precision bf16
  fg steps-new 80 build/bench/train_steps --config bench/throughput-train.json --out $O/steps-new.json --only attention,sliding_attn --precision bf16
fi
if [ $(left) -gt 150 ]; then
  B=$(( (L - SECONDS) / 3 )); [ $B -gt 120 ] && B=120; [ $B -lt 30 ] && B=30
  fg bench-bf16 $(( B + 90 )) build/bin/menagerie bench train --precision bf16 --only attention,sliding_attn --budget-s $B --out $O/attn-bf16
fi
(cd $OUT && rm -f s26c-checks.tgz && tar czf s26c.tgz c)
F=$(( L - SECONDS - 15 ))
if [ $F -gt 150 ]; then
  OUT=$OUT/fig2 STEPS=fig2-cells FIG2_TIMEOUT=$F FIG2_MATCH="${MATCH:-}" bash bench/run_gpu.sh > $OUT/fig2.txt 2>&1
fi
