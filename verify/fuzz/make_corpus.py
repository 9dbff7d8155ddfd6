#!/usr/bin/python3
"""Writes the seed corpus of verify/fuzz/: small valid files and slightly broken ones, for each fuzz target.

  corpus/npy/          np.save of every accepted dtype (f4 f8 i4 i8), ranks 0-3, zero-size, format 1.0/2.0/3.0;
                       broken: truncated, trailing bytes, big-endian, fortran order, float16, object, bad magic/version
  corpus/npz/          np.savez (0-3 members), ZIP64 end records (zipfile with a lowered ZIP64_LIMIT, as
                       encode_npz's zip64_limit); broken: savez_compressed, bad CRC, truncated, a member that is not
                       .npy, a member spanning another (nested), a comment after the end record
  corpus/safetensors/  hand-written headers in the official serializer's layout (F32 F64 I32 I64 BF16, metadata,
                       zero-size and rank 0); broken: overlap, hole, trailing bytes, bad dtype, negative extent,
                       offsets out of range, absurd length, 1e999, deep nesting, duplicate keys
  corpus/config/       train/configs/tiny.json, the sweeps' first runs, and edits of tiny.json (other mixers, data tasks), and broken ones
                       (unknown keys, wrong types, 1e999, duplicate keys, nesting past the cap)

Deterministic (np.random.default_rng(SEED)); rerun after a format change:
  /usr/bin/python3 verify/fuzz/make_corpus.py      (Debian's python3-numpy)
"""
import copy
import io
import json
import os
import shutil
import struct
import zipfile

import numpy as np

SEED = 20261123
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
rng = np.random.default_rng(SEED)


def out_dir(name):
    d = os.path.join(HERE, "corpus", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a, allow_pickle=True)
    else:
        np.lib.format.write_array(buf, a, version=version, allow_pickle=True)
    return buf.getvalue()


def arrays():
    return {
        "f32_2x3": rng.standard_normal((2, 3)).astype("<f4"),
        "f64_5": rng.standard_normal(5).astype("<f8"),
        "i32_3x1x2": rng.integers(-9, 9, (3, 1, 2)).astype("<i4"),
        "i64_4": rng.integers(0, 100, 4).astype("<i8"),
        "f32_rank0": np.array(1.5, dtype="<f4"),
        "f64_0x3": np.zeros((0, 3), dtype="<f8"),
    }


# ---- npy ----
d = out_dir("npy")
good = arrays()
for name, a in good.items():
    write(d, name + ".npy", npy_bytes(a))
write(d, "f32_2x3_v2.npy", npy_bytes(good["f32_2x3"], (2, 0)))
write(d, "i64_4_v3.npy", npy_bytes(good["i64_4"], (3, 0)))
base = npy_bytes(good["f32_2x3"])
write(d, "bad_truncated_data.npy", base[:-5])
write(d, "bad_truncated_header.npy", base[:40])
write(d, "bad_trailing.npy", base + b"\0\0\0\0")
write(d, "bad_magic.npy", b"\x93NUMPX" + base[6:])
write(d, "bad_version.npy", base[:6] + b"\x04\x00" + base[8:])
write(d, "bad_big_endian.npy", npy_bytes(good["f32_2x3"].astype(">f4")))
write(d, "bad_fortran.npy", npy_bytes(np.asfortranarray(rng.standard_normal((2, 3)))))
write(d, "bad_float16.npy", npy_bytes(np.ones(3, dtype="<f2")))
write(d, "bad_object.npy", npy_bytes(np.array([1, "a"], dtype=object)))


def npy_edit(b, old, new):
    """b with the header text old replaced by new, the padding before the final newline adjusted to keep the length."""
    end = b.index(b"\n")
    head = b[:end].replace(old, new)
    head = head.rstrip(b" ") + b" " * max(0, end - len(head.rstrip(b" ")))
    return head + b[end:]


