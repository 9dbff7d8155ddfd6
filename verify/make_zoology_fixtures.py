#!/usr/bin/python3
"""Writes the cross-framework fixtures that `menagerie verify --zoology DIR` compares the double reference with.

For each zoology mixer the project has a contract for and that runs on a CPU, and for zoology's LanguageModel, it
builds zoology's own module at a small size, seeds torch, casts it to float64, runs it forward on a random input and
backward from a random upstream gradient, and writes one folder per case:

  DIR/<case>/manifest.json           {"kind": "mixer", "mixer": {"id": <contract id>, <config keys>}, "d_model",
                                      "B", "T", "seed", "torch", "zoology", "module", "notes"}
                                     or {"kind": "model", "model": <run-config model object>, "B", "T", ...}
  DIR/<case>/state_dict.safetensors  module.state_dict() in float64, under its exact names (aliases included)
  DIR/<case>/inputs.safetensors      mixer: u [B, T, d], dy [B, T, d];  model: ids [B, T] I64, labels [B, T] I64
  DIR/<case>/outputs.safetensors     mixer: y, du, grad.<name>;  model: logits [B, T, V], loss [], grad.<name>
                                     (a gradient for every distinct tensor of the state_dict: buffers and frozen
                                     parameters are given requires_grad for the backward, so the reference's
                                     gradients of those are checked too)

Safetensors files are written by hand (JSON header + raw little-endian data, ordered as the official serializer
orders them) so that the `safetensors` package is not needed.

What runs, and how (zoology at the commit of ../shared/peers/README.md):
  mha, sliding_attn, based, base_conv (short, long_implicit, long_explicit), hyena, h3: zoology's modules as they are.
  h3 and mamba: their code casts to float32 in places (`.float()`, `.to(torch.float32)`: SSKernelShift, _r2c of the
    diagonal kernel, Mamba's A/D/delta_bias, selective_scan_ref); those casts are lifted to float64 while the module
    runs (lift_float32_casts), otherwise the comparison would measure float32 rounding, not the math.
  mamba: zoology.mixers.mamba imports causal_conv1d, mamba_ssm's CUDA extensions and a triton layer norm; stand-in
    modules make the import succeed, use_fast_path=False takes the plain path (nn.Conv1d + SiLU), and
    selective_scan_fn is zoology's own selective_scan_ref (plain PyTorch) -- the peer named in ../shared/peers.
  rwkv: not written. zoology.mixers.rwkv compiles its WKV CUDA kernel with torch's JIT loader at import and has no
    plain-PyTorch path (and runs WKV in bf16); a transcription of the recurrence would be our code, not zoology's.
  LanguageModel: zoology.model.LanguageModel (TransformerBlock, Identity state mixer, tied head), logits through
    return_embeddings=False (the published semantics, ../shared/peers/README.md), mean cross-entropy over labels
    != -100. pandas (imported by zoology.utils, unused here), pydantic's BaseModel (../shared/peers/stubs has only
    validate_call) and torchvision's StochasticDepth get stand-ins when absent (drop_path = 0 makes StochasticDepth
    the identity); TokenEmbeddings' default device 'cuda' becomes 'cpu'. Parameters that train get + 0.5 N(0, 1)
    on top of zoology's init (N(0, 0.02) weights, zero biases) so that every tensor compared is O(1).

Run where torch is present (Debian: apt-get install python3-torch python3-torchvision; pip install opt-einsum and
../shared/peers/wheels/einops-*.whl):
  PYTHONPATH=../shared/peers/zoology:../shared/peers/stubs /usr/bin/python3 verify/make_zoology_fixtures.py \
      verify/fixtures/zoology
Rerunning with the same torch gives the same bytes (manual_seed per case).
"""
import contextlib
import json
import os
import shutil
import struct
import subprocess
import sys
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
ZOOLOGY = os.environ.get("ZOOLOGY_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "..", "..", "shared", "peers", "zoology"))


# ---------------------------------------------------------------- safetensors, by hand
_ORDER = {torch.int64: (0, "I64", "<q"), torch.float64: (1, "F64", "<d")}


def write_safetensors(path, tensors):
    """Writes {name: tensor} (float64 or int64) as the official serializer does: entries sorted by dtype
    (I64 before F64) then name, compact JSON header padded with spaces to a multiple of 8."""
    items = sorted(tensors.items(), key=lambda kv: (_ORDER[kv[1].dtype][0], kv[0]))
    header, blobs, offset = {}, [], 0
    for name, t in items:
        _, code, fmt = _ORDER[t.dtype]
        flat = t.detach().contiguous().reshape(-1).tolist()
        blob = struct.pack("<%d%s" % (len(flat), fmt[1]), *flat)
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- float32 casts lifted to float64
@contextlib.contextmanager
def lift_float32_casts():
    """Inside: x.float() and x.to(torch.float32) / x.to(dtype=torch.float32) leave a float64 x as it is."""
    orig_float, orig_to = torch.Tensor.float, torch.Tensor.to

    def f(self, *a, **k):
        return self if self.dtype == torch.float64 else orig_float(self, *a, **k)

    def to(self, *a, **k):
        target = k.get("dtype", a[0] if a and isinstance(a[0], torch.dtype) else None)
        if target == torch.float32 and self.dtype == torch.float64:
            return self
        return orig_to(self, *a, **k)

    torch.Tensor.float, torch.Tensor.to = f, to
    try:
        yield
    finally:
        torch.Tensor.float, torch.Tensor.to = orig_float, orig_to


# ---------------------------------------------------------------- import stand-ins
def stand_in(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def stand_in_if_absent(name, **attrs):
    """An empty module for an import zoology makes but the code run here does not use (zoology.utils imports
    pandas for its result tables)."""
    try:
        __import__(name)
    except ImportError:
        stand_in(name, **attrs)


def import_mamba():
    """zoology.mixers.mamba without causal_conv1d, mamba_ssm's CUDA extensions or triton."""
    stand_in("causal_conv1d", causal_conv1d_fn=None)
    stand_in("causal_conv1d_cuda")
    stand_in("selective_scan_cuda")
    stand_in("zoology.mixers.mamba_ssm.triton.layernorm", RMSNorm=None, layer_norm_fn=None, rms_norm_fn=None)
    import zoology.mixers.mamba as mamba
    from zoology.mixers.mamba_ssm.selective_scan_interface import selective_scan_ref
    assert mamba.causal_conv1d_fn is None
    mamba.selective_scan_fn = selective_scan_ref
    return mamba


def import_model():
    """zoology.model with pydantic's BaseModel and torchvision's StochasticDepth given stand-ins where absent."""
    try:
        import zoology.config  # noqa: F401  (needs the real pydantic)
    except ImportError:
        from zoology.utils import import_from_str

        class ModuleConfig:
            def __init__(self, name, kwargs=None):
                self.name, self.kwargs = name, dict(kwargs or {})

            def instantiate(self, **kwargs):
                return import_from_str(self.name)(**kwargs, **self.kwargs)

        class ModelConfig:
            def __init__(self, **kw):
                self.__dict__.update(dict(
                    sequence_mixer=None, state_mixer=ModuleConfig("torch.nn.Identity"), d_model=128, n_layers=2,
                    max_position_embeddings=64, learnable_word_embeddings=True, embedding_init_type="default",
                    vocab_size=8192, resid_dropout=0.0, embed_dropout=0.1, drop_path=0.0, layer_norm_epsilon=1e-5,
                    pad_vocab_size_multiple=1, block_type="TransformerBlock", name="default"))
                self.__dict__.update(kw)

        stand_in("zoology.config", ModuleConfig=ModuleConfig, ModelConfig=ModelConfig)
    try:
        import torchvision.ops  # noqa: F401
    except ImportError:
        class StochasticDepth(nn.Module):
            def __init__(self, p, mode):
                super().__init__()
                assert p == 0.0

            def forward(self, x):
                return x

        tv = stand_in("torchvision")
        tv.ops = stand_in("torchvision.ops", StochasticDepth=StochasticDepth)
    import zoology.config as config
    import zoology.model as model
    # TokenEmbeddings defaults to device='cuda' and LMBackbone passes none: the CPU instead.
    defaults = model.TokenEmbeddings.__init__.__defaults__
    model.TokenEmbeddings.__init__.__defaults__ = tuple("cpu" if d == "cuda" else d for d in defaults)
    return config, model


# ---------------------------------------------------------------- one case
def grads_of_everything(module):
    """Every distinct tensor of the state_dict made a leaf that wants its gradient (buffers and frozen parameters
    included); returns {name: tensor} under each tensor's first name (named_parameters' / named_buffers' order)."""
    leaves = {}
    for name, p in module.named_parameters():
        p.requires_grad_(True)
        leaves[name] = p
    for name, b in module.named_buffers():
        b.requires_grad_(True)
        leaves[name] = b
    return leaves


def zoology_version():
    try:
        return subprocess.run(["git", "-C", ZOOLOGY, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "d88d6f5474f36998d82d5c3bd58a190248d0a669 (../shared/peers/README.md)"


def write_case(out, case, manifest, module, inputs, outputs):
    folder = os.path.join(out, case)
    os.makedirs(folder)
    sd = {k: v.detach().to(torch.float64) for k, v in module.state_dict(keep_vars=True).items()}
    write_safetensors(os.path.join(folder, "state_dict.safetensors"), sd)
    write_safetensors(os.path.join(folder, "inputs.safetensors"), inputs)
    write_safetensors(os.path.join(folder, "outputs.safetensors"), outputs)
    manifest = dict(manifest, torch=torch.__version__, zoology=zoology_version())
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    worst = max(float(t.abs().max()) for t in outputs.values())
    print(f"{case:24s} {len(sd):3d} state_dict tensors, {len(outputs):3d} outputs, max |output| {worst:.3g}")


def mixer_case(out, case, seed, make, mixer, d, B, T, lift=False, notes=""):
    torch.manual_seed(seed)
    module = make().to(torch.float64).eval()
    leaves = grads_of_everything(module)
    u = torch.randn(B, T, d).requires_grad_(True)
    dy = torch.randn(B, T, d)
    with lift_float32_casts() if lift else contextlib.nullcontext():
        y = module(u)
        y.backward(dy)
    assert y.dtype == torch.float64 and y.shape == (B, T, d), (case, y.dtype, y.shape)
    outputs = {"y": y.detach(), "du": u.grad}
    for name, t in leaves.items():
        outputs["grad." + name] = t.grad if t.grad is not None else torch.zeros_like(t)
    write_case(out, case, {"kind": "mixer", "mixer": mixer, "d_model": d, "B": B, "T": T, "seed": seed,
                           "module": f"{type(module).__module__}.{type(module).__name__}", "notes": notes},
               module, {"u": u.detach(), "dy": dy}, outputs)


def model_case(out, case, seed, config_mod, model_mod, mixer, kwargs, ours, d, V, B, T, notes=""):
    torch.manual_seed(seed)
    cfg = config_mod.ModelConfig(
        sequence_mixer=config_mod.ModuleConfig(name=mixer, kwargs=kwargs),
        state_mixer=config_mod.ModuleConfig(name="torch.nn.Identity", kwargs={}),
        d_model=d, n_layers=2, max_position_embeddings=0, vocab_size=V, embed_dropout=0.0, resid_dropout=0.0,
        drop_path=0.0, layer_norm_epsilon=1e-5, learnable_word_embeddings=True)
    module = model_mod.LanguageModel(cfg).to(torch.float64).eval()
    with torch.no_grad():  # zoology's init zeroes the norms' biases and gives N(0, 0.02) weights: O(1) instead
        for p in module.parameters():
            if p.requires_grad:
                p.add_(0.5 * torch.randn_like(p))
    leaves = grads_of_everything(module)
    ids = torch.randint(0, V, (B, T), dtype=torch.int64)
    labels = torch.randint(0, V, (B, T), dtype=torch.int64)
    labels[:, : T // 2] = -100  # MQAR-like: only the later positions are labelled
    labels[0, T - 2] = -100
    logits = module(ids, return_embeddings=False)
    loss = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
    loss.backward()
    outputs = {"logits": logits.detach(), "loss": loss.detach()}
    for name, t in leaves.items():
        outputs["grad." + name] = t.grad if t.grad is not None else torch.zeros_like(t)
    model = {"vocab_size": V, "d_model": d, "n_layers": 2, "max_position_embeddings": 0, "layer_norm_eps": 1e-5,
             "mixers": ours}
    write_case(out, case, {"kind": "model", "model": model, "B": B, "T": T, "seed": seed,
                           "module": "zoology.model.LanguageModel", "mixer_module": mixer, "mixer_kwargs": kwargs,
                           "notes": notes},
               module, {"ids": ids, "labels": labels}, outputs)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_zoology_fixtures.py OUT_DIR")
    out = sys.argv[1]
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    stand_in_if_absent("pandas", DataFrame=object)  # only in annotations there
    from zoology.mixers.attention import MHA
    from zoology.mixers.slide_attn import SlidingAttn
    from zoology.mixers.based import Based
    from zoology.mixers.base_conv import BaseConv
    from zoology.mixers.hyena import Hyena
    from zoology.mixers.h3.h3 import H3
    mamba = import_mamba()
    lifted = "float32 casts inside the module lifted to float64 (lift_float32_casts)"

    mixer_case(out, "mha", 1, lambda: MHA(8, num_heads=2), {"id": "mha", "heads": 2}, 8, 2, 7)
    mixer_case(out, "sliding_attn", 2, lambda: SlidingAttn(8, block_size=3), {"id": "sliding_attn", "window": 3},
               8, 2, 11)
    mixer_case(out, "based", 3,
               lambda: Based(8, feature_dim=4, num_heads=2, num_key_value_heads=2, feature_name="taylor_exp",
                             train_view="linear"),
               {"id": "based", "feature_dim": 4, "heads": 2, "eps": 1e-12}, 8, 2, 9)
    mixer_case(out, "base_conv_short", 4, lambda: BaseConv(8, l_max=7, kernel_size=3),
               {"id": "base_conv", "conv": "short", "kernel_size": 3, "l_max": 7}, 8, 2, 7)
    mixer_case(out, "base_conv_long_implicit", 5,
               lambda: BaseConv(8, l_max=9, kernel_size=-1, implicit_long_conv=True),
               {"id": "base_conv", "conv": "long_implicit", "l_max": 9}, 8, 2, 9)
    mixer_case(out, "base_conv_long_explicit", 6,
               lambda: BaseConv(8, l_max=9, kernel_size=-1, implicit_long_conv=False),
               {"id": "base_conv", "conv": "long_explicit", "l_max": 9}, 8, 2, 8,
               notes="l_max = T + 1: zoology's circular FFT of size 2T is causal up to l_max <= T + 1")
    mixer_case(out, "hyena", 7, lambda: Hyena(8, l_max=10, filter_order=16, short_filter_order=3),
               {"id": "hyena", "l_max": 10, "filter_order": 16, "short_filter_order": 3}, 8, 2, 10)
    mixer_case(out, "h3", 8, lambda: H3(8, d_state=8, l_max=9, head_dim=2),
               {"id": "h3", "d_state": 8, "head_dim": 2}, 8, 2, 9, lift=True, notes=lifted)
    mixer_case(out, "mamba", 9, lambda: mamba.Mamba(8, d_state=4, d_conv=4, expand=2, use_fast_path=False),
               {"id": "mamba", "d_state": 4, "d_conv": 4, "expand": 2, "dt_rank": 1}, 8, 2, 7, lift=True,
               notes=lifted + "; causal_conv1d / mamba_ssm CUDA / triton stand-ins; use_fast_path=False; "
                              "selective_scan_fn = zoology's selective_scan_ref")

    config_mod, model_mod = import_model()
    model_case(out, "lm_base_conv", 10, config_mod, model_mod, "zoology.mixers.base_conv.BaseConv",
               {"l_max": 8, "kernel_size": [3, -1], "implicit_long_conv": True},
               [{"id": "base_conv", "conv": "short", "kernel_size": 3, "l_max": 8},
                {"id": "base_conv", "conv": "long_implicit", "l_max": 8}], 8, 12, 2, 8,
               notes="BaseConv kernel_size [3, -1]: short conv in layer 0, implicit long conv in layer 1")
    model_case(out, "lm_mha", 11, config_mod, model_mod, "zoology.mixers.attention.MHA", {"num_heads": 2},
               [{"id": "mha", "heads": 2}], 8, 12, 2, 7)


if __name__ == "__main__":
    main()
