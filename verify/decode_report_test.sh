#!/bin/sh
# bench/decode_report.py on a hand-written kernels_bench JSON: rwkv at B = 16, T = 256, d = 1024, step_fp32 12.8 ms,
# composed_fp32 1.0 ms, copy ceiling 3000 GB/s. Expected, worked out by hand from the definitions in the script's
# docstring:
#   ms/token 12.8 / 256 = 0.0500;  tokens/s 16 256 / 0.0128 s = 3.2e+05;  prefill 4096 / 0.001 s = 4.1e+06
#   state 5 d 4 B = 20480;  KV cache 2 T d 4 B = 2097152
#   traffic per token (4 d^2 + 5 d) 4 + 2 16 20480 + 2 16 d 4 = 16797696 + 655360 + 131072 = 17584128 B over 5e-5 s
#   = 352 GB/s, 11.7% of 3000
# usage: decode_report_test.sh SOURCE_DIR
set -u
src=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/b.json" <<'JSON'
{"context": {"peak_copy_gbs": 3000, "menagerie_git_sha": "test"},
 "benchmarks": [
  {"name": "rwkv/step_fp32/fwd/B:16/T:256/D:1024/iterations:50/manual_time", "ms": 12.8, "GB/s": 1, "label": "float32"},
  {"name": "rwkv/composed_fp32/fwd/B:16/T:256/D:1024/iterations:50/manual_time", "ms": 1.0, "GB/s": 1, "label": "float32"},
  {"name": "rwkv/composed_fp32/fwd/B:8/T:1024/D:1024/iterations:50/manual_time", "ms": 3.0, "GB/s": 1, "label": "float32"}]}
JSON
python3 "$src/bench/decode_report.py" "$tmp/b.json" "$tmp" || { echo "FAIL: the script exited $?"; exit 1; }
cat "$tmp/decode.md"
row=$(grep '^| rwkv | 16 |' "$tmp/decode.md")
[ "$row" = "| rwkv | 16 | 0.0500 | 3.2e+05 | 4.1e+06 | 20480 | 2097152 | 352 | 11.7 |" ] || { echo "FAIL: row '$row'"; exit 1; }
[ "$(grep -c '^| rwkv |' "$tmp/decode.md")" = 1 ] || { echo "FAIL: expected one rwkv row (B = 8, T = 1024 is no decode case)"; exit 1; }
echo "ok: the decode row matches the hand-worked numbers"
