#!/usr/bin/env bash
# session 30, call a: the bf16 attention products (891b8ee) and their plants, memcheck, kernels_bench_smoke
cd "$(dirname "$0")/.." && { [ -x build/bin/menagerie ] || tar xf build-gpu/carry.tar.xz; }
( time MENAGERIE_REQUIRE_GPU=1 timeout 220 ctest --test-dir build -R '^(gemm_gpu_test|softmax_attention_gpu_test)\.sanitizer_memcheck$' --output-on-failure ) > $OUT/memcheck.log 2>&1; tail -4 $OUT/memcheck.log
( time timeout 150 ctest --test-dir build -R 'kernels_bench_smoke' --output-on-failure ) > $OUT/smoke.log 2>&1; tail -4 $OUT/smoke.log
