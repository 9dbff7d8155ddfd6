#!/usr/bin/env python3
"""zoology's own training step as the peer of the GPU backend's, timed the same way in the same invocation of
`menagerie bench train` (issue 16 item 4).

  python3 bench/train_torch.py --steps train_steps.json --out train_torch.json [--peers DIR] [--budget-s 240]
--steps is what bench/train_steps.cpp wrote (our rows: mixer, merged model object, d_model, T, B, steps); --peers
defaults to MENAGERIE_PEERS_DIR, else ../shared/peers beside the project's root (../shared/peers/README.md), else the
project's build-gpu/peers (bench/pack_gpu.sh's copy for the GPU machine); without zoology there the script skips.

The model: zoology.model.LanguageModel (../shared/peers/zoology, imported at run time, never copied) built from each
row's model object (zoology_model_config below: the same vocab, d_model, layers, position embeddings, block type and
mixers with the same hyperparameters, l_max = T; embedding dropout as ours, attention dropout 0 as ours, the Identity
state mixer as zoology's Fig. 2 configs), float32, TF32 off, model.train(). Where our rows were timed in another
precision (train_steps --precision): "tf32" turns torch.backends' allow_tf32 on (matmuls and cuDNN, every GEMM of the
step); "bf16" runs the forward and the loss under torch.autocast("cuda", torch.bfloat16), as a bf16 training loop
does (the backward follows the forward's dtypes; parameters and AdamW stay fp32). Its trainable parameter count is recorded
beside ours (model::param_count) so that the report shows the two models are the same size.
The step, as zoology/train.py's Trainer.train_epoch does it (read there, not copied):
  x, y = inputs.to(dev), targets.to(dev);  optimizer.zero_grad()
  logits = model(x, return_embeddings=False)           [B, T, V]: the tied head at every position (commit 6fcfd35's
                                                        semantics, ../shared/peers/README.md)
  loss = CrossEntropyLoss()(logits.reshape(B T, V), y.flatten())   (ignore_index -100: the labelled positions only)
         + the modules' auxiliary losses (model.apply(get_auxiliary_loss), none for these mixers)
  loss.backward();  optimizer.step();  loss.item()      (AdamW(lr, weight_decay) of the config; zoology reads the loss
                                                        every step for its progress bar, a host synchronisation)
inputs: uniform token ids [B, T] on the host (zoology's DataLoader yields host tensors); targets -100 except the last
num_kv_pairs positions of each example (the number of labelled positions changes nothing in zoology's cost: its head
and loss run over every position).
Timing, as bench/train_steps.cpp times ours: warm-up steps, then each timed step between host clock reads with
torch.cuda.synchronize() after it; the median. Warm-ups and timed steps are the row's (3 and 10 in the committed config)
where the budget allows, fewer where it does not (each row records its own).

Rows where ours failed (an "error" instead of "ms") are skipped. The JSON is rewritten (atomically) after every row,
with meta "partial" until the last write, so a run cut by a caller's time limit keeps the rows it timed. Time budget: rows are timed cheapest first (by our ms, which ranks the shapes within a mixer); every mixer family
keeps its last timed row's seconds per (token x d_model), and a row whose estimate (that x B T d_model, x2 for one
warm-up and one timed step) exceeds what is left of --budget-s (default 240, or MENAGERIE_TRAIN_PEER_BUDGET_S) is
skipped unbuilt with the reason; a row whose first warm-up step alone exceeds what is left is skipped likewise; one
that runs out of GPU memory is skipped with the error. Importing zoology (and compiling RWKV's CUDA extension) comes
before the budget and is recorded as import_s.
Mamba: zoology's MambaBlock with Mamba(use_fast_path=False), selective_scan_fn = zoology's own selective_scan_ref and
causal_conv1d_fn = None (mamba_ssm's CUDA kernels are absent; bench/mixers_torch.py's Zoology does the imports); its
block norm is mamba_ssm's triton RMSNorm where triton imports, else a plain-PyTorch transcription (rms_norm_stand_in). RWKV: its JIT-compiled CUDA
WKV where it compiles, else bench/recurrent_torch.py's transcription (mixers_torch.py's rwkv_path).
Stand-ins, only where the package is missing: pandas with only a DataFrame name (zoology.utils imports it and
annotates with it; Based imports zoology.utils), zoology.config without pydantic.BaseModel (ModuleConfig and ModelConfig
as attribute holders; ../shared/peers/stubs's pydantic has validate_call only), torchvision.ops.StochasticDepth with
p = 0 (zoology's drop_path, the identity). Exits 0 with {"skipped": reason} when torch or a GPU (MENAGERIE_PEER_CPU=1:
on the CPU, for tests) is missing.
"""
import argparse
import datetime
import json
import os
import sys
import time
import types