write(d, "bad_int_shape.npy", npy_edit(base, b"(2, 3)", b"(6)"))
write(d, "bad_huge_shape.npy", npy_edit(base, b"(2, 3)", b"(99999999999, 9999999999)"))
write(d, "bad_negative_shape.npy", npy_edit(base, b"(2, 3)", b"(-2, 3)"))
write(d, "bad_missing_key.npy", npy_edit(base, b"'fortran_order': False, ", b""))
write(d, "bad_struct.npy", npy_bytes(np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")])))

# ---- npz ----
def npz_bytes(members, compressed=False, zip64_limit=None):
    buf = io.BytesIO()
    saved = zipfile.ZIP64_LIMIT
    if zip64_limit is not None:
        zipfile.ZIP64_LIMIT = zip64_limit
    try:
        (np.savez_compressed if compressed else np.savez)(buf, **members)
    finally:
        zipfile.ZIP64_LIMIT = saved
    return buf.getvalue()


d = out_dir("npz")
small = {"a": good["f32_2x3"], "b": good["i64_4"]}
write(d, "empty.npz", npz_bytes({}))
write(d, "one.npz", npz_bytes({"x": good["f64_5"]}))
write(d, "two.npz", npz_bytes(small))
write(d, "three_mixed.npz", npz_bytes({"r0": good["f32_rank0"], "z": good["f64_0x3"], "i": good["i32_3x1x2"]}))
write(d, "zip64_records.npz", npz_bytes(small, zip64_limit=16))
write(d, "bad_compressed.npz", npz_bytes(small, compressed=True))
two = npz_bytes(small)
start_a = 30 + struct.unpack_from("<H", two, 26)[0] + struct.unpack_from("<H", two, 28)[0]
flip = start_a + len(npy_bytes(small["a"])) - 1  # the first member's last data byte
write(d, "bad_crc.npz", two[:flip] + bytes([two[flip] ^ 1]) + two[flip + 1:])
write(d, "bad_truncated.npz", two[:-30])
write(d, "comment.npz", two[:-2] + struct.pack("<H", 5) + b"hello")
write(d, "bad_is_npy.npz", npy_bytes(good["i64_4"]))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("notes.txt", "not an array")
write(d, "bad_not_npy_member.npz", buf.getvalue())
# Nested: the first member's sizes (local header and central directory) widened to span the second member.
nested = bytearray(two)
cd_offset = struct.unpack_from("<I", two, len(two) - 6)[0]
for at in (18, 22, cd_offset + 20, cd_offset + 24):
    struct.pack_into("<I", nested, at, cd_offset - start_a)
write(d, "bad_nested.npz", bytes(nested))

# ---- safetensors ----
def st_bytes(tensors, metadata=None, raw_header=None, pad=True):
    """tensors: list of (name, dtype, shape, data bytes), laid out in the given order."""
    header, data, off = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, blob in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(blob)]}
        data += blob
        off += len(blob)
    text = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":"))
    text = text.encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


d = out_dir("safetensors")
f32 = good["f32_2x3"].tobytes()
i64 = good["i64_4"].tobytes()
bf16 = (rng.standard_normal(4).astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
write(d, "empty.safetensors", st_bytes([]))
write(d, "one_f32.safetensors", st_bytes([("w", "F32", (2, 3), f32)]))
write(d, "all_dtypes.safetensors", st_bytes([
    ("a", "I64", (4,), i64), ("b", "F64", (5,), good["f64_5"].tobytes()), ("c", "F32", (2, 3), f32),
    ("d", "I32", (3, 1, 2), good["i32_3x1x2"].tobytes()), ("e", "BF16", (2, 2), bf16)]))
write(d, "metadata.safetensors", st_bytes([("w", "F32", (2, 3), f32)], {"format": "pt", "note": "x"}))
write(d, "rank0_zero.safetensors", st_bytes([("s", "F32", (), f32[:4]), ("z", "F64", (0, 3), b"")]))
write(d, "bad_overlap.safetensors", st_bytes([], raw_header=json.dumps(
    {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})) + f32[:12])
write(d, "bad_hole.safetensors", st_bytes([], raw_header=json.dumps(
    {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})) + f32[:8])
write(d, "bad_trailing.safetensors", st_bytes([("w", "F32", (2, 3), f32)]) + b"\0" * 4)
write(d, "bad_dtype.safetensors", st_bytes([("w", "F16", (3,), f32[:6])]))
write(d, "bad_negative.safetensors", st_bytes([], raw_header=json.dumps(
    {"w": {"dtype": "F32", "shape": [-1, 2], "data_offsets": [0, 8]}})) + f32[:8])
write(d, "bad_offsets.safetensors", st_bytes([], raw_header=json.dumps(
    {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 240]}})) + f32)
