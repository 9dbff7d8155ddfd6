#!/usr/bin/env python3
"""The ctest test bench_train_config: bench/throughput-train.json against the configs it must follow, and
bench/train_torch.py's translation of it into zoology's model configs (no torch needed).
  verify/bench_train_config_check.py SOURCE_DIR
Checks:
  - every mixer entry of train/configs/zoology-fig2.json's grid is in throughput-train.json under its name with
    the same model object (the mixers' hyperparameters of the Fig. 2 runs), and vocab, layers, d_model list,
    weight decay and embedding dropout are the Fig. 2 config's;
  - the shapes are zoology's Fig. 2 MQAR data (iclr24_zoology_figure2/configs.py): (T, kv pairs, batch) = (64, 4, 512),
    (256, 16, 256), (512, 64, 128), and 100000 training examples, 64 epochs;
  - train_torch.zoology_model_config of each entry at T = 64, d_model 64 gives zoology's classes and kwargs written
    out by hand below from zoology's modules (BaseConv's per-layer kernel sizes [3, -1], Hybrid's configs, MambaBlock,
    position embeddings for attention only).
"""
import json
import os
import sys

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "bench"))
from train_torch import zoology_model_config  # noqa: E402

failures = []
tt = json.load(open(os.path.join(src, "bench", "throughput-train.json")))
fig2 = json.load(open(os.path.join(src, "train", "configs", "zoology-fig2.json")))
mine = {m["name"]: m for m in tt["mixers"]}
for m in fig2["grid"]["mixers"]:
    if m["name"] not in mine:
        failures.append(f"mixer {m['name']} of zoology-fig2.json is missing")
    elif mine[m["name"]]["model"] != {k: v for k, v in m["model"].items()
                                      if not (k == "max_position_embeddings" and mine[m["name"]].get("positions"))}:
        # An entry with "positions": true gets position embeddings of each row's length T; zoology-fig2.json,
        # one N, states its length as max_position_embeddings.
        failures.append(f"mixer {m['name']}: model {mine[m['name']]['model']} differs from zoology-fig2.json's "
                        f"{m['model']}")
for what, a, b in (("model", tt["model"], fig2["base"]["model"]), ("d_model", tt["d_model"], fig2["grid"]["d_model"]),
                   ("weight_decay", tt["optimizer"]["weight_decay"], fig2["base"]["optimizer"]["weight_decay"]),
                   ("embedding dropout", tt["dropout"]["embedding"], fig2["base"]["dropout"]["embedding"])):
    if a != b:
        failures.append(f"{what}: {a} here, {b} in zoology-fig2.json")
if [(s["T"], s["num_kv_pairs"], s["batch_size"]) for s in tt["shapes"]] != [(64, 4, 512), (256, 16, 256),
                                                                            (512, 64, 128)]:
    failures.append(f"shapes {tt['shapes']} are not zoology's Fig. 2 MQAR shapes")
if (tt["train_examples"], tt["epochs"]) != (100000, 64):
    failures.append(f"train_examples, epochs = {tt['train_examples']}, {tt['epochs']}, expected 100000, 64")

BC = "zoology.mixers.base_conv.BaseConv"
conv3 = {"name": BC, "kwargs": {"l_max": 64, "kernel_size": 3}}
want = {
    "base_conv": ("TransformerBlock", 0, {"name": BC, "kwargs": {"l_max": 64, "kernel_size": [3, -1],
                                                                 "implicit_long_conv": True}}),
    "based": ("TransformerBlock", 0, {"name": "zoology.mixers.hybrid.Hybrid", "kwargs": {"configs": [conv3, {
        "name": "zoology.mixers.based.Based",
        "kwargs": {"l_max": 64, "feature_dim": 16, "num_heads": 1, "num_key_value_heads": 1,
                   "feature_name": "taylor_exp", "eps": 1e-12, "train_view": "quadratic"}}]}}),
    "mamba": ("MambaBlock", 0, {"name": "zoology.mixers.mamba.Mamba",
                                "kwargs": {"d_state": 16, "d_conv": 4, "expand": 2, "dt_rank": "auto",
                                           "use_fast_path": False}}),
    "rwkv": ("TransformerBlock", 0, {"name": "zoology.mixers.rwkv.RWKVTimeMixer", "kwargs": {"l_max": 64}}),
    "h3": ("TransformerBlock", 0, {"name": "zoology.mixers.h3.H3", "kwargs": {"l_max": 64, "d_state": 64,
                                                                              "head_dim": 2}}),
    "hyena": ("TransformerBlock", 0, {"name": "zoology.mixers.hyena.Hyena",
                                      "kwargs": {"l_max": 64, "filter_order": 64, "short_filter_order": 3}}),
    "attention": ("TransformerBlock", 64, {"name": "zoology.mixers.attention.MHA",
                                           "kwargs": {"num_heads": 1, "dropout": 0.0}}),
    "sliding_attn": ("TransformerBlock", 0, {"name": "zoology.mixers.hybrid.Hybrid", "kwargs": {"configs": [conv3, {
        "name": "zoology.mixers.slide_attn.SlidingAttn", "kwargs": {"block_size": 64, "dropout": 0.0}}]}}),
}
if set(want) != set(mine):
    failures.append(f"mixers {sorted(mine)}, expected {sorted(want)}")
for name, (block, pos, seq) in want.items():
    if name not in mine:
        continue
    model = dict(tt["model"], **mine[name]["model"], d_model=64)
    if mine[name].get("positions"):
        model["max_position_embeddings"] = 64
    z = zoology_model_config(model, 64, 0.1)
    got = (z["block_type"], z["max_position_embeddings"], z["sequence_mixer"])
    if got != (block, pos, seq):
        failures.append(f"{name}: zoology config {got}, expected {(block, pos, seq)}")
    if (z["d_model"], z["n_layers"], z["vocab_size"], z["embed_dropout"]) != (64, 2, 8192, 0.1):
        failures.append(f"{name}: d_model, n_layers, vocab, embed_dropout = {z['d_model']}, {z['n_layers']}, "
                        f"{z['vocab_size']}, {z['embed_dropout']}")
for bad, why in (({"mixers": [{"id": "gla"}]}, "no zoology peer"), ({"mixers": [{"id": "h3", "x": 1}]}, "unknown"),
                 ({"mixers": [{"id": "mha"}, {"id": "h3"}]}, "several mixers")):
    try:
        zoology_model_config(dict(bad, d_model=64), 64, 0.1)
        failures.append(f"{bad}: accepted, expected a ValueError ({why})")
    except ValueError as e:
        if why not in str(e):
            failures.append(f"{bad}: ValueError '{e}' does not say '{why}'")

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print(f"bench_train_config: {len(mine)} mixers follow zoology-fig2.json and translate to zoology's configs as "
      "written out by hand")
