#!/usr/bin/env bash
# bench/gate_gpu.sh OUT_DIR [BASELINES]: the GPU half of the regression gate (docs/gate.md), on this machine's GPU.
#   1. timing: kernels_bench times every kernel variant's fwd and fwdbwd cases at B = 8, T = 1024, the shape every
#      family benchmarks (GATE_FILTER, a Google Benchmark filter, overrides that: each case with 5 repetitions costs
#      about 2 s, so the full grid, about 150 cases at T <= 4096, takes 5 minutes on an H100), GATE_REPETITIONS
#      (default 5) repetitions interleaved at random (drift spreads over all cases instead of landing on a few), into
#      RAW_DIR/gate_bench.json (RAW_DIR: GATE_RAW_DIR, default OUT_DIR; the log beside it); `menagerie gate --bench`
#      compares it with BASELINES/<GPU>/bench.json (default reports/baselines) and writes OUT_DIR/gate-gpu.md.
#   2. accuracy: when OUT_DIR/verify-gpu.json exists (`menagerie verify --gpu --report OUT_DIR`, run first),
#      `menagerie gate --verify` compares it with BASELINES/<GPU>/verify-gpu.json into OUT_DIR/gate-gpu-accuracy.md.
# Exit 1 when a gate fails, 77 when neither gate had a baseline for this GPU, 2 on bad arguments, 0 otherwise.
# MENAGERIE_BUILD (default build) names the build directory; KERNELS_BENCH overrides the timed binary (a
# deliberately slowed build, to see the gate fail).
set -u
[ $# -ge 1 ] && [ $# -le 2 ] ||
  { echo "bench/gate_gpu.sh: expected OUT_DIR [BASELINES], got $# arguments" >&2; exit 2; }
out=$1
baselines=${2:-reports/baselines}
[ -d "$baselines" ] || { echo "bench/gate_gpu.sh: BASELINES $baselines is not a directory" >&2; exit 2; }
bdir=${MENAGERIE_BUILD:-build}
bench=${KERNELS_BENCH:-$bdir/bench/kernels_bench}
raw=${GATE_RAW_DIR:-$out}
mkdir -p "$out" "$raw"
"$bench" --benchmark_filter="${GATE_FILTER:-/fwd(bwd)?/B:8/T:1024/}" --benchmark_repetitions="${GATE_REPETITIONS:-5}" \
  --benchmark_enable_random_interleaving=true --benchmark_out="$raw/gate_bench.json" --benchmark_out_format=json \
  >"$raw/gate_bench.log" 2>&1 || { echo "gate_gpu: kernels_bench failed (log $raw/gate_bench.log)"; exit 1; }
"$bdir/bin/menagerie" gate --bench "$raw/gate_bench.json" --against "$baselines" --report "$out/gate-gpu.md"
timing=$?
accuracy=77
if [ -f "$out/verify-gpu.json" ]; then
  "$bdir/bin/menagerie" gate --verify "$out/verify-gpu.json" --against "$baselines" --report "$out/gate-gpu-accuracy.md"
  accuracy=$?
fi
for rc in $timing $accuracy; do [ "$rc" = 0 ] || [ "$rc" = 77 ] || exit 1; done
[ "$timing" = 77 ] && [ "$accuracy" = 77 ] && exit 77
exit 0
