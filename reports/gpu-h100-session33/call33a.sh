#!/usr/bin/env bash
# session 33, call a: session 32's crash (every run of the Zoology worker failed with cudaErrorIllegalAddress within
# 4-9 s, three calls running), looked for from three sides, then the sweeps.
#  1. The tests of what changed since: dynamic_smem_gpu_test (new), kernel conformance (the launchers now allow their
#     shared memory through cuda::allow_dynamic_smem; the selective scan's N = 17, 24, 32), recurrent_gpu_test and
#     selective_scan_fast_gpu_test (the scan's kN = 16 code must keep its bits), train_gpu_test; alone, 200 s at most.
#  2. based d 64 at N 128 alone under compute-sanitizer memcheck (120 s): the first suspect, the only point of the
#     twelve whose kernels changed since its cell last trained (Based takes linear_attention quadratic at T <= 512
#     since 37759fb; B 512, T 128 here). memcheck names the kernel and the address of the first invalid access.
#  3. The twelve points of that worker together with CUDA_LAUNCH_BLOCKING=1 (75 s): each launch then waits, so the
#     first error is raised by the faulting kernel's own launch check, in its own run's log.
#  4. compute-sanitizer memcheck on the selective scan's conformance cases (N up to 32 is new), 100 s at most.
#  1b. Plants (build-gpu/plant): dynamic_smem_gpu_test with the raise-only check removed must fail; the conformance
#      test with the scan's kN = 32 forward stopped after state 16 must fail at N = 17, 24, 32 only.
#  5. The sweeps for what is left of the call: a lost context now sends the points lost with it to a fresh worker,
#     one at a time (3fb174a), so the culprit fails alone and the others train.
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
export MENAGERIE_REQUIRE_GPU=1 CUDA_HOME=/nonexistent-no-jit
O=$OUT/hunt; mkdir -p "$O"
mark() { echo "$1: exit $2 at $SECONDS s" >> "$O/times.txt"; }
R='dynamic_smem_gpu_test|kernel_conformance_gpu_test|recurrent_gpu_test|selective_scan_fast_gpu_test|train_gpu_test'
timeout 200 ./menagerie test -R "$R" -LE sanitizer --output-on-failure > "$O/tests.log" 2>&1; mark tests $?
# the plant: allow_dynamic_smem setting the limit to each call's size (its raise-only check removed); must fail
xz -dc build-gpu/plant/dynamic_smem_gpu_test.set_every_call.xz > /tmp/plant-smem && chmod +x /tmp/plant-smem
timeout 60 /tmp/plant-smem > "$O/plant-dynamic-smem.log" 2>&1; mark plant-dynamic-smem $?
# the plant: the scan's kN = 32 forward stops after state 16; N = 17, 24, 32 must fail, N <= 16 pass
xz -dc build-gpu/plant/kernel_conformance_gpu_test.scan_first16.xz > /tmp/plant-scan && chmod +x /tmp/plant-scan
timeout 90 /tmp/plant-scan --gtest_filter='*KernelConformance/selective_scan*' > "$O/plant-scan.log" 2>&1
mark plant-scan $?; grep -E "^\[  (FAILED|PASSED) " "$O/plant-scan.log" | head -30 > "$O/plant-scan-verdicts.txt"
Z=(--config train/configs/zoology-fig2.json --no-plot --no-progress)
timeout 120 compute-sanitizer --tool memcheck --print-limit 10 build/bin/menagerie sweep "${Z[@]}" \
  --runs /tmp/hunt-memcheck --out /tmp/hunt-memcheck --point based-d64-lr0.0001-N128-D8 > "$O/memcheck-based.log" 2>&1
mark memcheck-based $?
m=()
for id in rwkv-d128-lr0.000464159-N64-D4 rwkv-d128-lr0.0001-N64-D4 h3-d128-lr0.0001-N64-D4 \
  base_conv-d64-lr0.00215443-N128-D8 base_conv-d64-lr0.01-N128-D8 base_conv-d64-lr0.000464159-N128-D8 \
  base_conv-d64-lr0.0001-N128-D8 based-d64-lr0.000464159-N128-D8 based-d64-lr0.0001-N128-D8 \
  mamba-d64-lr0.000464159-N128-D8 mamba-d64-lr0.0001-N128-D8 rwkv-d64-lr0.00215443-N128-D8; do m+=(--match "$id"); done
CUDA_LAUNCH_BLOCKING=1 timeout 75 build/bin/menagerie sweep "${Z[@]}" --runs /tmp/hunt-12 --out /tmp/hunt-12 \
  --workers 1 --runs-per-worker 12 "${m[@]}" > "$O/blocking-12.log" 2>&1; mark blocking-12 $?
tar czf "$O/blocking-12-logs.tgz" -C /tmp/hunt-12 .workers 2>/dev/null
for f in /tmp/hunt-12/.workers/*-N*.log; do echo "${f##*/}: $(grep -m1 error "$f")"; done > "$O/blocking-12-errors.txt"
GTEST_FILTER='*KernelConformance/selective_scan*' timeout 100 ctest --test-dir build \
  -R 'kernel_conformance_gpu_test.sanitizer_memcheck' --output-on-failure > "$O/memcheck-scan.log" 2>&1
mark memcheck-scan $?
[ $SECONDS -lt 420 ] && LIMIT=$(( 565 - SECONDS )) TAG=a ZMATCH='*' BMATCH='*' bash bench/gpu_sweeps.sh
cat "$O/times.txt" "$O/plant-scan-verdicts.txt"; tail -5 "$O/memcheck-based.log"; grep -v "^|" "$O/blocking-12.log" | head -40
cut -c1-300 "$O/blocking-12-errors.txt"
