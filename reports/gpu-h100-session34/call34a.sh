#!/usr/bin/env bash
# session 34, call a: does eager module loading (305a77c) stop the 12-run worker's illegal address?
# In session 33 (call33b) the twelve points of the Zoology worker crashed together at 82 s, lazily loaded (CUDA's
# default), after the cuFFT runs (base_conv d 64 N 128 x 4, h3 d 128 N 64) had stalled about 70 s in
# cufftMakePlanMany and cufftExecR2C; each point alone for 9 s and the twelve with blocking launches for 75 s did not
# fault. Here the same twelve together, 170 s each way, on the same machine:
#  A. CUDA_MODULE_LOADING unset (the workers now default to EAGER);   B. CUDA_MODULE_LOADING=LAZY (the control).
# Then the tests whose fix has not run: selective_scan_fast_gpu_test (its baseline's kN pinned to 16) and
# dynamic_smem_gpu_test, 90 s; then the scan's conformance cases under memcheck, verbose (in session 33 that step
# exited 0 after 2 s and its log was lost), 120 s. Everything comes back in one tarball (call33a's 30 files did not
# all come back).
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
export MENAGERIE_REQUIRE_GPU=1 CUDA_HOME=/nonexistent-no-jit
O=/tmp/call34a; mkdir -p "$O"
mark() { echo "$1: exit $2 at $SECONDS s" >> "$O/times.txt"; }
Z=(--config train/configs/zoology-fig2.json --no-plot --no-progress --workers 1 --runs-per-worker 12)
for id in rwkv-d128-lr0.000464159-N64-D4 rwkv-d128-lr0.0001-N64-D4 h3-d128-lr0.0001-N64-D4 \
  base_conv-d64-lr0.00215443-N128-D8 base_conv-d64-lr0.01-N128-D8 base_conv-d64-lr0.000464159-N128-D8 \
  base_conv-d64-lr0.0001-N128-D8 based-d64-lr0.000464159-N128-D8 based-d64-lr0.0001-N128-D8 \
  mamba-d64-lr0.000464159-N128-D8 mamba-d64-lr0.0001-N128-D8 rwkv-d64-lr0.00215443-N128-D8; do Z+=(--match "$id"); done
# The eager pass trains in the sweep's own runs folder (call33b.sh / bench/gpu_sweeps.sh go on from it), the lazy
# control in a scratch folder from the same start.
mkdir -p runs/zoology-fig2 && cp -rn reports/zoology-fig2-gpu/runs/. runs/zoology-fig2/
cp -r runs/zoology-fig2 /tmp/twelve-lazy
for mode in eager lazy; do
  if [ $mode = eager ]; then unset CUDA_MODULE_LOADING; R=runs/zoology-fig2; else export CUDA_MODULE_LOADING=LAZY; R=/tmp/twelve-lazy; fi
  timeout 170 build/bin/menagerie sweep "${Z[@]}" --runs $R --out /tmp/twelve-$mode \
    > "$O/twelve-$mode.log" 2>&1; mark "twelve $mode" $?
  tar czf "$O/twelve-$mode-workers.tgz" -C $R .workers 2>/dev/null
  echo "$mode: $(grep -c ' lost with ' "$O/twelve-$mode.log") lost, $(grep -c ' done after ' "$O/twelve-$mode.log") done," \
    "$(grep -h -m1 'epoch ' $R/.workers/base_conv-d64-lr0.01-N128-D8.log | cut -c1-60)" >> "$O/summary.txt"
done
unset CUDA_MODULE_LOADING
timeout 90 ./menagerie test -R 'selective_scan_fast_gpu_test|dynamic_smem_gpu_test' --output-on-failure \
  > "$O/tests.log" 2>&1; mark tests $?
GTEST_FILTER='*KernelConformance/selective_scan*' timeout 120 ctest --test-dir build \
  -R 'kernel_conformance_gpu_test.sanitizer_memcheck' -V > "$O/memcheck-scan.log" 2>&1; mark memcheck-scan $?
tar czf "$OUT/call34a.tgz" -C /tmp call34a
cat "$O/times.txt" "$O/summary.txt"; grep -E "tests passed|FAILED" "$O/tests.log" | head -8
grep -E "cases, worst|Skipped|SKIPPED|ERROR SUMMARY|tests passed" "$O/memcheck-scan.log" | head -12
for m in eager lazy; do grep -E "lost|context" "$O/twelve-$m.log" | head -3; done