from torch_peer import default_peers, write_results

CONV = {"short": None, "long_implicit": True, "long_explicit": False}  # zoology BaseConv's implicit_long_conv
# Our mixers' config keys and their defaults (core/mixers/<id>.hpp config_keys), and zoology's module for each.
KEYS = {"base_conv": {"conv": "short", "kernel_size": 3, "l_max": None},
        "hyena": {"l_max": None, "filter_order": 64, "short_filter_order": 3},
        "h3": {"d_state": 64, "head_dim": 2},
        "rwkv": {},
        "mamba": {"d_state": 16, "d_conv": 4, "expand": 2, "dt_rank": 0},
        "based": {"feature_dim": 16, "heads": 1, "eps": 1e-12},
        "mha": {"heads": 1},
        "sliding_attn": {"window": 256}}
MODEL_KEYS = {"vocab_size", "d_model", "n_layers", "max_position_embeddings", "layer_norm_eps", "hybrid", "block",
              "mixers"}


def zoology_mixer(m, T):
    """zoology's {"name", "kwargs"} of our mixer object m at sequence length T; ValueError for what has no peer."""
    mid = m.get("id")
    if mid not in KEYS:
        raise ValueError(f"mixer id {mid!r} has no zoology peer here (known: {', '.join(KEYS)})")
    extra = sorted(set(m) - {"id"} - set(KEYS[mid]))
    if extra:
        raise ValueError(f"{mid}: key(s) {', '.join(extra)} unknown to train_torch.py")
    g = {k: m.get(k, v) for k, v in KEYS[mid].items()}
    if mid == "base_conv":
        if g["conv"] not in CONV:
            raise ValueError(f"base_conv: conv = {g['conv']!r}, expected one of {', '.join(CONV)}")
        short = g["conv"] == "short"
        kw = {"l_max": g["l_max"] or T, "kernel_size": g["kernel_size"] if short else -1}
        if not short:
            kw["implicit_long_conv"] = CONV[g["conv"]]
        return {"name": "zoology.mixers.base_conv.BaseConv", "kwargs": kw}
    if mid == "hyena":
        return {"name": "zoology.mixers.hyena.Hyena",
                "kwargs": {"l_max": g["l_max"] or T, "filter_order": g["filter_order"],
                           "short_filter_order": g["short_filter_order"]}}
    if mid == "h3":
        return {"name": "zoology.mixers.h3.H3", "kwargs": {"l_max": T, "d_state": g["d_state"],
                                                         "head_dim": g["head_dim"]}}
    if mid == "rwkv":
        return {"name": "zoology.mixers.rwkv.RWKVTimeMixer", "kwargs": {"l_max": T}}
    if mid == "mamba":
        return {"name": "zoology.mixers.mamba.Mamba",
                "kwargs": {"d_state": g["d_state"], "d_conv": g["d_conv"], "expand": g["expand"],
                           "dt_rank": g["dt_rank"] or "auto", "use_fast_path": False}}
    if mid == "based":
        return {"name": "zoology.mixers.based.Based",
                "kwargs": {"l_max": T, "feature_dim": g["feature_dim"], "num_heads": g["heads"],
                           "num_key_value_heads": g["heads"], "feature_name": "taylor_exp", "eps": g["eps"],
                           "train_view": "quadratic"}}  # zoology's Fig. 2 config trains Based in its quadratic view
    if mid == "mha":
        return {"name": "zoology.mixers.attention.MHA", "kwargs": {"num_heads": g["heads"], "dropout": 0.0}}
    return {"name": "zoology.mixers.slide_attn.SlidingAttn", "kwargs": {"block_size": g["window"], "dropout": 0.0}}


