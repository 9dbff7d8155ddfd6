#!/usr/bin/env bash
# run_sanitized.sh TOOL BINARY: run a gpu test binary under compute-sanitizer (memcheck, racecheck, initcheck, synccheck).
# Exit 77 (ctest skip) when no sanitizer or no GPU is present, unless MENAGERIE_REQUIRE_GPU=1. Exit 1 when the
# binary's tests, under the caller's GTEST_FILTER, are none: a sanitizer run that runs no test passes and proves
# nothing (ctest test sanitizer_wrapper_refuses_no_tests).
set -u
tool=$1; shift
if [ -z "$("$1" --gtest_list_tests 2>/dev/null | grep -E '^  ')" ]; then
  echo "run_sanitized.sh: $1 lists no test under GTEST_FILTER='${GTEST_FILTER:-}': nothing would be sanitized" >&2
  exit 1
fi
san=$(command -v compute-sanitizer || true)
[ -n "$san" ] || { [ -x /usr/local/cuda/bin/compute-sanitizer ] && san=/usr/local/cuda/bin/compute-sanitizer; }
if [ -z "$san" ] || ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  if [ "${MENAGERIE_REQUIRE_GPU:-0}" = 1 ]; then
    echo "compute-sanitizer or GPU missing and MENAGERIE_REQUIRE_GPU=1" >&2; exit 1
  fi
  echo "skipped: no compute-sanitizer or no GPU"; exit 77
fi
export MENAGERIE_TEST_TIER=${MENAGERIE_TEST_TIER:-smoke}
# The generic GPU suite caps T here (racecheck instruments every shared-memory access): partial tiles, several key
# tiles, windows and the linear kernels' chunk boundaries (31, 32, 33) stay in.
export MENAGERIE_GPU_MAX_T=${MENAGERIE_GPU_MAX_T:-200}
# API errors are not reported: every failing API call already throws CudaError, and some tests provoke them.
exec "$san" --tool "$tool" --error-exitcode 1 --print-limit 20 --report-api-errors no "$@"
