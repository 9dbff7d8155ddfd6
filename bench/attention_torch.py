#!/usr/bin/env python3
"""PyTorch peers of bench/kernels_bench.cpp, timed the same way in the same invocation of `menagerie bench kernels`.

  python3 bench/attention_torch.py --cases cases.json --out attention_torch.json

The shapes are the ones kernels_bench timed: it writes them (from the contracts' gpu_bench_cases) to the cases
file this script reads, so both sides run one grid. Each softmax_attention case gets the SDPA peer in its dtype and
direction, each linear_attention case the Based peer.

torch.nn.functional.scaled_dot_product_attention (is_causal=True; PyTorch picks its backend: FlashAttention-2 for
bf16, the memory-efficient kernel for fp32, with TF32 disabled) at the harness's shapes, forward and backward
(torch.autograd.grad of the output with a random upstream gradient). Layout [B, H, T, D] (SDPA's native one; ours
is [B, T, H, D]). Each timed call: L2 flushed (a memset of twice the L2), CUDA events around the call, median of
the calls after two warm-ups. FLOPs use the contract's count (exact causal pairs; backward 2.5x), so TFLOP/s are
comparable column to column. Exits 0 with {"skipped": reason} when torch or a GPU is missing.
"""
import datetime
import json
import sys

from torch_peer import Peer


def causal_flops(B, T, H, D, Dv, window=-1):
    pairs = sum(min(t, window) + 1 if window >= 0 else t + 1 for t in range(T)) if window >= 0 else T * (T + 1) // 2
    return 2.0 * B * H * pairs * (D + Dv)


