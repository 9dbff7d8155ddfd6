#!/usr/bin/env bash
# session 24 call A: m-tf32 (h-tf32 merged into main, the GEMM floor, register-resident layer norm) at its clean SHA,
# build in build-gpu/carry.tar.gz; build-gpu/old.tgz holds d439925's kernels_bench (the old layer norm) for a
# side-by-side timing, build-gpu/gemm_gpu_test_planted the work counter with its bug planted (must fail).
set -u
grep -q OURS_PRECISION bench/train_report.py || { echo "check out m-tf32 first"; exit 3; }
tar xzf build-gpu/carry.tar.gz; tar xzf build-gpu/old.tgz -C build-gpu
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s24a; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
fg gemm 60 build/verify/gemm_gpu_test
fg gemm-planted 60 build-gpu/gemm_gpu_test_planted --gtest_filter='*WorkCounts*'
fg conf-ln 90 build/verify/kernel_conformance_gpu_test --gtest_filter='*layer_norm*'
fg verify-ln 90 build/bin/menagerie verify --gpu layer_norm
fg train-gpu 150 build/verify/train_gpu_test
fg mem 110 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/train_gpu_test --gtest_filter='*TensorCore*:*Mixers/GpuBackendEquivalence.*/base_conv'
fg mem-ln 60 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/kernel_conformance_gpu_test --gtest_filter='*layer_norm*'
fg ln-bench 60 bash -c "build-gpu/old/kernels_bench --ops=layer_norm --benchmark_out=$O/ln-old.json --benchmark_out_format=json; build/bench/kernels_bench --ops=layer_norm --benchmark_out=$O/ln-new.json --benchmark_out_format=json; build-gpu/old/kernels_bench --ops=layer_norm --benchmark_out=$O/ln-old2.json --benchmark_out_format=json"
fg tiny-gpu 60 build/bin/menagerie sweep --config train/configs/tiny-gpu.json --runs $O/tiny-fp32 --out $O/tiny-fp32 --no-plot --no-progress
python3 -c "import json; c=json.load(open('train/configs/tiny-gpu.json')); c['base']['precision']='tf32'; c['name']='tiny-gpu-tf32'; json.dump(c, open('/tmp/tiny-tf32.json','w'))"
fg tiny-tf32 60 build/bin/menagerie sweep --config /tmp/tiny-tf32.json --runs $O/tiny-tf32 --out $O/tiny-tf32 --no-plot --no-progress
CUDA_VISIBLE_DEVICES= build/bin/menagerie sweep --config train/configs/tiny-gpu.json --runs $O/hidden --no-plot > $O/hidden.log 2>&1; echo "rc=$? exists=$(ls -d $O/hidden 2>/dev/null)" >> $O/hidden.log
find $O/tiny-* -name '*.safetensors' -delete
grep -H "PASSED\|FAILED\|ERROR SUMMARY\|^rc=" $O/*.log > $O/summary.txt
L=${LIMIT:-590}   # the call's limit in seconds (less than 600 when less device time is left)
B=$(( L - SECONDS - 110 )); [ $B -lt 40 ] && B=40
echo "bench budget $B at $SECONDS s (limit $L)" >> $O/summary.txt
(cd $OUT && tar czf s24a-tests.tgz s24a)
mkdir -p $OUT/b; fg bench-tf32 $(( L - 8 - SECONDS )) build/bin/menagerie bench train --precision tf32 --budget-s $B --out $OUT/b/bench-train-tf32
mv $O/bench-tf32.log $OUT/b/; cd $OUT && tar czf s24a-bench.tgz b && rm -rf s24a b
