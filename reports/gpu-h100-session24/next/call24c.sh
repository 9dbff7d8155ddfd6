#!/usr/bin/env bash
# session 24 call C: Fig. 2 cells (copy of call23c.sh). Set MATCH to --match globs for the cells that test a claim,
# e.g. MATCH="attention-d64-*-N128-D8 base_conv-d128-*-N64-D4" (globs, space-separated); the runs of reports/*-fig2-gpu/runs
# are copied in first and finished ones come back.
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s24c; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
mkdir -p runs/zoology-fig2 runs/based-fig2-gpu
cp -r reports/zoology-fig2-gpu/runs/. runs/zoology-fig2/
[ -d reports/based-fig2-gpu/runs ] && cp -r reports/based-fig2-gpu/runs/. runs/based-fig2-gpu/
ls runs/zoology-fig2 runs/based-fig2-gpu > $O/runs-before.txt
S=${SWEEP_S:-540}
read -ra globs <<< "${MATCH:-}"   # MATCH: space-separated globs (not expanded here)
match=(); for g in "${globs[@]}"; do match+=(--match "$g"); done
( timeout -k 5 $S build/bin/menagerie sweep --config train/configs/zoology-fig2.json --runs runs/zoology-fig2 --out $O/zoology \
    --workers 1 --gpus 0 --runs-per-worker ${RPW:-8} "${match[@]}" --deadline-s $(( S - 20 )) --no-plot --no-progress > $O/zoology.log 2>&1; echo "zoology rc=$? at $SECONDS s" >> $O/times.txt ) &
pids=($!)
[ "${BASED:-1}" = 1 ] && ( timeout -k 5 $S build/bin/menagerie sweep --config train/configs/based-fig2-gpu.json --runs runs/based-fig2-gpu --out $O/based \
    --workers 1 --gpus 0 --runs-per-worker 4 --deadline-s $(( S - 20 )) --no-plot --no-progress > $O/based.log 2>&1; echo "based rc=$? at $SECONDS s" >> $O/times.txt ) &
[ "${BASED:-1}" = 1 ] && pids+=($!)
( while sleep 30; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader >> $O/smi.txt; done ) &
smi=$!
wait "${pids[@]}"
kill $smi
pkill -f "menagerie sweep" ; sleep 1
fin=()
for d in runs/zoology-fig2/* runs/based-fig2-gpu/*; do
  [ -f "$d/results.jsonl" ] && tail -n 1 "$d/results.jsonl" | grep -q '"final": *true' && fin+=("$d")
done
echo "${#fin[@]} finished run directories" >> $O/times.txt
cp -r runs/zoology-fig2/.workers $O/zoology-workers 2>/dev/null; cp -r runs/based-fig2-gpu/.workers $O/based-workers 2>/dev/null
tar czf $O/runs.tgz --exclude='*.safetensors' "${fin[@]}"
cd $OUT && tar czf s24c.tgz s24c && rm -rf s24c