def zoology_model_config(model, T, embed_dropout):
    """zoology ModelConfig's fields for our merged model object at sequence length T."""
    extra = sorted(set(model) - MODEL_KEYS)
    if extra:
        raise ValueError(f"model key(s) {', '.join(extra)} unknown to train_torch.py")
    mixers, L = model["mixers"], model.get("n_layers", 2)
    block = model.get("block", "transformer")
    if block == "mamba":
        if len(mixers) != 1 or mixers[0].get("id") != "mamba":
            raise ValueError("block mamba: zoology's MambaBlock holds one Mamba mixer")
        seq = zoology_mixer(mixers[0], T)
    elif model.get("hybrid", False):
        seq = {"name": "zoology.mixers.hybrid.Hybrid", "kwargs": {"configs": [zoology_mixer(m, T) for m in mixers]}}
    elif len(mixers) == 1:
        seq = zoology_mixer(mixers[0], T)
    else:  # layer l uses mixers[l % len]: zoology's BaseConv takes a kernel size per layer (-1: the long conv)
        if any(m.get("id") != "base_conv" for m in mixers):
            raise ValueError("several mixers without hybrid: zoology picks per layer only in BaseConv's kernel_size")
        per = [zoology_mixer(mixers[l % len(mixers)], T)["kwargs"] for l in range(L)]
        longs = {k["implicit_long_conv"] for k in per if "implicit_long_conv" in k}
        if len(longs) > 1 or len({k["l_max"] for k in per}) > 1:
            raise ValueError("base_conv per layer: one long-conv kind and one l_max for every layer")
        kw = {"l_max": per[0]["l_max"], "kernel_size": [k["kernel_size"] for k in per]}
        if longs:
            kw["implicit_long_conv"] = longs.pop()
        seq = {"name": "zoology.mixers.base_conv.BaseConv", "kwargs": kw}
    return {"d_model": model["d_model"], "n_layers": L, "vocab_size": model.get("vocab_size", 8192),
            "max_position_embeddings": model.get("max_position_embeddings", 0),
            "layer_norm_epsilon": model.get("layer_norm_eps", 1e-5),
            "block_type": "MambaBlock" if block == "mamba" else "TransformerBlock",
            "sequence_mixer": seq, "state_mixer": {"name": "torch.nn.Identity", "kwargs": {}},
            "embed_dropout": embed_dropout, "resid_dropout": 0.0, "drop_path": 0.0,
            "learnable_word_embeddings": True, "embedding_init_type": "default", "pad_vocab_size_multiple": 1,
            "name": "default"}


