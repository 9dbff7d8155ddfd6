#!/usr/bin/env bash
# bench/run_gpu.sh: every GPU step of a session in one call on the GPU machine, from a build carried over in build/
# (the release preset, built on a development machine), logs under $OUT:
#   test.log        ./menagerie test: ctest -L cpu, then -L gpu (the generic kernel conformance suite, the
#                   operator-specific gpu tests and kernels_bench_smoke) with MENAGERIE_REQUIRE_GPU=1
#   verify-gpu.log  menagerie verify --gpu --report $OUT (writes $OUT/verify-gpu.md, the per-variant table)
#   determinism.log menagerie verify --gpu --repeats 100 --report $OUT/determinism: every variant's largest problem
#                   rerun 100 times and compared bit for bit with the first (besides the accuracy rows)
#   sanitizer.log   ctest -L sanitizer: compute-sanitizer over every gpu test binary, the tools of
#                   SANITIZER_TOOLS (default "memcheck racecheck initcheck synccheck"; cmake/run_sanitized.sh caps T
#                   at MENAGERIE_GPU_MAX_T = 200)
#   bench/          menagerie bench kernels --out $OUT/bench (kernels_bench --ops=softmax_attention,linear_attention,
#                   the PyTorch peers on its cases file, the report; log bench.log)
#   bench-conv/     menagerie bench conv --out $OUT/bench-conv (kernels_bench --ops=short_conv,long_conv with its error
#                   sweep, bench/conv_torch.py, throughput-conv.md and .png; log bench-conv.log)
#   bench-recurrent/ menagerie bench recurrent --out $OUT/bench-recurrent (kernels_bench --ops=wkv,selective_scan with
#                   its error sweep, bench/recurrent_torch.py's sequential PyTorch loops under their 150 s budget,
#                   throughput-recurrent.md and .png; log bench-recurrent.log)
#   bench-mixers/   menagerie bench mixers --out $OUT/bench-mixers (kernels_bench --ops= the mixers with GPU variants,
#                   bench/mixers_torch.py's zoology modules under their 240 s budget, throughput-mixers.md and .png;
#                   log bench-mixers.log)
#   bench-train/    menagerie bench train --out $OUT/bench-train (bench/train_steps.cpp: the GPU backend's training step
#                   per mixer x d_model x T of bench/throughput-train.json; bench/train_torch.py: zoology's own
#                   training step on the same rows under its 240 s budget; throughput-train.md, .csv and .png; log
#                   bench-train.log). Not in "bench": about 5-8 minutes on its own, so it gets a call of its own
#                   (STEPS=bench-train)
#   bench-concurrency/ bench/train_concurrency.sh build $OUT/bench-concurrency (train_steps --concurrent R for R = 2 4 8
#                   at Zoology Fig. 2's shapes: R runs' steps one at a time against R threads at once, the speedup
#                   table in bench-concurrency.log). Not in "bench" either (STEPS=bench-concurrency)
#   fig2-cells/     Zoology Fig. 2 points (train/configs/zoology-fig2.json) named by FIG2_MATCH (space-separated ids
#                   or globs, e.g. "hyena-d256-*-N64-D4"; empty: every unfinished point, cheapest first): the finished
#                   runs of reports/zoology-fig2-gpu/runs are copied into runs/zoology-fig2 first (so they are skipped),
#                   then `menagerie sweep --workers 1 --gpus 0 --runs-per-worker FIG2_RPW` (default 8) with --match
#                   and --deadline-s (FIG2_TIMEOUT - 20); the newly finished run directories, weights left out, go
#                   to fig2-cells/runs.tgz, to be unpacked into reports/zoology-fig2-gpu/runs (log fig2-cells.log;
#                   not in the default STEPS)
# VERIFY_ONLY (space-separated operator or mixer ids) restricts the verify and determinism steps to those ids;
# SANITIZER_TESTS (a regex of test binaries, e.g. "kernel_conformance|recurrent") restricts the sanitizer step, and
# GTEST_FILTER, passed through, the tests inside them: how one family is checked within one call.
# STEPS (default "test verify sanitizer bench"; determinism on request) picks the steps, so that they can be split over calls of the
# device's 10-minute limit: "bench" runs the four benchmarks, "bench-kernels" only the attention one, "bench-conv" only
# the convolution one, "bench-recurrent" only the recurrent one, "bench-mixers" only the mixers', "bench-train" the training step and "bench-concurrency" several runs at once (neither part of "bench"). Each step has its own
# time limit (BENCH_TIMEOUT, BENCH_CONV_TIMEOUT, BENCH_RECURRENT_TIMEOUT, BENCH_MIXERS_TIMEOUT, BENCH_TRAIN_TIMEOUT, ...) so that one slow
# step cannot starve the others.
set -u
out=${OUT:-/tmp/menagerie-gpu}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >"$out/nvidia-smi.txt" 2>&1
export MENAGERIE_REQUIRE_GPU=1 PYTHONUNBUFFERED=1
rc_all=0
step() {  # step NAME SECONDS COMMAND...
  local name=$1 secs=$2; shift 2
  local t0=$SECONDS
  timeout "$secs" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc ($((SECONDS - t0)) s)"
  [ $rc = 0 ] || rc_all=1
}
only=()
for id in ${VERIFY_ONLY:-}; do only+=(--only "$id"); done
steps=" ${STEPS:-test verify sanitizer bench} "
if [[ $steps == *" test "* ]]; then
  step test "${TEST_TIMEOUT:-300}" ./menagerie test
  grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)" "$out/test.log"
