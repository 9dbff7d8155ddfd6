#!/bin/sh
# bench/decode_report.py on a hand-written kernels_bench JSON: rwkv at B = 16, T = 256, d = 1024, step_fp32 12.8 ms,
# composed_fp32 1.0 ms, copy ceiling 3000 GB/s. Expected, worked out by hand from the definitions in the script's
# docstring:
#   ms/token 12.8 / 256 = 0.0500;  tokens/s 16 256 / 0.0128 s = 3.2e+05;  prefill 4096 / 0.001 s = 4.1e+06
#   state 5 d 4 B = 20480;  KV cache 2 T d 4 B = 2097152
#   traffic per token (4 d^2 + 5 d) 4 + 2 16 20480 + 2 16 d 4 = 16797696 + 655360 + 131072 = 17584128 B over 5e-5 s
#   = 352 GB/s, 11.7% of 3000
# based at B = 16, T = 256, d = 1024, f = 16, one head: step 25.6 ms, composed 2.0 ms:
#   ms/token 0.1000;  tokens/s 4096 / 0.0256 s = 1.6e+05;  prefill 4096 / 0.002 s = 2.05e+06
#   Dv = 1024 in nc = 16 blocks of 64, F' = 1 + 16 + 256 = 273:  state 273 (1024 + 16) 4 B = 1135680
#   params (2 16 1024 + 2 1024^2) 4 = 8519680;  traffic 8519680 + 2 16 1135680 + 2 16 1024 4 = 44992512 B over 1e-4 s
#   = 450 GB/s, 15.0% of 3000
# sliding_attn at B = 16, T = 256, d = 512, w = 64: step 12.8 ms, composed 1.0 ms:
#   ms/token 0.0500;  tokens/s 3.2e+05;  prefill 4.1e+06;  R = min(65, 256) = 65:  state (2 65 512 + 1) 4 B = 266244
#   KV cache 2 256 512 4 = 1048576;  params (4 512^2 + 4 512) 4 = 4202496;
#   traffic 4202496 + 2 16 266244 + 2 16 512 4 = 12787840 B over 5e-5 s = 256 GB/s, 8.5% of 3000
# base_conv (short, K = 3) at B = 256, T = 256, d = 512: step 25.6 ms, composed 2.56 ms (and an implicit-long
# composed row of the same shape at 9.0 ms, which is no prefill of the short layer):
#   ms/token 0.1000;  tokens/s 65536 / 0.0256 s = 2.56e+06;  prefill 65536 / 0.00256 s = 2.56e+07
#   state (K - 1) d 4 B = 4096;  KV cache 1048576;  params (512^2 + 5 512) 4 = 1058816;
#   traffic 1058816 + 2 256 4096 + 2 256 512 4 = 4204544 B over 1e-4 s = 42 GB/s, 1.4% of 3000
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
  {"name": "rwkv/composed_fp32/fwd/B:8/T:1024/D:1024/iterations:50/manual_time", "ms": 3.0, "GB/s": 1, "label": "float32"},
  {"name": "based/step_fp32/fwd/B:16/T:256/D:1024/F:16/H:1/iterations:50/manual_time", "ms": 25.6, "GB/s": 1, "label": "float32"},
  {"name": "based/composed_fp32/fwd/B:16/T:256/D:1024/F:16/H:1/iterations:50/manual_time", "ms": 2.0, "GB/s": 1, "label": "float32"},
  {"name": "sliding_attn/step_fp32/fwd/B:16/T:256/D:512/W:64/iterations:50/manual_time", "ms": 12.8, "GB/s": 1, "label": "float32"},
  {"name": "sliding_attn/composed_fp32/fwd/B:16/T:256/D:512/W:64/iterations:50/manual_time", "ms": 1.0, "GB/s": 1, "label": "float32"},
  {"name": "base_conv/composed_fp32/fwd/B:256/T:256/D:512/conv:2/K:3/iterations:50/manual_time", "ms": 9.0, "GB/s": 1, "label": "float32"},
  {"name": "base_conv/step_fp32/fwd/B:256/T:256/D:512/conv:0/K:3/iterations:50/manual_time", "ms": 25.6, "GB/s": 1, "label": "float32"},
  {"name": "base_conv/composed_fp32/fwd/B:256/T:256/D:512/conv:0/K:3/iterations:50/manual_time", "ms": 2.56, "GB/s": 1, "label": "float32"}]}
JSON
python3 "$src/bench/decode_report.py" "$tmp/b.json" "$tmp" || { echo "FAIL: the script exited $?"; exit 1; }
cat "$tmp/decode.md"
row=$(grep '^| rwkv | 16 |' "$tmp/decode.md")
[ "$row" = "| rwkv | 16 | 0.0500 | 3.2e+05 | 4.1e+06 | 20480 | 2097152 | 352 | 11.7 |" ] || { echo "FAIL: row '$row'"; exit 1; }
[ "$(grep -c '^| rwkv |' "$tmp/decode.md")" = 1 ] || { echo "FAIL: expected one rwkv row (B = 8, T = 1024 is no decode case)"; exit 1; }
row=$(grep '^| based | 16 |' "$tmp/decode.md")
[ "$row" = "| based | 16 | 0.1000 | 1.6e+05 | 2.05e+06 | 1135680 | 2097152 | 450 | 15.0 |" ] || { echo "FAIL: row '$row'"; exit 1; }
row=$(grep '^| sliding_attn | 16 |' "$tmp/decode.md")
[ "$row" = "| sliding_attn | 16 | 0.0500 | 3.2e+05 | 4.1e+06 | 266244 | 1048576 | 256 | 8.5 |" ] || { echo "FAIL: row '$row'"; exit 1; }
row=$(grep '^| base_conv | 256 |' "$tmp/decode.md")
[ "$row" = "| base_conv | 256 | 0.1000 | 2.56e+06 | 2.56e+07 | 4096 | 1048576 | 42 | 1.4 |" ] || { echo "FAIL: row '$row'"; exit 1; }
echo "ok: the decode rows match the hand-worked numbers"
