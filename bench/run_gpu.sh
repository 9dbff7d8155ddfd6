#!/usr/bin/env bash
# bench/run_gpu.sh [BUILD_DIR]: what issue 7 needs from the GPU machine, in one call, logs under $OUT:
#   gtest-gpu.log        the gpu test binaries (core's and the attention kernels'), run directly (this machine's cmake cannot run the
#                        build's gtest discovery scripts), MENAGERIE_REQUIRE_GPU=1: a missing GPU fails
#   attention_bench.json the harness (bench/attention_bench.cpp), bench.log its console
#   attention_torch.json the PyTorch peers (bench/attention_torch.py), same shapes, same machine, same call
#   sanitizer.log        cmake/run_sanitized.sh (what ctest's sanitizer tests run) memcheck and racecheck over
#                        both binaries with MENAGERIE_ATTENTION_MAX_T=200 (40 for linear attention: chunk
#                        boundaries 31, 32, 33 stay in); SKIP_BENCH=1 leaves out the two timing steps;
#                        BENCH_TIMEOUT, SANITIZER_TIMEOUT (s) bound the harness and each sanitizer step
# Each step has its own time limit so that one slow step cannot starve the others.
set -u
bdir=${1:-build-gpu}
out=${OUT:-/tmp/menagerie-gpu}
mkdir -p "$out"
root=$(pwd)
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >"$out/nvidia-smi.txt" 2>&1
export MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
rc_all=0
for t in philox_gpu_test cuda_check_gpu_test device_buffer_gpu_test softmax_attention_gpu_test linear_attention_gpu_test; do
  echo "=== $t" >>"$out/gtest-gpu.log"
  timeout 150 "$bdir/verify/$t" >>"$out/gtest-gpu.log" 2>&1; rc=$?
  echo "=== $t exit status $rc" >>"$out/gtest-gpu.log"; echo "$t: exit $rc"; [ $rc = 0 ] || rc_all=1
done
grep -E "^\[  (PASSED|FAILED) |tests? ran|FAIL$" "$out/gtest-gpu.log" | head -40
if [ "${SKIP_BENCH:-0}" != 1 ]; then
timeout ${BENCH_TIMEOUT:-150} "$bdir/bench/attention_bench" --benchmark_out="$out/attention_bench.json" \
  --benchmark_out_format=json >"$out/bench.log" 2>&1
echo "bench rc $?"
timeout 100 python3 "$root/bench/attention_torch.py" --out "$out/attention_torch.json" >"$out/torch.log" 2>&1
echo "torch rc $?"
fi
for t in softmax_attention_gpu_test linear_attention_gpu_test; do
  for tool in memcheck racecheck; do
    echo "=== $tool $t" >>"$out/sanitizer.log"
    cap=200; [ $t = linear_attention_gpu_test ] && cap=40
    MENAGERIE_ATTENTION_MAX_T=$cap timeout ${SANITIZER_TIMEOUT:-120} "$root/cmake/run_sanitized.sh" $tool "$bdir/verify/$t" \
      >>"$out/sanitizer.log" 2>&1
    rc=$?; echo "=== $tool $t exit status $rc" >>"$out/sanitizer.log"; echo "$tool $t: exit $rc"
  done
done
grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$out/sanitizer.log"
exit $rc_all
