#!/usr/bin/env python3
"""PyTorch peers of the convolution family in bench/kernels_bench.cpp, timed the same way in the same invocation of
`menagerie bench conv`.

  python3 bench/conv_torch.py --cases conv_cases.json --out conv_torch.json

The shapes are the ones kernels_bench timed (kernels_bench --ops=short_conv,long_conv --cases-out writes them from
the contracts' gpu_bench_cases), so both sides run one grid. Every case gets its peer in the case's dtype (float32 or
bfloat16) and direction: fwd (forward under no_grad), bwd (torch.autograd.grad of one retained forward's output
with a random upstream gradient: the backward alone, as kernels_bench times our backward after its forward) and
fwdbwd (forward and that backward in one timed region). Two cases that differ only in our variant share one peer row.

long_conv, peer "torch_fft_conv": zoology's fft_conv (zoology/mixers/listing.py and convolution.py), written here
from its math rather than copied:
    n = 2T;  y = irfft( rfft(u, n) * (rfft(k, n) / n), n, norm="forward" )[..., :T]
i.e. the filter's spectrum divided by n and an inverse without the 1/n: the normalisation zoology uses (net scale 1,
so y is the causal convolution of the contract). Layout timed: u [B, D, T] (what zoology's modules hold after their
transpose; the transposes themselves are not timed, which favours the peer: ours reads u [B, T, D]), k [D, L] with
L = T in the benchmark grid (only the first T taps enter, so k is sliced to T when L > T). bfloat16 cases: u and k are
stored in bfloat16 and cast to float32 inside, y cast back to bfloat16, as zoology does (u.to(k.dtype) before the
rfft, the module's .to(dtype=u.dtype) after): torch.fft has no bfloat16 transform, so the FFTs run in float32 and the
casts are part of the peer's time. The filter's FFT is in the timed region on both sides (zoology recomputes it on
every call).

short_conv, peer "torch_conv1d": torch's depthwise convolution as zoology's ShortConvolution (nn.Conv1d with
groups = D, padding = K - 1, the first T outputs kept):
    y = F.conv1d(u, w, bias, padding=K-1, groups=D)[..., :T],  u [B, D, T], w [D, 1, K], bias [D]
in the case's dtype (cuDNN runs bfloat16 natively). Layout timed: [B, D, T], again without ShortConvolution's two
transposes.

Each timed call: L2 flushed (a fill of twice the L2), CUDA events around the call, median of the calls after two
warm-ups (as bench/attention_torch.py and kernels_bench). TF32 is off. "gbs" is the effective bandwidth from the
contract's minimum HBM bytes (u, y, the filter taps that enter: long_conv 2BTD + DT, short_conv 2BTD + D(K+1)
elements; x2 backward, x3 fwdbwd), the count kernels_bench's GB/s uses, so the columns compare. Exits 0 with
{"skipped": reason} when torch or a GPU is missing.
"""
import datetime
import json
import sys

from torch_peer import Peer

FACTOR = {"fwd": 1.0, "bwd": 2.0, "fwdbwd": 3.0}


def hbm_elements(op, f):
    B, T, D = int(f["B"]), int(f["T"]), int(f["D"])
    if op == "long_conv":
        return 2.0 * B * T * D + D * T
    return 2.0 * B * T * D + D * (int(f["K"]) + 1)


def main():
    peer = Peer("PyTorch peers of the convolution kernels")
    if peer.skipped:
        return 0
    args, cases, torch, dev, median_ms = peer.args, peer.cases, peer.torch, peer.dev, peer.median_ms
    import torch.nn.functional as F

    def rand(g, dtype, *shape):
        return torch.rand(*shape, device=dev, dtype=torch.float32, generator=g).mul_(2).sub_(1).to(dtype)

    def fft_conv(u, k):
        """zoology's fft_conv from its math: u [B, D, T], k [D, >= T]; float32 FFTs, y in u's dtype."""
        T = u.shape[-1]
        n = 2 * T
        if k.shape[-1] > T:
            k = k[..., :T]
        k_f = torch.fft.rfft(k.float(), n=n) / n
        u_f = torch.fft.rfft(u.float(), n=n)
        return torch.fft.irfft(u_f * k_f, n=n, norm="forward")[..., :T].to(u.dtype)

    def peer_case(op, dtype_name, direction, f):
        dt = torch.bfloat16 if dtype_name == "bfloat16" else torch.float32
        B, T, D = int(f["B"]), int(f["T"]), int(f["D"])
        g = torch.Generator(device=dev).manual_seed(7)
        if op == "long_conv":
            L = int(f.get("L", T))
            u, k = rand(g, dt, B, D, T), rand(g, dt, D, L)
            params = (u, k)
            fwd = lambda: fft_conv(u, k)
        else:
            K = int(f["K"])
            u, w, bias = rand(g, dt, B, D, T), rand(g, dt, D, 1, K), rand(g, dt, D)
            params = (u, w, bias)
            fwd = lambda: F.conv1d(u, w, bias, padding=K - 1, groups=D)[..., :T]
        dy = rand(g, dt, B, D, T)
        if direction == "fwd":
            fn = fwd
        else:
            for p in params:
                p.requires_grad_(True)
            if direction == "bwd":
                out = fwd()
                fn = lambda: torch.autograd.grad(out, params, dy, retain_graph=True)
            else:
                fn = lambda: torch.autograd.grad(fwd(), params, dy)
        nbytes = hbm_elements(op, f) * (2 if dt == torch.bfloat16 else 4) * FACTOR[direction]
        est = nbytes / 2e11  # torch's FFT conv runs at about 0.2 TB/s effective (issue 14)
        iters = int(min(50, max(3, 0.5 / est)))
        with torch.no_grad() if direction == "fwd" else torch.enable_grad():
            ms = median_ms(fn, iters)
        return ms, nbytes / (ms / 1e3) / 1e9

    results = []
    done = set()
    for c in cases:
        op = c["op"]
        if op not in ("long_conv", "short_conv"):
            continue
        f = c["fields"]
        key = (op, c["dtype"], c["direction"], tuple(sorted(f.items())))
        if key in done:
            continue
        done.add(key)
        row = {"peer": "torch_fft_conv" if op == "long_conv" else "torch_conv1d", "op": op, "dtype": c["dtype"],
               "direction": c["direction"], **{k: int(v) for k, v in f.items()}}
        shape = " ".join(f"{k}={int(v)}" for k, v in f.items())
        try:
            ms, gbs = peer_case(op, c["dtype"], c["direction"], f)
            row.update(ms=ms, gbs=gbs)
            print(f"torch {row['peer']} {c['dtype']} {c['direction']} {shape}: {ms:.3f} ms, {gbs:.0f} GB/s", flush=True)
        except Exception as e:  # e.g. out of memory at T = 64k backward
            row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            print(f"torch {row['peer']} {c['dtype']} {c['direction']} {shape} failed: {row['error']}", flush=True)
        results.append(row)
        torch.cuda.empty_cache()

    meta = {"torch": torch.__version__, "cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name(dev),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "layout": "[B, D, T] (zoology's after its transposes, which are not timed); ours: [B, T, D]",
            "fft_conv": "irfft(rfft(u, 2T) * rfft(k, 2T) / 2T, 2T, norm='forward')[..., :T]; float32 FFTs, "
                        "bfloat16 cases cast in and out inside the timed region",
            "conv1d": "F.conv1d(u, w, bias, padding=K-1, groups=D)[..., :T] in the case's dtype",
            "tf32": False, "timing": "CUDA events per call, L2 flushed before each, median; 2 warm-up calls"}
    json.dump({"meta": meta, "results": results}, open(args.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
