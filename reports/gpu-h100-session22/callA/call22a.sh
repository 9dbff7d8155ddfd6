#!/usr/bin/env bash
# session 22 call A. Phase A (to END_A s, sanitizers beside): the checks that decide h-directdh (long_conv direct_fp32's
# dh by blocks) and 551b253 (embedding backward in chunks, position gradient by lanes): verify --gpu of the conv family
# and the embedding, conformance, the planted-bug conformance binary (must FAIL), train_gpu_test (GPU against the CPU
# reference, 20 steps per mixer). Phase B (quiet GPU): old (634ef17) and new train_steps side by side on 16 rows,
# then bench conv, then ncu's per-kernel times of one training step if time is left.
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s22a; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
gunzip -k build-gpu/old/*.gz; chmod +x build-gpu/old/train_steps_634ef17 build-gpu/old/conformance_mutant
M=build/bin/menagerie
END_A=${END_A:-170} LIM=${LIM:-590}
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
san() { local name=$1 tool=$2 mt=$3; shift 3
  ( export MENAGERIE_TEST_TIER=smoke MENAGERIE_GPU_MAX_T=$mt MENAGERIE_SEED=20261206
    fg $name $(( END_A - 5 )) compute-sanitizer --tool $tool --error-exitcode 1 --print-limit 20 --report-api-errors no "$@" ) & }
san race-direct racecheck 200 $M verify --gpu --only long_conv --variant direct_fp32 --repeats 1
san race-embedding racecheck 1000 $M verify --gpu --only embedding --repeats 1
san mem-direct-emb memcheck 1000 $M verify --gpu --only long_conv --only hyena --only embedding --repeats 1
( fg conformance 60 build/verify/kernel_conformance_gpu_test --gtest_filter='*embedding*:*long_conv*:*hyena*:*base_conv*'
  fg mutant 30 build-gpu/old/conformance_mutant --gtest_filter='*embedding*'
  fg train-gpu $(( END_A - 5 - SECONDS )) build/verify/train_gpu_test ) &
( fg verify-conv-emb 120 $M verify --gpu --only long_conv --only hyena --only base_conv --only h3 --only embedding ) &
wait
echo "phase A done at $SECONDS s" >> $O/times.txt
grep -H "ERROR SUMMARY\|RACECHECK SUMMARY\|^rc=" $O/*.log > $O/summary.txt 2>&1
fg steps-old 60 build-gpu/old/train_steps_634ef17 --config build-gpu/tt-cmp.json --out $O/steps-old.json
fg steps-new 60 build/bench/train_steps --config build-gpu/tt-cmp.json --out $O/steps-new.json
echo "steps done at $SECONDS s" >> $O/times.txt
timeout $(( LIM - 60 - SECONDS )) $M bench conv --out $O/bench-conv > $O/bench-conv.log 2>&1
echo "bench conv rc=$? at $SECONDS s" >> $O/times.txt
NCU=$(command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null | head -1)
[ $(( LIM - SECONDS )) -gt 25 ] && fg ncu $(( LIM - SECONDS - 8 )) $NCU --metrics gpu__time_duration.sum --print-summary per-kernel build/bench/train_steps --config build-gpu/tt-prof.json --out $O/prof.json
cd $OUT && tar czf s22a.tgz s22a && rm -rf s22a
