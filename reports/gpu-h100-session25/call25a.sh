#!/usr/bin/env bash
# session 25 call A: m-attn (h-attn-tf32 merged into main) at its clean SHA, build in build-gpu/carry.tar.gz.
# Foreground: the checks of the branch and of main's unrun edits (gemm bounds, the modes test); the planted
# softmax_attention_gpu_test (blas_for ignoring the stream's precision) must fail. Background, at the same time: the
# Fig. 2 cells that test the paper's claims (gated convolutions at d 128 for N 64; attention at d 64 for N 128).
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s25a; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
L=${LIMIT:-590}
S=$(( L - 40 - SECONDS ))
mkdir -p runs/zoology-fig2; cp -r reports/zoology-fig2-gpu/runs/. runs/zoology-fig2/
MATCH=(base_conv-d128-lr0.00215443-N64-D4 base_conv-d128-lr0.01-N64-D4 hyena-d128-lr0.00215443-N64-D4
       hyena-d128-lr0.01-N64-D4 h3-d128-lr0.00215443-N64-D4 h3-d128-lr0.01-N64-D4
       attention-d64-lr0.000464159-N128-D8 attention-d64-lr0.00215443-N128-D8)
match=(); for g in "${MATCH[@]}"; do match+=(--match "$g"); done
( timeout -k 5 $S build/bin/menagerie sweep --config train/configs/zoology-fig2.json --runs runs/zoology-fig2 \
    --out $O/zoology --workers 1 --gpus 0 --runs-per-worker 8 "${match[@]}" --deadline-s $(( S - 20 )) --no-plot \
    --no-progress > $O/zoology.log 2>&1; echo "zoology rc=$? at $SECONDS s" >> $O/times.txt ) &
sweep=$!
( while sleep 30; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader >> $O/smi.txt; done ) &
smi=$!
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
fg gemm 60 build/verify/gemm_gpu_test
fg softmax 120 build/verify/softmax_attention_gpu_test
fg softmax-planted 60 build-gpu/softmax_attention_gpu_test_planted --gtest_filter='*ScoresFollow*'
fg conf-softmax 150 build/verify/kernel_conformance_gpu_test --gtest_filter='*softmax_attention*'
fg train-gpu 180 build/verify/train_gpu_test
fg mem 150 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/train_gpu_test --gtest_filter='*TensorCore*'
fg mem-softmax 90 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/softmax_attention_gpu_test --gtest_filter='*ScoresFollow*'
fg verify 120 build/bin/menagerie verify --gpu --only softmax_attention
grep -H "PASSED\|FAILED\|ERROR SUMMARY\|^rc=" $O/*.log > $O/summary.txt
(cd $OUT && tar czf s25a-tests.tgz s25a)
wait $sweep
kill $smi
fin=()
for d in runs/zoology-fig2/*; do
  [ -f "$d/results.jsonl" ] && tail -n 1 "$d/results.jsonl" | grep -q '"final": *true' && fin+=("$d")
done
echo "${#fin[@]} finished run directories" >> $O/times.txt
for g in "${MATCH[@]}"; do [ -f runs/zoology-fig2/$g/results.jsonl ] && { echo "== $g"; tail -n 2 runs/zoology-fig2/$g/results.jsonl; } ; done > $O/cells.txt
cp -r runs/zoology-fig2/.workers $O/zoology-workers 2>/dev/null
tar czf $O/runs.tgz --exclude='*.safetensors' "${fin[@]}"
cd $OUT && rm -f s25a-tests.tgz && tar czf s25a.tgz s25a && rm -rf s25a
