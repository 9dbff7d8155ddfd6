#!/usr/bin/env bash
# session 25 call D: timings only, on the build of call C (h-bf16, clean SHA; build-gpu/carry.tar.gz) beside
# build-gpu/old-ff4.tgz's train_steps (ff4a4a2: attention's score GEMMs in pedantic fp32 on tf32 streams, the
# embedding backward's one load per addition), all in this run:
# 1. fp32 base_conv and hyena steps, ff4a4a2's and this build's, alternating twice (the embedding's change);
# 2. attention and sliding_attn under tf32: ff4a4a2's steps, then bench train --precision tf32 (this build's steps
#    beside zoology under allow_tf32);
# 3. bench train --precision bf16 for the rest of the call's limit (LIMIT).
set -u
tar xzf build-gpu/carry.tar.gz; tar xzf build-gpu/old-ff4.tgz -C build-gpu
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/b; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
L=${LIMIT:-590}
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
for k in 1 2; do
  fg emb-old$k 60 build-gpu/old-ff4/train_steps --config bench/throughput-train.json --out $O/emb-old$k.json --only base_conv,hyena
  fg emb-new$k 60 build/bench/train_steps --config bench/throughput-train.json --out $O/emb-new$k.json --only base_conv,hyena
done
fg old-attn 90 build-gpu/old-ff4/train_steps --config bench/throughput-train.json --out $O/old-attn-tf32.json --only attention,sliding_attn --precision tf32
B=$(( (L - SECONDS) / 3 )); [ $B -gt 120 ] && B=120
fg bench-attn $(( B + 90 )) build/bin/menagerie bench train --precision tf32 --only attention,sliding_attn --budget-s $B --out $O/attn-tf32
(cd $OUT && tar czf s25d-1.tgz b)
B=$(( L - SECONDS - 120 )); [ $B -lt 30 ] && B=30
fg bench-bf16 $(( L - 8 - SECONDS )) build/bin/menagerie bench train --precision bf16 --budget-s $B --out $O/bf16
cd $OUT && rm -f s25d-1.tgz && tar czf s25d.tgz b && rm -rf b
