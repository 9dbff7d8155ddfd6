#!/usr/bin/env bash
# session 26 call B (prepared in session 25): Fig. 2 cells named by MATCH (space-separated ids or globs), sweep only.
# embedding's batched loads, and m-attn: attention's score GEMMs following a tf32 stream), build in
# build-gpu/carry.tar.gz. Foreground: the checks of all three and of main's unrun edits (gemm bounds, the modes test);
# the planted builds must fail: build-gpu/softmax_attention_gpu_test_planted (blas_for ignoring the stream's
# precision) and build-gpu/gemm_gpu_test_planted (bf16 operands truncated instead of rounded). Background, at the
# same time: the Fig. 2 cells that test the paper's claims (gated convolutions at d 128 for N 64; attention at d 64
# for N 128). No timing here (the sweep shares the GPU).
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s26b; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
L=${LIMIT:-590}
S=$(( L - 40 - SECONDS ))
mkdir -p runs/zoology-fig2; cp -r reports/zoology-fig2-gpu/runs/. runs/zoology-fig2/
read -ra MATCH <<< "${MATCH:-hyena-d256-lr0.00215443-N64-D4 hyena-d256-lr0.01-N64-D4}"
match=(); for g in "${MATCH[@]}"; do match+=(--match "$g"); done
( timeout -k 5 $S build/bin/menagerie sweep --config train/configs/zoology-fig2.json --runs runs/zoology-fig2 \
    --out $O/zoology --workers 1 --gpus 0 --runs-per-worker 8 "${match[@]}" --deadline-s $(( S - 20 )) --no-plot \
    --no-progress > $O/zoology.log 2>&1; echo "zoology rc=$? at $SECONDS s" >> $O/times.txt ) &
sweep=$!
( while sleep 30; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader >> $O/smi.txt; done ) &
smi=$!
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
cd $OUT && rm -f s26b-tests.tgz && tar czf s26b.tgz s26b && rm -rf s26b