def main():
    peer = Peer("PyTorch peers of the attention kernels")
    if peer.skipped:
        return 0
    args, cases, torch, dev, median_ms = peer.args, peer.cases, peer.torch, peer.dev, peer.median_ms
    import torch.nn.functional as F

    results = []

    def sdpa(B, T, H, D, dtype, backward, window=-1):
        g = torch.Generator(device=dev).manual_seed(7)
        q, k, v, do = (torch.rand(B, H, T, D, device=dev, dtype=torch.float32, generator=g).mul_(2).sub_(1).to(dtype)
                       for _ in range(4))
        mask = None
        if window >= 0:
            t = torch.arange(T, device=dev)
            mask = (t[None, :] <= t[:, None]) & (t[None, :] >= t[:, None] - window)
        if backward:
            q.requires_grad_(True)
            k.requires_grad_(True)
            v.requires_grad_(True)

        def fwd():
            if mask is None:
                return F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

        flops = causal_flops(B, T, H, D, D, window)
        est = flops * (2.5 if backward else 1.0) / (2e14 if dtype == torch.bfloat16 else 1.5e13)
        iters = int(min(50, max(3, 0.5 / est)))
        if backward:
            out = fwd()
            fn = lambda: torch.autograd.grad(out, (q, k, v), do, retain_graph=True)
        else:
            fn = lambda: fwd()
        with torch.no_grad() if not backward else torch.enable_grad():
            ms = median_ms(fn, iters)
        results.append({"peer": "torch_sdpa", "dtype": "bf16" if dtype == torch.bfloat16 else "fp32",
                        "backward": backward, "B": B, "T": T, "H": H, "D": D, "window": window, "ms": ms,
                        "tflops": flops * (2.5 if backward else 1.0) / (ms / 1e3) / 1e12})
        print(f"torch sdpa {results[-1]['dtype']} {'bwd' if backward else 'fwd'} B={B} T={T} H={H} D={D} "
              f"window={window}: {ms:.3f} ms, {results[-1]['tflops']:.1f} TFLOP/s", flush=True)
        del q, k, v, do
        torch.cuda.empty_cache()

    def guarded(*a):
        try:
            sdpa(*a)
        except Exception as e:  # e.g. out of memory on a backend that materialises T x T
            B, T, H, D, dt, bwd = a[:6]
            results.append({"peer": "torch_sdpa", "dtype": "bf16" if dt == torch.bfloat16 else "fp32",
                            "backward": bwd, "B": B, "T": T, "H": H, "D": D, "window": a[6] if len(a) > 6 else -1,
                            "error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"})
            print("torch sdpa failed:", results[-1], flush=True)
            torch.cuda.empty_cache()

    done = set()
    for c in cases:
        if c["op"] != "softmax_attention":
            continue
        f = c["fields"]
        key = (c["dtype"], c["direction"], f["B"], f["T"], f["H"], f["D"], f.get("window", -1))
        if key in done or f.get("Dv", f["D"]) != f["D"]:
            continue
        done.add(key)
        dt = torch.bfloat16 if c["dtype"] == "bfloat16" else torch.float32
        guarded(int(f["B"]), int(f["T"]), int(f["H"]), int(f["D"]), dt, c["direction"] == "bwd", int(f.get("window", -1)))

    def based(B, T, H, F, Dv, eps=1e-12):
        """Zoology's Based math (feature maps written out, quadratic parallel form), fp32, forward + backward."""
        g = torch.Generator(device=dev).manual_seed(11)
        q, k = (torch.rand(B, H, T, F, device=dev, generator=g).mul_(2).sub_(1).requires_grad_(True) for _ in range(2))
        v = torch.rand(B, H, T, Dv, device=dev, generator=g).mul_(2).sub_(1).requires_grad_(True)
        do = torch.rand(B, H, T, Dv, device=dev, generator=g).mul_(2).sub_(1)
        r2, rd, rrd = 2 ** 0.5, F ** 0.5, F ** 0.25

        def phi(x):
            x2 = (x.unsqueeze(-1) * x.unsqueeze(-2)).flatten(start_dim=-2) / r2 / rd
            return torch.cat([torch.ones_like(x[..., :1]), x / rrd, x2], dim=-1)

        def fwd():
            qf, kf = phi(q), phi(k)
            A = torch.einsum("bhnd,bhmd->bhnm", qf, kf).tril()
            y = torch.einsum("bhnm,bhme->bhne", A, v)
            z = 1 / (torch.einsum("bhld,bhld->bhl", qf, kf.cumsum(2)) + eps)
            return y * z[..., None]

        Fp = 1 + F + F * F
        flops = B * T * H * (4.0 * Fp * Dv + 4.0 * Fp + Dv + 2.0 * Fp)  # the contract's (recurrent) count
        for mode in ("fwd", "fwdbwd"):
            if mode == "fwd":
                fn = lambda: fwd()
                with torch.no_grad():
                    ms = median_ms(fn, 5)
            else:
                fn = lambda: torch.autograd.grad(fwd(), (q, k, v), do)
                ms = median_ms(fn, 5)
            factor = 1.0 if mode == "fwd" else 3.5
            results.append({"peer": "torch_based", "dtype": "fp32", "mode": mode, "B": B, "T": T, "H": H, "F": F,
                            "Dv": Dv, "ms": ms, "tflops": flops * factor / (ms / 1e3) / 1e12})
            print(f"torch based {mode} B={B} T={T} H={H} F={F} Dv={Dv}: {ms:.3f} ms", flush=True)
        del q, k, v, do
        torch.cuda.empty_cache()

    for T in sorted({int(c["fields"]["T"]) for c in cases if c["op"] == "linear_attention"}):
        if T > 4096:  # the quadratic form's T x T scores per head: 16k would need 8 GiB per (B, H) batch of 8 x 16
            continue
        f = next(c["fields"] for c in cases if c["op"] == "linear_attention" and int(c["fields"]["T"]) == T)
        try:
            based(int(f["B"]), T, int(f["H"]), int(f["F"]), int(f["Dv"]))
        except Exception as e:
            results.append({"peer": "torch_based", "T": T, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"})
            print("torch based failed:", results[-1], flush=True)
            torch.cuda.empty_cache()

    meta = {"torch": torch.__version__, "cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name(dev),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sdpa_layout": "[B, H, T, D]", "tf32": False,
            "timing": "CUDA events per call, L2 flushed before each, median; 2 warm-up calls"}
    json.dump({"meta": meta, "results": results}, open(args.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
