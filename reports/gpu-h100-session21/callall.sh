#!/usr/bin/env bash
# session 21, one call when one is all the device time allows. Phase A (to END_A s): the checks that decide h-scanfast,
# h-fftfast and h-graphs, `menagerie verify --gpu` over every kernel, with sanitizers over what was never sanitized in
# the background (rwkv step, mamba composed and step, the cluster path, the channel tiles, the pinned scan, memcheck of
# the conv and recurrent families and of the training graphs). Phase B (quiet GPU, to LIM s): `menagerie bench train`
# beside zoology's step (with --graph when the graph tests passed).
set -u
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s21; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
END_A=${END_A:-300} LIM=${LIM:-585}
san() { # name tool max_t command...
  local name=$1 tool=$2 mt=$3; shift 3
  ( export MENAGERIE_TEST_TIER=smoke MENAGERIE_GPU_MAX_T=$mt MENAGERIE_SEED=20261123
    start=$SECONDS
    timeout $(( END_A - SECONDS )) compute-sanitizer --tool $tool --error-exitcode 1 --print-limit 20 --report-api-errors no "$@" > $O/san-$name.log 2>&1
    echo "rc=$? wall=$(( SECONDS - start ))s tool=$tool max_t=$mt: $*" >> $O/san-$name.log ) &
}
M=build/bin/menagerie
san race-rwkv-step racecheck 100 $M verify --gpu --only rwkv --variant step_fp32 --repeats 1
san race-mamba-composed racecheck 100 $M verify --gpu --only mamba --variant composed_fp32 --repeats 1
san race-mamba-step racecheck 100 $M verify --gpu --only mamba --variant step_fp32 --repeats 1
san race-fft-tc racecheck 1025 $M verify --gpu --only long_conv --variant fft_tc_bf16 --repeats 1
san race-tiles racecheck 1000 build/verify/conv_gpu_test --gtest_filter='ConvGpu.LongConvChannelTilesMatchOneChannelKernels'
san race-cluster racecheck 8193 build/verify/conv_gpu_test --gtest_filter='ConvGpu.LongConvClusterSizesMatchTheReference'
san race-scan racecheck 200 $M verify --gpu --only selective_scan --repeats 1
san mem-conv-rec memcheck 1025 $M verify --gpu --only long_conv --only base_conv --only hyena --only h3 --only selective_scan --only mamba --only rwkv --repeats 1
san mem-graphs memcheck 200 build/verify/train_gpu_test --gtest_filter='*GpuBackendGraph*'
fg() { # name limit command...
  local name=$1 lim=$2; shift 2
  timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log
}
lane1() {
  fg scanfast-bits 80 build/verify/selective_scan_fast_gpu_test --gtest_filter='SelectiveScanFast.BitwiseEqualsTheChunkedBaseline'
  fg train-graph 90 build/verify/train_gpu_test --gtest_filter='*GpuBackendGraph*'
  fg conv-gpu $(( END_A - 5 - SECONDS )) build/verify/conv_gpu_test
}
lane2() {
  fg verify-gpu 200 $M verify --gpu --report $O/verify
  fg train-gpu $(( END_A - 5 - SECONDS )) build/verify/train_gpu_test --gtest_filter='-*GpuBackendGraph*'
}
lane1 & lane2 &
wait
echo "phase A done at $SECONDS s" >> $O/times.txt
grep -H "ERROR SUMMARY\|RACECHECK SUMMARY\|^rc=" $O/san-*.log > $O/san-summary.txt 2>&1
G=""; grep -q "\[  PASSED  \] 11 tests" $O/train-graph.log && ! grep -q "FAILED" $O/train-graph.log && G="--graph"
echo "bench train ${G:-without --graph} from $SECONDS s" >> $O/times.txt
timeout $(( LIM - SECONDS )) $M bench train $G --budget-s $(( LIM - SECONDS - 150 )) --out $O/bench-train > $O/bench-train.log 2>&1
echo "bench train rc=$? at $SECONDS s" >> $O/times.txt
cd $OUT && tar czf s21.tgz s21 && rm -rf s21