fi
if [[ $steps == *" verify "* ]]; then
  step verify-gpu "${VERIFY_TIMEOUT:-240}" build/bin/menagerie verify --gpu "${only[@]}" --report "$out"
  grep -E "FAIL|^[a-z_]+ +[a-z_0-9]+ +(bfloat16|float32)" "$out/verify-gpu.log" | head -40
fi
if [[ $steps == *" determinism "* ]]; then
  mkdir -p "$out/determinism"
  step determinism "${DETERMINISM_TIMEOUT:-300}" build/bin/menagerie verify --gpu "${only[@]}" --repeats 100 --report "$out/determinism"
  grep -E "determinism|FAIL" "$out/determinism.log" | head -40
fi
if [[ $steps == *" sanitizer "* ]]; then
  tools=${SANITIZER_TOOLS:-memcheck racecheck initcheck synccheck}
  step sanitizer "${SANITIZER_TIMEOUT:-420}" ctest --test-dir build -L sanitizer -R "^(${SANITIZER_TESTS:-.*})_gpu_test\.sanitizer_(${tools// /|})\$" \
    --output-on-failure -j 4
  grep -E "tests passed|\(Failed\)|\(Timeout\)" "$out/sanitizer.log"
  grep -hE "ERROR SUMMARY|RACECHECK SUMMARY" build/Testing/Temporary/LastTest.log | sort | uniq -c
fi
if [[ $steps == *" bench "* || $steps == *" bench-kernels "* ]]; then
  step bench "${BENCH_TIMEOUT:-300}" build/bin/menagerie bench kernels --out "$out/bench"
fi
if [[ $steps == *" bench "* || $steps == *" bench-conv "* ]]; then
  step bench-conv "${BENCH_CONV_TIMEOUT:-480}" build/bin/menagerie bench conv --out "$out/bench-conv"
  grep -E "^- \*\*(MET|MISSED|NOT MEASURED)\*\*" "$out/bench-conv/throughput-conv.md" 2>/dev/null
fi
if [[ $steps == *" bench "* || $steps == *" bench-recurrent "* ]]; then
  step bench-recurrent "${BENCH_RECURRENT_TIMEOUT:-420}" build/bin/menagerie bench recurrent --out "$out/bench-recurrent"
  grep -E "^- \*\*(MET|MISSED|NOT MEASURED)\*\*" "$out/bench-recurrent/throughput-recurrent.md" 2>/dev/null
fi
if [[ $steps == *" bench "* || $steps == *" bench-mixers "* ]]; then
  step bench-mixers "${BENCH_MIXERS_TIMEOUT:-540}" build/bin/menagerie bench mixers --out "$out/bench-mixers"
  grep -E "^- (\*\*NOT MEASURED\*\*|[a-z_0-9]+ .*\): )" "$out/bench-mixers/throughput-mixers.md" 2>/dev/null
fi
if [[ $steps == *" bench-train "* ]]; then
  step bench-train "${BENCH_TRAIN_TIMEOUT:-560}" build/bin/menagerie bench train --out "$out/bench-train"
  grep -E "^- \*\*(MET|MISSED|NOT MEASURED)\*\*" "$out/bench-train/throughput-train.md" 2>/dev/null
fi
if [[ $steps == *" bench-concurrency "* ]]; then
  step bench-concurrency "${BENCH_CONCURRENCY_TIMEOUT:-560}" bench/train_concurrency.sh build "$out/bench-concurrency"
  grep -E "^\|" "$out/bench-concurrency.log"
fi
if [[ $steps == *" fig2-cells "* ]]; then
  secs=${FIG2_TIMEOUT:-540}
  mkdir -p runs/zoology-fig2 "$out/fig2-cells"
  cp -rn reports/zoology-fig2-gpu/runs/. runs/zoology-fig2/
  read -ra globs <<< "${FIG2_MATCH:-}"
  match=()
  for g in "${globs[@]}"; do match+=(--match "$g"); done
  step fig2-cells "$secs" build/bin/menagerie sweep --config train/configs/zoology-fig2.json --runs runs/zoology-fig2 \
    --out "$out/fig2-cells" --workers 1 --gpus 0 --runs-per-worker "${FIG2_RPW:-8}" "${match[@]}" \
    --deadline-s $((secs - 20)) --no-plot --no-progress
  new=()
  for d in runs/zoology-fig2/*/; do
    d=${d%/}
    [ -d "reports/zoology-fig2-gpu/runs/${d##*/}" ] && continue
    tail -n 1 "$d/results.jsonl" 2>/dev/null | grep -q '"final": *true' && new+=("$d")
  done
  echo "fig2-cells: ${#new[@]} newly finished runs"
  [ ${#new[@]} = 0 ] || tar czf "$out/fig2-cells/runs.tgz" --exclude='*.safetensors' "${new[@]}"
fi
exit $rc_all
