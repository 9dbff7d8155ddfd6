#!/usr/bin/env bash
# bench/run_gpu.sh [BUILD_DIR]: what issue 7 needs from the GPU machine, in one call, logs under $OUT:
#   ctest-gpu.log        the attention gpu tests (MENAGERIE_REQUIRE_GPU=1: a missing GPU fails)
#   attention_bench.json the harness (bench/attention_bench.cpp), bench.log its console
#   attention_torch.json the PyTorch peers (bench/attention_torch.py), same shapes, same machine, same call
#   ctest-sanitizer.log  compute-sanitizer memcheck and racecheck over the attention gpu tests (T <= 300)
# Each step has its own time limit so that one slow step cannot starve the others.
set -u
bdir=${1:-build-gpu}
out=${OUT:-/tmp/menagerie-gpu}
mkdir -p "$out"
root=$(pwd)
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >"$out/nvidia-smi.txt" 2>&1
export MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
tests='^(softmax_attention_gpu_test|linear_attention_gpu_test)\.'
(cd "$bdir" && timeout 170 ctest -R "$tests" -E sanitizer --output-on-failure) >"$out/ctest-gpu.log" 2>&1
echo "gpu tests: $(grep -E 'tests passed' "$out/ctest-gpu.log")"
timeout 130 "$bdir/bench/attention_bench" --benchmark_out="$out/attention_bench.json" \
  --benchmark_out_format=json >"$out/bench.log" 2>&1
echo "bench rc $?"
timeout 100 python3 "$root/bench/attention_torch.py" --out "$out/attention_torch.json" >"$out/torch.log" 2>&1
echo "torch rc $?"
(cd "$bdir" && MENAGERIE_ATTENTION_MAX_T=300 timeout 140 ctest -R "${tests%\\.}\.sanitizer" --output-on-failure) \
  >"$out/ctest-sanitizer.log" 2>&1
echo "sanitizer: $(grep -E 'tests passed' "$out/ctest-sanitizer.log")"
