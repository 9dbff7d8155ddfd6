#!/usr/bin/env bash
# bench/pack_gpu.sh [BUILD_DIR]: packs what the GPU machine needs from a release build made here into
# build-gpu/carry.tar.xz (xz: the device tool's 64 MiB limit counts the tracked tree too): ctest's files (CTestTestfile.cmake and the
# discovered-test lists), the gpu test binaries, kernels_bench with its libbenchmark, train_steps, bin/menagerie, CMakeCache.txt
# and build.ninja. On the GPU machine: `tar xf build-gpu/carry.tar.xz && bench/run_gpu.sh`, where `./menagerie
# test` finds the carried build, cannot install Debian's packages there, and runs its gpu tests through ctest (the
# cpu tests are CI's, on this machine's kind; their binaries stay here). It also copies ../shared/peers (zoology's
# snapshot, which does not travel with the checkout) to build-gpu/peers, where the peer scripts look for it there.
# PACK_TESTS=REGEX packs only the gpu test binaries whose names match (ctest reports the others as not built): the
# whole set has outgrown what travels beside the tracked tree. PACK_CLI_ONLY=1 packs bin/menagerie alone (6 MB of xz,
# for calls that only sweep; no peers), leaving room for the checkpoints of cut runs (resume.tar.xz,
# bench/gpu_sweeps.sh). PACK_DIR: the folder written (default build-gpu; e.g. build-sweep for a second carry).
set -euo pipefail
bdir=${1:-build}
out=${PACK_DIR:-build-gpu}
mkdir -p "$out"
files=("$bdir/CMakeCache.txt" "$bdir/build.ninja" "$bdir/bin/menagerie")
while IFS= read -r f; do files+=("$f"); done < <(find "$bdir" -name CTestTestfile.cmake -o -name '*_tests.cmake' -o -name '*_include.cmake' \
  -o -path "$bdir/verify/*_gpu_test" -o -path "$bdir/bench/kernels_bench" -o -path "$bdir/bench/train_steps" -o -path "$bdir/bench/libbenchmark*" \
  | grep -vE "^$bdir/verify/.*_gpu_test$" ; find "$bdir/verify" -name '*_gpu_test' | grep -E "/verify/(${PACK_TESTS:-.*})$")
[ "${PACK_CLI_ONLY:-0}" = 1 ] && files=("$bdir/bin/menagerie")
XZ_OPT=-T2 tar cJf "$out/carry.tar.xz" "${files[@]}"
echo "$out/carry.tar.xz: ${#files[@]} files, $(du -h "$out/carry.tar.xz" | cut -f1)"
if [ -d ../shared/peers ] && [ "${PACK_CLI_ONLY:-0}" != 1 ]; then
  rm -rf "$out/peers" && cp -r ../shared/peers "$out/peers"
  echo "$out/peers: $(du -sh "$out/peers" | cut -f1)"
fi
