#!/usr/bin/env bash
# bench/pack_gpu.sh [BUILD_DIR]: packs what the GPU machine needs from a release build made here into
# build-gpu/carry.tar.gz (under the device tool's 64 MiB carry limit): ctest's files (CTestTestfile.cmake and the
# discovered-test lists), the gpu test binaries, kernels_bench with its libbenchmark, train_steps, bin/menagerie, CMakeCache.txt
# and build.ninja. On the GPU machine: `tar xzf build-gpu/carry.tar.gz && bench/run_gpu.sh`, where `./menagerie
# test` finds the carried build, cannot install Debian's packages there, and runs its gpu tests through ctest (the
# cpu tests are CI's, on this machine's kind; their binaries stay here).
set -euo pipefail
bdir=${1:-build}
mkdir -p build-gpu
files=("$bdir/CMakeCache.txt" "$bdir/build.ninja" "$bdir/bin/menagerie")
while IFS= read -r f; do files+=("$f"); done < <(find "$bdir" -name CTestTestfile.cmake -o -name '*_tests.cmake' -o -name '*_include.cmake' \
  -o -path "$bdir/verify/*_gpu_test" -o -path "$bdir/bench/kernels_bench" -o -path "$bdir/bench/train_steps" -o -path "$bdir/bench/libbenchmark*")
tar czf build-gpu/carry.tar.gz "${files[@]}"
echo "build-gpu/carry.tar.gz: ${#files[@]} files, $(du -h build-gpu/carry.tar.gz | cut -f1)"
