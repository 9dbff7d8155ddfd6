#!/usr/bin/env bash
# session 30, call a: the bf16 attention products (891b8ee) and their plants, memcheck, kernels_bench_smoke
cd "$(dirname "$0")/.." && tar xf build-gpu/carry.tar.xz
nvidia-smi --query-gpu=name,memory.total --format=csv | tee $OUT/gpu.txt
build/bin/menagerie info 2>&1 | head -8 | tee -a $OUT/gpu.txt
( time MENAGERIE_REQUIRE_GPU=1 ./menagerie test -R 'softmax_attention_gpu_test|gemm_gpu_test|train_gpu_test.*(mha|sliding|attention)' -E sanitizer ) > $OUT/tests.log 2>&1
tail -5 $OUT/tests.log
for f in build-gpu/plant/*.xz; do xz -dkf "$f"; done; chmod +x build-gpu/plant/*_test.*[a-z0-9]
build-gpu/plant/softmax_attention_gpu_test.bf16_as_tf32 --gtest_filter='*ScoresFollowTheStreamsTensorCorePrecision*' > $OUT/plant-bf16-as-tf32.log 2>&1; echo "plant bf16_as_tf32 rc=$?" | tee -a $OUT/plants.txt
build-gpu/plant/gemm_gpu_test.scratch_freed --gtest_filter='*Bf16GraphsKeepTheirScratchWhenItGrows*' > $OUT/plant-scratch-freed.log 2>&1; echo "plant scratch_freed rc=$?" | tee -a $OUT/plants.txt
$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer) --tool memcheck --leak-check full --error-exitcode 9 build-gpu/plant/gemm_gpu_test.scratch_freed --gtest_filter='*Bf16GraphsKeepTheirScratchWhenItGrows*' > $OUT/plant-scratch-freed-memcheck.log 2>&1; echo "plant scratch_freed under memcheck rc=$?" | tee -a $OUT/plants.txt
