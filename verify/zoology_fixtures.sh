#!/bin/bash
# menagerie verify --zoology on the committed fixtures (verify/fixtures/zoology, written from zoology's PyTorch
# modules by verify/make_zoology_fixtures.py): every case must pass at 1e-10. Then, on copies in a temp dir, the check
# must see what it is for:
#   - the largest element of mha's y scaled by 1 + 1e-8: exit 1 with the y row and the mha case marked FAIL;
#   - bad input, exit 2 with a one-line error naming the value: an unknown mixer id, a T that no longer matches the
#     tensors, an output gradient removed (a tensor on one side only), a hyena filter-frequency alias that differs
#     from the tensor it aliases, a folder that does not exist.
# Usage: zoology_fixtures.sh MENAGERIE_BINARY FIXTURES_DIR
set -euo pipefail
bin=$1
fixtures=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Edits a safetensors file in place: python3 with the standard library only.
st_edit() {  # st_edit FILE ACTION [NAME]   ACTION: scale_max NAME | drop NAME | bump_first NAME
  python3 - "$@" <<'PY'
import json, struct, sys
path, action, name = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
tensors = {k: (v, data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items() if k != "__metadata__"}
meta, blob = tensors[name]
vals = list(struct.unpack("<%dd" % (len(blob) // 8), blob))
if action == "scale_max":
    i = max(range(len(vals)), key=lambda j: abs(vals[j]))
    vals[i] *= 1 + 1e-8
elif action == "bump_first":
    vals[0] += 1.0
if action == "drop":
    del tensors[name]
else:
    tensors[name] = (meta, struct.pack("<%dd" % len(vals), *vals))
out, blobs, off = {}, [], 0
for k, (m, b) in tensors.items():
    out[k] = dict(m, data_offsets=[off, off + len(b)])
    blobs.append(b)
    off += len(b)
text = json.dumps(out, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(path, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
PY
}

# 1. The committed fixtures pass, every case of them.
"$bin" verify --zoology "$fixtures" >"$dir/ok.txt" || { cat "$dir/ok.txt"; fail "the committed fixtures do not pass"; }
cases=$(find "$fixtures" -mindepth 1 -maxdepth 1 -type d | wc -l)
passed=$(grep -cE '^[a-z0-9_]+ +[0-9]+ +[0-9.e+-]+ +.* PASS$' "$dir/ok.txt" || true)
[ "$cases" -ge 11 ] && [ "$passed" -eq "$cases" ] || { cat "$dir/ok.txt"; fail "$passed PASS lines for $cases cases"; }

# 2. A planted disagreement of 1e-8 relative in one value: exit 1, the tensor named.
mkdir "$dir/perturbed"
cp -r "$fixtures/mha" "$dir/perturbed/"
st_edit "$dir/perturbed/mha/outputs.safetensors" scale_max y
set +e
"$bin" verify --zoology "$dir/perturbed" >"$dir/p.txt" 2>"$dir/p.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$dir/p.txt" "$dir/p.err"; fail "perturbed y: exit $rc, expected 1"; }
grep -qE '^mha +y +\[2, 7, 8\] +[0-9.e+-]+ +FAIL$' "$dir/p.txt" || { cat "$dir/p.txt"; fail "no FAIL row for mha y"; }
grep -qE '^mha +du +.* ok$' "$dir/p.txt" || { cat "$dir/p.txt"; fail "du should still agree"; }

# 3. Bad input: exit 2 and a one-line message naming the value.
expect_2() {  # expect_2 WHAT PATTERN DIR
  set +e
  "$bin" verify --zoology "$3" >"$dir/b.txt" 2>"$dir/b.err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$dir/b.txt" "$dir/b.err"; fail "$1: exit $rc, expected 2"; }
  [ "$(wc -l <"$dir/b.err")" -eq 1 ] && grep -q -- "$2" "$dir/b.err" || { cat "$dir/b.err"; fail "$1: message"; }
}
fresh() {  # fresh NAME CASE: a copy of one case in $dir/NAME
  rm -rf "${dir:?}/$1"
  mkdir "$dir/$1"
  cp -r "$fixtures/$2" "$dir/$1/"
}
fresh id mha
sed -i 's/"id": "mha"/"id": "mhaa"/' "$dir/id/mha/manifest.json"
expect_2 "unknown id" '"mhaa": expected one of mha, sliding_attn' "$dir/id"
fresh t mha
sed -i 's/"T": 7/"T": 8/' "$dir/t/mha/manifest.json"
expect_2 "T mismatch" "has shape \[2, 7, 8\], expected \[2, 8, 8\]" "$dir/t"
fresh drop sliding_attn
st_edit "$dir/drop/sliding_attn/outputs.safetensors" drop grad.out_proj.bias
expect_2 "one side only" "'grad.out_proj.bias' of the reference is missing" "$dir/drop"
fresh alias hyena
st_edit "$dir/alias/hyena/state_dict.safetensors" bump_first filter_fn.implicit_filter.5.freq
expect_2 "alias differs" "'filter_fn.implicit_filter.5.freq' is an alias of 'filter_fn.implicit_filter.1.freq'" \
  "$dir/alias"
expect_2 "missing folder" "not a directory" "$dir/no-such-folder"
echo "zoology_fixtures: $passed cases pass; a 1e-8 perturbation fails (exit 1); 5 bad inputs exit 2"
