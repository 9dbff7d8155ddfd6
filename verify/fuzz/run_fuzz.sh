#!/usr/bin/env bash
# The ctest side of verify/fuzz (label fuzz). Two modes; both fail (non-zero) on any crash, leak, timeout or
# out-of-memory, and libFuzzer's report says which and where the input was saved.
#   run_fuzz.sh fuzz FUZZER SECONDS WORKDIR DICT CORPUS...
#       fuzzes for SECONDS from the CORPUS directories (the committed seeds and regressions, read only): new inputs
#       go to WORKDIR/corpus (emptied first), crashing inputs to WORKDIR/artifacts/.
#   run_fuzz.sh replay FUZZER DIR...
#       runs every file of the DIRs once (files named .* or README* are skipped); passes when there are none.
# Limits, the same in both modes: -rss_limit_mb=2048 (also the largest single allocation), -timeout=10 s per input.
set -euo pipefail
mode=$1 fuzzer=$2
shift 2
limits=(-rss_limit_mb=2048 -timeout=10)
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
case $mode in
  fuzz)
    seconds=$1 work=$2 dict=$3
    shift 3
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    dict_opt=()
    [ -f "$dict" ] && dict_opt=(-dict="$dict")
    exec "$fuzzer" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 "${dict_opt[@]}" \
      -artifact_prefix="$work/artifacts/" "$work/corpus" "$@"
    ;;
  replay)
    files=()
    for d in "$@"; do
      while IFS= read -r -d '' f; do files+=("$f"); done \
        < <(find "$d" -type f ! -name '.*' ! -name 'README*' -print0 | sort -z)
    done
    if [ ${#files[@]} -eq 0 ]; then
      echo "no inputs in $*"
      exit 0
    fi
    echo "replaying ${#files[@]} inputs"
    exec "$fuzzer" "${limits[@]}" "${files[@]}"
    ;;
  *)
    echo "run_fuzz.sh: mode '$mode': expected fuzz or replay" >&2
    exit 2
    ;;
esac
