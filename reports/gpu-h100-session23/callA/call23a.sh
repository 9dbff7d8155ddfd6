#!/usr/bin/env bash
# session 23 call A (prepared in session 22; carry.tar.gz is h-stepfast at ae17437): the checks that decide h-stepfast,
# then old (main at 551b253) and new train_steps side by side on tt-cmp.json, then ncu of one step.
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s23a; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
gunzip -kf build-gpu/old/*.gz; chmod +x build-gpu/old/train_steps_551b253
M=build/bin/menagerie
END_A=${END_A:-200} LIM=${LIM:-590}
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
san() { local name=$1 tool=$2 mt=$3; shift 3
  ( export MENAGERIE_TEST_TIER=smoke MENAGERIE_GPU_MAX_T=$mt MENAGERIE_SEED=20261207
    fg $name $(( END_A - 5 )) compute-sanitizer --tool $tool --error-exitcode 1 --print-limit 20 --report-api-errors no "$@" ) & }
san race-direct racecheck 256 $M verify --gpu --only long_conv --variant direct_fp32 --repeats 1
san race-ln-emb racecheck 1000 $M verify --gpu --only layer_norm --only embedding --repeats 1
san race-short racecheck 1000 $M verify --gpu --only short_conv --repeats 1
san race-rec racecheck 200 $M verify --gpu --only wkv --only selective_scan --repeats 1
san race-cufft racecheck 1025 $M verify --gpu --only long_conv --variant fft_cufft --repeats 1
san mem-all memcheck 1000 $M verify --gpu --only long_conv --only hyena --only short_conv --only base_conv --only layer_norm --only embedding --only mamba --only wkv --only selective_scan --only h3 --repeats 1
( fg conformance 90 build/verify/kernel_conformance_gpu_test --gtest_filter='*embedding*:*long_conv*:*hyena*:*base_conv*:*layer_norm*:*short_conv*:*mamba*'
  fg scanfast-bits 80 build/verify/selective_scan_fast_gpu_test --gtest_filter='SelectiveScanFast.BitwiseEqualsTheChunkedBaseline'
  fg train-gpu $(( END_A - 5 - SECONDS )) build/verify/train_gpu_test ) &
( fg verify 150 $M verify --gpu --only long_conv --only hyena --only short_conv --only base_conv --only h3 --only layer_norm --only embedding --only mamba --only wkv --only selective_scan --only rwkv ) &
wait
echo "phase A done at $SECONDS s" >> $O/times.txt
grep -H "ERROR SUMMARY\|RACECHECK SUMMARY\|^rc=" $O/*.log > $O/summary.txt 2>&1
fg steps-old 60 build-gpu/old/train_steps_551b253 --config build-gpu/tt-cmp.json --out $O/steps-old.json
fg steps-new 60 build/bench/train_steps --config build-gpu/tt-cmp.json --out $O/steps-new.json
echo "steps done at $SECONDS s" >> $O/times.txt
NCU=$(command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null | head -1)
fg ncu $(( LIM - SECONDS - 8 )) $NCU --metrics gpu__time_duration.sum --print-summary per-kernel build/bench/train_steps --config build-gpu/tt-prof.json --out $O/prof.json
cd $OUT && tar czf s23a.tgz s23a && rm -rf s23a