write(d, "bad_length.safetensors", struct.pack("<Q", 2**40) + b"{}      ")
write(d, "bad_number.safetensors", st_bytes([], raw_header='{"w":{"dtype":"F32","shape":[1e999],"data_offsets":[0,4]}}'))
write(d, "bad_nesting.safetensors", st_bytes([], raw_header='{"__metadata__":' + "[" * 80 + "]" * 80 + "}"))
write(d, "bad_duplicate.safetensors", st_bytes([], raw_header=
      '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')
      + f32[:4])
write(d, "bad_extra_field.safetensors", st_bytes([], raw_header=json.dumps(
    {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}})) + f32[:4])
write(d, "bad_not_object.safetensors", st_bytes([], raw_header="[1,2,3]"))

# ---- config ----
d = out_dir("config")
shutil.copy(os.path.join(ROOT, "train", "configs", "tiny.json"), os.path.join(d, "tiny.json"))
for name in ("sweep-small.json", "zoology-fig2-small.json"):  # a sweep's base plus its first grid point
    with open(os.path.join(ROOT, "train", "configs", name)) as f:
        sweep = json.load(f)
    run = copy.deepcopy(sweep["base"])
    run["name"] = sweep["name"]
    run["model"].update(sweep["grid"]["mixers"][0]["model"])
    run["model"]["d_model"] = sweep["grid"]["d_model"][0]
    run["optimizer"]["lr"] = sweep["grid"].get("lr", [1e-3])[0]
    write(d, name, json.dumps(run, indent=1))
with open(os.path.join(ROOT, "train", "configs", "tiny.json")) as f:
    tiny = json.load(f)


def edited(edit):
    c = copy.deepcopy(tiny)
    edit(c)
    return json.dumps(c, indent=1)


def full_keys(c):
    c.update(schedule="constant", eval_batch_size=16, dropout={"embedding": 0.0, "attention": 0.2, "enabled": True},
             early_stop_accuracy=1.5, accuracy="pooled", precision="double", backend="reference", shuffle=True)
    c["optimizer"].update(weight_decay=0.0, betas=[0.9, 0.98], eps=1e-6)
    c["model"].update(max_position_embeddings=32, layer_norm_eps=1e-6, block="transformer")


def mixers(ms):
    return lambda c: c["model"].__setitem__("mixers", ms)


def data_task(task, params):
    def edit(c):
        seg = {"task": task, "count": 4, "params": params}
        c["data"]["train"] = [seg]
        c["data"]["test"] = [dict(seg)]
    return edit


write(d, "full_keys.json", edited(full_keys))
write(d, "mixers_attention.json", edited(mixers([{"id": "sliding_attn", "window": 4}, {"id": "based"}])))
write(d, "mixers_conv.json", edited(mixers([{"id": "hyena"}, {"id": "h3"}, {"id": "base_conv", "conv": "long_implicit"}])))
write(d, "mixers_recurrent.json", edited(mixers([{"id": "rwkv"}, {"id": "mamba"}])))
write(d, "mamba_block.json", edited(lambda c: (c["model"].update(block="mamba"), mixers([{"id": "mamba"}])(c))))
for task in ("compositional_mqar", "forgetting_mqar", "parity", "cumulative_majority", "associative_recall",
             "disjoint_sets", "mad_fuzzy_in_context_recall", "mad_selective_copying"):
    write(d, f"data_{task}.json", edited(data_task(task, {})))
write(d, "bad_unknown_key.json", edited(lambda c: c.update(epoch=3)))
write(d, "bad_wrong_type.json", edited(lambda c: c["optimizer"].update(lr="fast")))
write(d, "bad_mixer_id.json", edited(mixers([{"id": "attention"}])))
write(d, "bad_missing.json", edited(lambda c: c.pop("model")))
write(d, "bad_data_param.json", edited(data_task("mqar", {"vocab_sise": 3})))
text = json.dumps(tiny)
write(d, "bad_number_overflow.json", text.replace('"lr": 0.003', '"lr": 1e999'))
write(d, "bad_duplicate_key.json", text.replace('"epochs": 3', '"epochs": 3, "epochs": 4'))
write(d, "bad_nested.json", text.replace('"seed": 0', '"seed": ' + "[" * 100 + "]" * 100))
write(d, "bad_syntax.json", text[:-20])
