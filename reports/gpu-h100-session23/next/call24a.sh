#!/usr/bin/env bash
# session 24 call A (prepared in session 23): branch h-tf32, its build in build-gpu/carry.tar.gz. The working
# tree must be h-tf32 too (`git checkout h-tf32` before the call): bench train reads bench/train_torch.py and
# bench/train_report.py from it. Checks the tensor-core precisions, then times them beside zoology.
set -u
grep -q OURS_PRECISION bench/train_report.py || { echo "check out h-tf32 first"; exit 3; }
tar xzf build-gpu/carry.tar.gz
export MENAGERIE_PEERS_DIR=$PWD/build-gpu/peers CUDA_HOME=/nonexistent-no-jit MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
O=$OUT/s24a; mkdir -p $O
nvidia-smi -L > $O/gpu.txt; build/bin/menagerie info > $O/info.txt 2>&1
fg() { local name=$1 lim=$2; shift 2; timeout $lim "$@" > $O/$name.log 2>&1; echo "rc=$? at $SECONDS s: $*" >> $O/$name.log; }
fg gemm 60 build/verify/gemm_gpu_test
fg train-gpu 120 build/verify/train_gpu_test
fg mem-tc 150 compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 build/verify/train_gpu_test --gtest_filter='*TensorCore*:*Mixers/GpuBackendEquivalence.*/base_conv'
grep -H "PASSED\|FAILED\|ERROR SUMMARY\|^rc=" $O/*.log > $O/summary.txt
fg bench-tf32 $(( 585 - SECONDS )) build/bin/menagerie bench train --precision tf32 --budget-s 200 --out $O/bench-train-tf32
cd $OUT && tar czf s24a.tgz s24a && rm -rf s24a