def import_language_model(notes):
    """zoology.model.LanguageModel and zoology.config.ModelConfig, with the stand-ins of the docstring where a
    package is missing (after mixers_torch.Zoology has put zoology and the stubs on sys.path)."""
    try:
        import pandas  # noqa: F401  (zoology.utils imports it at the top; nothing here calls what uses it)
    except ImportError:
        pd = sys.modules["pandas"] = types.ModuleType("pandas")
        pd.DataFrame = type("DataFrame", (), {})  # an annotation in zoology.utils
        notes.append("pandas absent: a stand-in module (DataFrame only) for zoology.utils' import")
    try:
        from pydantic import BaseModel  # noqa: F401
    except ImportError:
        from zoology.utils import import_from_str

        class ModuleConfig:
            def __init__(self, name, kwargs=None):
                self.name, self.kwargs = name, dict(kwargs or {})

            def instantiate(self, **kw):
                return import_from_str(self.name)(**kw, **self.kwargs)

        class ModelConfig:
            def __init__(self, **kw):
                kw["sequence_mixer"] = ModuleConfig(**kw["sequence_mixer"])
                kw["state_mixer"] = ModuleConfig(**kw["state_mixer"])
                self.__dict__.update(kw)

        m = types.ModuleType("zoology.config")
        m.ModuleConfig, m.ModelConfig = ModuleConfig, ModelConfig
        sys.modules["zoology.config"] = m
        notes.append("pydantic absent: zoology.config's ModuleConfig and ModelConfig as attribute holders")
    try:
        import torchvision.ops  # noqa: F401
    except ImportError:
        import torch.nn as nn

        class StochasticDepth(nn.Module):
            def __init__(self, p, mode):
                super().__init__()
                if p != 0:
                    raise ValueError("the StochasticDepth stand-in is the identity: drop_path must be 0")

            def forward(self, x):
                return x
        tv = types.ModuleType("torchvision")
        tv.ops = types.ModuleType("torchvision.ops")
        tv.ops.StochasticDepth = StochasticDepth
        sys.modules["torchvision"], sys.modules["torchvision.ops"] = tv, tv.ops
        notes.append("torchvision absent: StochasticDepth(p=0) as the identity")
    try:
        import triton  # noqa: F401
    except ImportError:
        rms_norm_stand_in()
        notes.append("triton absent: MambaBlock's fused add + RMSNorm as plain PyTorch (r = x + residual, "
                     "y = r / sqrt(mean r^2 + eps) * weight)")
    from zoology.config import ModelConfig
    from zoology.model import LanguageModel
    return LanguageModel, ModelConfig


