#!/usr/bin/env bash
# bench/gpu_sweeps.sh (session 27's call27.sh): Zoology Fig. 2 and Based Fig. 2 cells side by side on one GPU, for
# the call's limit (LIMIT, default 585).
# Made to be called several times on the same warm machine: runs/ is git-ignored and stays there between calls, so a
# run cut off at one call's end resumes from its last checkpoint (one per epoch) at the next. Each sweep runs in its
# own process group, stopped (TERM, then KILL) 30 s before the limit. ZMATCH / BMATCH: the Zoology / Based points
# (--match globs, space-separated; empty: that sweep is not run); ZRPW / BRPW: runs at once in each worker; GPUS: the
# GPU ordinals (default 0; "0,1,2,3,4,5,6,7" on an 8-GPU host), each sweep then has one worker per GPU; DEADLINE:
# --deadline-s in seconds from the call's start (default none: start every matched point, since a cut run resumes at
# the next call). GPU_TESTS=1: first, alone, `./menagerie test -L gpu -LE sanitizer` (TESTS_R=REGEX: `-R REGEX`
# instead) for at most TESTS_S seconds (240), then the sweeps; from $CARRY/carry.tar.xz (bench/pack_gpu.sh).
# Back in $OUT/sweeps<TAG>.tgz: each sweep's plan (<name>-plan.md: `sweep --plan`, what it expected to start and
# end), the logs (the workers' and each run's too, worker-logs.tgz), nvidia-smi samples, the last results line of
# each run that trained in this call (progress.txt), and the runs that finished in this call (config, results,
# state.json; no weights) under runs/, to be unpacked into reports/zoology-fig2-gpu/ and reports/based-fig2-gpu/.
# A run cut off at the last call of a session resumes in a later session only if its checkpoint travels both ways
# (the machine is bare again): the unfinished runs with a checkpoint come back whole (weights and AdamW moments),
# smallest first, up to RESUME_MB (default 28) MiB of xz, as $OUT/resume<TAG>.tar.xz.part-aa, -ab, ... (the device
# tool returns files of at most 16 MiB). Joined into $CARRY/resume.tar.xz here, they are carried by the next
# session's call and unpacked into runs/ before the sweeps start. CARRY: the carried folder (default build-gpu) with
# carry.tar.xz (unpacked when build/bin/menagerie is missing) and resume.tar.xz; bench/pack_gpu.sh PACK_CLI_ONLY=1
# makes a carry.tar.xz small enough to travel beside the checkpoints.
set -u
[[ ${RESUME_MB:-28} =~ ^[0-9]+$ ]] || { echo "gpu_sweeps.sh: RESUME_MB=$RESUME_MB: expected a whole number of MiB" >&2; exit 2; }
[[ ${GPUS:-0} =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "gpu_sweeps.sh: GPUS=$GPUS: expected GPU ordinals, e.g. 0,1,2,3" >&2; exit 2; }
C=${CARRY:-build-gpu}
[ -x build/bin/menagerie ] || tar xf "$C/carry.tar.xz"
export CUDA_HOME=/nonexistent-no-jit PYTHONUNBUFFERED=1 MENAGERIE_REQUIRE_GPU=1
T=${TAG:-a}; O=$OUT/sweeps$T; mkdir -p "$O"
L=${LIMIT:-585}; DL=${DEADLINE:-100000}
nvidia-smi -L > "$O/gpu.txt"; build/bin/menagerie info > "$O/info.txt" 2>&1
mkdir -p runs/zoology-fig2 runs/based-fig2-gpu
[ -f "$C/resume.tar.xz" ] && [ ! -f runs/.resumed ] && tar xJf "$C/resume.tar.xz" && touch runs/.resumed
cp -rn reports/zoology-fig2-gpu/runs/. runs/zoology-fig2/
cp -rn reports/based-fig2-gpu/runs/. runs/based-fig2-gpu/
# The gpu tests first, alone: beside 16 training runs, 11 of them ran out of device memory (session 28).
if [ "${GPU_TESTS:-0}" = 1 ] || [ -n "${TESTS_R:-}" ]; then
  args=(-L gpu -LE sanitizer); [ -n "${TESTS_R:-}" ] && args=(-R "$TESTS_R")
  timeout "${TESTS_S:-240}" ./menagerie test "${args[@]}" --output-on-failure > "$O/gpu-tests.log" 2>&1
  echo "gpu tests: exit $? at $SECONDS s" >> "$O/times.txt"
fi
DL=$(( DL - SECONDS )); [ "$DL" -ge 1 ] || DL=1  # the sweeps' --deadline-s counts from their start
G=${GPUS:-0}; nw=$(tr ',' '\n' <<< "$G" | wc -l)
pids=()
sweep() {  # sweep NAME CONFIG RUNS RPW GLOBS
  local name=$1 config=$2 runs=$3 rpw=$4 m=() -
  set -f  # the globs are --match patterns, not file names
  for g in $5; do m+=(--match "$g"); done
  [ ${#m[@]} = 0 ] && return 0
  build/bin/menagerie sweep --config "$config" --runs "$runs" --workers "$nw" --runs-per-worker "$rpw" "${m[@]}" \
    --deadline-s "$DL" --plan > "$O/$name-plan.md" 2>&1
  setsid build/bin/menagerie sweep --config "$config" --runs "$runs" --out "$O/$name" --workers "$nw" --gpus "$G" \
    --runs-per-worker "$rpw" "${m[@]}" --deadline-s "$DL" --no-plot --no-progress > "$O/$name.log" 2>&1 &
  pids+=($!)
}
sweep zoology train/configs/zoology-fig2.json runs/zoology-fig2 "${ZRPW:-12}" "${ZMATCH:-}"
sweep based train/configs/based-fig2-gpu.json runs/based-fig2-gpu "${BRPW:-4}" "${BMATCH:-}"
( while sleep 20; do echo "$SECONDS $(nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader)"; done ) \
  > "$O/smi.txt" 2>&1 &
smi=$!
alive() { for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while [ $SECONDS -lt $(( L - 30 )) ] && alive; do sleep 5; done
echo "stopping at $SECONDS s (alive: $(alive && echo yes || echo no))" >> "$O/times.txt"
kill "$smi"
for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
sleep 4
for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
for d in runs/zoology-fig2/*/ runs/based-fig2-gpu/*/; do  # the runs that trained in this call
  [ "${d}results.jsonl" -nt "$O/gpu.txt" ] && echo "${d%/} $(tail -n 1 "${d}results.jsonl")"
done | sort -u > "$O/progress.txt"
new=()
for d in runs/zoology-fig2/*/ runs/based-fig2-gpu/*/; do
  d=${d%/}; r=${d#runs/}; r=${r%%/*}; [ "$r" = zoology-fig2 ] && k=reports/zoology-fig2-gpu || k=reports/based-fig2-gpu
  [ -d "$k/runs/${d##*/}" ] && continue
  [ "$d/results.jsonl" -nt "$O/gpu.txt" ] || continue
  tail -n 1 "$d/results.jsonl" 2>/dev/null | grep -q '"final": *true' && new+=("$d")
done
echo "finished in this call: ${#new[@]}" >> "$O/times.txt"
[ ${#new[@]} = 0 ] || tar czf "$O/runs.tgz" --exclude='*.safetensors' "${new[@]}"
cut=()  # the unfinished runs with a checkpoint (trained in this session or carried in), smallest first
while read -r _ d; do cut+=("$d"); done < <(for d in runs/zoology-fig2/*/ runs/based-fig2-gpu/*/; do
  d=${d%/}; [ -f "$d/checkpoint/state.json" ] || continue
  tail -n 1 "$d/results.jsonl" 2>/dev/null | grep -q '"final": *true' && continue
  echo "$(du -sk "$d" | cut -f1) $d"; done | sort -n)
if [ ${#cut[@]} -gt 0 ]; then
  rz=$(mktemp -d); kept=()
  for d in "${cut[@]}"; do  # each run alone, so the total is known before the next is added
    XZ_OPT=-T0 tar cJf "$rz/${d##*/}.tar.xz" "$d"
    if [ "$(du -cb "$rz"/*.tar.xz | tail -n 1 | cut -f1)" -le $(( ${RESUME_MB:-28} << 20 )) ]; then kept+=("$d")
    else rm "$rz/${d##*/}.tar.xz"; fi
  done
  echo "resume: ${#kept[@]} of ${#cut[@]} unfinished runs come back with their checkpoints" >> "$O/times.txt"
  if [ ${#kept[@]} -gt 0 ]; then
    XZ_OPT=-T0 tar cJf "$rz/all.tar.xz" "${kept[@]}"
    split -b 15M "$rz/all.tar.xz" "$OUT/resume$T.tar.xz.part-"
  fi
  rm -rf "$rz"
fi
tar czf "$O/worker-logs.tgz" runs/zoology-fig2/.workers runs/based-fig2-gpu/.workers 2>/dev/null
cd "$OUT" && tar czf "sweeps$T.tgz" "sweeps$T" && rm -rf "sweeps$T"