def rms_norm_stand_in():
    """zoology's MambaBlock norm (mamba_ssm's triton RMSNorm and its fused rms_norm_fn) in plain PyTorch, for machines
    without triton: rms_norm_fn(x, weight, bias, residual, prenorm, residual_in_fp32, eps) returns y (and r when
    prenorm), r = x + residual, y = r / sqrt(mean_d r^2 + eps) * weight."""
    import torch
    import zoology.mixers.mamba as mamba

    class RMSNorm(torch.nn.Module):
        def __init__(self, hidden_size, eps=1e-5, device=None, dtype=None):
            super().__init__()
            self.eps = eps
            self.weight = torch.nn.Parameter(torch.ones(hidden_size, device=device, dtype=dtype))
            self.register_parameter("bias", None)

    def rms_norm_fn(x, weight, bias, residual=None, prenorm=False, residual_in_fp32=False, eps=1e-6):
        r = x + residual if residual is not None else x
        if residual_in_fp32:
            r = r.float()
        y = r * torch.rsqrt(r.pow(2).mean(-1, keepdim=True) + eps) * weight
        return (y, r) if prenorm else y
    sys.modules["zoology.mixers.mamba_ssm.triton.layernorm"].RMSNorm = RMSNorm
    mamba.RMSNorm, mamba.rms_norm_fn = RMSNorm, rms_norm_fn


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", required=True, help="bench/train_steps.cpp's JSON (our rows)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--peers", default=default_peers())
    ap.add_argument("--budget-s", type=float,
                    default=float(os.environ.get("MENAGERIE_TRAIN_PEER_BUDGET_S", "240")))
    args = ap.parse_args()
    ours = json.load(open(args.steps))

    def skip(reason):
        json.dump({"skipped": reason}, open(args.out, "w"))
        print(f"train_torch.py: skipped: {reason}", flush=True)
        return 0
    try:
        import torch
    except ImportError as e:
        return skip(f"torch not importable: {e}")
    cuda = torch.cuda.is_available()
    if not cuda and os.environ.get("MENAGERIE_PEER_CPU") != "1":
        return skip("no CUDA device visible to torch")
    peers = os.path.abspath(args.peers)
    if not os.path.isdir(os.path.join(peers, "zoology", "zoology", "mixers")):
        return skip(f"no zoology under {peers} (expected zoology/zoology/mixers; --peers or MENAGERIE_PEERS_DIR)")
    precision = ours.get("precision", "float")
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    dev = torch.device("cuda" if cuda else "cpu")

    t_import = time.monotonic()
    from mixers_torch import Zoology
    zoo = Zoology(peers, torch, cuda)
    LanguageModel, ModelConfig = import_language_model(zoo.notes)
    if not cuda:  # MENAGERIE_PEER_CPU=1 (tests): zoology's TokenEmbeddings puts its tables on device='cuda'
        import zoology.model as zm
        init = zm.TokenEmbeddings.__init__
        zm.TokenEmbeddings.__init__ = lambda self, *a, **k: init(self, *a, **dict(k, device="cpu"))
        zoo.notes.append("CPU test: TokenEmbeddings built on the CPU")
    import_s = time.monotonic() - t_import

    opt_cfg, drop = ours.get("optimizer", {}), ours.get("dropout", {})
    lr, wd = opt_cfg.get("lr", 1e-3), opt_cfg.get("weight_decay", 0.1)
    rows = [dict(mixer=r["mixer"], d_model=r["d_model"], T=r["T"], B=r["B"]) for r in ours["rows"]]
    t_start = time.monotonic()

    def left():
        return args.budget_s - (time.monotonic() - t_start)

    def write(final=False):
        meta = run_meta(torch, dev, cuda, args, zoo, lr, wd, time.monotonic() - t_start, import_s,
                        sum("ms" in r for r in rows), precision)
        write_results(args.out, rows, meta, final)

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def timed(fn):
        t0 = time.perf_counter()
        fn()
        sync()
        return 1e3 * (time.perf_counter() - t0)

    per_unit = {}  # mixer -> seconds per (token x d_model) of its last timed row
    order = sorted(range(len(rows)), key=lambda i: (ours["rows"][i].get("ms", float("inf")), i))
    for i in order:
        r, o = rows[i], ours["rows"][i]
        B, T, d = r["B"], r["T"], r["d_model"]
        tag = f"zoology {r['mixer']} d={d} T={T} B={B}"
        unit = B * T * d
        if "ms" not in o:
            r["skipped"] = "ours failed at this row (train_steps' error), so zoology's is not timed either"
            print(f"{tag}: skipped ({r['skipped']})", flush=True)
            continue
        if r["mixer"] in per_unit and 2 * per_unit[r["mixer"]] * unit > left():
            r["skipped"] = (f"time budget: estimated {2 * per_unit[r['mixer']] * unit:.0f} s for 1 warm-up and 1 "
                            f"timed step, over the {max(left(), 0):.0f} s left of the {args.budget_s:.0f} s budget")
            print(f"{tag}: skipped ({r['skipped']})", flush=True)
            continue
        if left() <= 0:
            r["skipped"] = f"time budget: none of the {args.budget_s:.0f} s left"
            print(f"{tag}: skipped ({r['skipped']})", flush=True)
            continue
        model = optimizer = None
        try:
            cfg = zoology_model_config(o["model"], T, drop.get("embedding", 0.1))
            if r["mixer"] == "rwkv" or any(m.get("id") == "rwkv" for m in o["model"]["mixers"]):
                r["wkv"] = zoo.rwkv_path(T)
            torch.manual_seed(0)
            model = LanguageModel(ModelConfig(**cfg)).to(dev)
            model.train()
            r["params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
            optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
            loss_fn = torch.nn.CrossEntropyLoss()
            g = torch.Generator().manual_seed(0)
            inputs = torch.randint(0, cfg["vocab_size"], (B, T), generator=g)
            targets = torch.full((B, T), -100, dtype=torch.long)
            kv = o.get("num_kv_pairs", 1)
            targets[:, T - kv:] = torch.randint(0, cfg["vocab_size"], (B, kv), generator=g)

            def step():
                x, y = inputs.to(dev), targets.to(dev)
                optimizer.zero_grad()
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    logits = model(x, return_embeddings=False)
                    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.flatten())
                    aux = []
                    model.apply(lambda m: aux.append(m.get_auxiliary_loss()) if hasattr(m, "get_auxiliary_loss")
                                else None)
                    if aux:
                        loss = loss + sum(aux)
                loss.backward()
                optimizer.step()
                return loss.item()

            first = timed(step)
            if 2 * first / 1e3 > left():
                r["skipped"] = (f"time budget: the first warm-up step took {first / 1e3:.1f} s, over half of the "
                                f"{max(left(), 0):.0f} s left")
                print(f"{tag}: skipped ({r['skipped']})", flush=True)
                continue
            warm, n = o.get("warmup", 3), o.get("steps", 10)
            for _ in range(max(warm - 1, 0)):
                if 2 * first / 1e3 > left():
                    break
                timed(step)
            share = max(left(), 0) / max(1, sum(1 for q in rows if "ms" not in q and "skipped" not in q
                                                  and "error" not in q))
            n = max(1, min(n, int(2 * share / (first / 1e3))))
            ms = [timed(step) for _ in range(n)]
            med = sorted(ms)[len(ms) // 2]  # the upper median, as train_steps.cpp takes ours
            per_unit[r["mixer"]] = med / 1e3 / unit
            r.update(ms=med, ms_steps=ms, warmup=warm, steps=n, tokens_per_s=B * T / (med / 1e3))
            print(f"{tag}: {med:.3f} ms per step (median of {n}), {r['tokens_per_s'] / 1e6:.2f} M tokens/s; "
                  f"{left():.0f} s of the budget left", flush=True)
        except Exception as e:
            msg = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            oom = "out of memory" in str(e).lower()
            r["skipped" if oom else "error"] = ("memory: " if oom else "") + msg
            print(f"{tag}: {r.get('error') or r['skipped']}", flush=True)
        finally:
            model = optimizer = None
            if cuda:
                torch.cuda.empty_cache()
            write()

    timed_n = sum("ms" in r for r in rows)
    elapsed = time.monotonic() - t_start
    print(f"train_torch.py: {timed_n} rows timed, {sum('skipped' in r for r in rows)} skipped, "
          f"{sum('error' in r for r in rows)} failed in {elapsed:.0f} s of the {args.budget_s:.0f} s budget", flush=True)
    write(final=True)
    return 0


def run_meta(torch, dev, cuda, args, zoo, lr, wd, elapsed, import_s, timed_n, precision):
    """The peer's provenance and method, as the report prints them."""
    return {"torch": torch.__version__, "cuda": torch.version.cuda,
            "gpu": torch.cuda.get_device_name(dev) if cuda else "cpu (MENAGERIE_PEER_CPU=1: a test, not a timing)",
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "zoology": os.path.abspath(os.path.join(args.peers, "zoology")),
            "model": "zoology.model.LanguageModel (its blocks and mixers; the Identity state mixer)",
            "rwkv_wkv": ("zoology's CUDA extension (T <= 1024), else the PyTorch transcription"
                         if zoo.rwkv_cuda_error is None else
                         f"the PyTorch transcription (zoology's CUDA extension: {zoo.rwkv_cuda_error})"),
            "mamba": "MambaBlock, Mamba(use_fast_path=False) with selective_scan_ref",
            "notes": zoo.notes, "precision": precision, "tf32": torch.backends.cuda.matmul.allow_tf32,
            "autocast": "bfloat16" if precision == "bf16" else None, "dtype": "float32", "optimizer": f"AdamW(lr={lr}, weight_decay={wd})",
            "timing": "host clock around each step with torch.cuda.synchronize() after it, median (each row's "
                      "warmup and steps)",
            "budget_s": args.budget_s, "elapsed_s": round(elapsed, 1), "import_s": round(import_s, 1),
            "timed": timed_n}


if __name__ == "__main__":
    sys.exit(main())
