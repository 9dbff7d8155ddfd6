#!/usr/bin/env python3
"""The ctest test bench_mixers_peers: bench/mixers_torch.py (zoology's own modules as the mixers' peers) on the CPU
(MENAGERIE_PEER_CPU=1, a test, never a timing) on a hand-written cases file, with the python3 that has torch
(/usr/bin/python3, then the PATH's) and zoology from MENAGERIE_PEERS_DIR, else ../shared/peers beside the source
tree; exits 77 (ctest's skip), saying so, where either is missing.
  verify/bench_mixers_peers_check.py MENAGERIE SOURCE_DIR
The cases: one small case per mixer and configuration (base_conv's short and implicit long conv, hyena, h3 with
N = 4, P = 2, rwkv, mamba; B = 2, T = 16, D = 16), every direction, plus a bfloat16 copy of one case (it shares the
float32 row), a case of another family (wkv: ignored) and a base_conv case with a field the script does not know.
Checks:
  - exit 0, one row per (mixer, fields, direction): 18 timed rows with ms > 0, warm-ups and timed calls, and the
    expected peer name (zoology_base_conv, zoology_hyena, zoology_h3, zoology_rwkv_torch_wkv -- no CUDA here, so
    the transcription of WKV --, zoology_mamba_ref), and the unknown-field case as an error row naming the field
  - without zoology under --peers, it writes {"skipped": "no zoology under ..."} and exits 0 (the report then says so)
  - the state_dict check fails loudly: with a `menagerie` that renames one tensor of the contract (time_first ->
    time_frist) or changes one shape (mamba's A_log [E, N] -> [E, N + 1]), the script exits 1 and names the tensor
"""
import json
import os
import stat
import subprocess
import sys
import tempfile

menagerie, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
script = os.path.join(src, "bench", "mixers_torch.py")


def python_with_torch():
    for py in ("/usr/bin/python3", "python3"):
        try:
            if subprocess.run([py, "-c", "import torch"], capture_output=True).returncode == 0:
                return py
        except OSError:
            pass
    return None


peers = os.environ.get("MENAGERIE_PEERS_DIR", os.path.join(src, "..", "shared", "peers"))
if not os.path.isdir(os.path.join(peers, "zoology", "zoology", "mixers")):
    print(f"bench_mixers_peers: skipped: no zoology under {peers} (set MENAGERIE_PEERS_DIR to ../shared/peers)")
    sys.exit(77)
py = python_with_torch()
if py is None:
    print("bench_mixers_peers: skipped: no python3 with torch (/usr/bin/python3 or the PATH's)")
    sys.exit(77)

SMALL = {"B": 2, "T": 16, "D": 16}
FIELD_NAMES = ("B", "T", "D", "conv", "K", "N", "P", "F", "E", "X")
configs = [("base_conv", {"conv": 0, "K": 3}, "zoology_base_conv"),
           ("base_conv", {"conv": 2, "K": 3}, "zoology_base_conv"),
           ("hyena", {}, "zoology_hyena"), ("h3", {"N": 4, "P": 2}, "zoology_h3"),
           ("rwkv", {}, "zoology_rwkv_torch_wkv"), ("mamba", {"E": 32}, "zoology_mamba_ref")]
cases = []
for op, extra, _ in configs:
    for d in ("fwd", "bwd", "fwdbwd"):
        cases.append({"name": f"{op}/v/{d}", "op": op, "variant": "composed_fp32", "dtype": "float32", "direction": d,
                      "fields": dict(SMALL, **extra)})
cases.append(dict(cases[0], variant="composed_bf16", dtype="bfloat16"))
cases.append({"name": "wkv", "op": "wkv", "variant": "scan_fp32", "dtype": "float32", "direction": "fwd",
              "fields": dict(SMALL)})
cases.append({"name": "bad", "op": "base_conv", "variant": "composed_fp32", "dtype": "float32", "direction": "fwd",
              "fields": dict(SMALL, conv=0, K=3, X=1)})
failures = []


def run(tmp, binary):
    cj, out = os.path.join(tmp, "cases.json"), os.path.join(tmp, "torch.json")
    json.dump({"cases": cases}, open(cj, "w"))
    if os.path.exists(out):
        os.unlink(out)
    env = dict(os.environ, MENAGERIE_PEER_CPU="1")
    res = subprocess.run([py, script, "--cases", cj, "--out", out, "--menagerie", binary, "--budget-s", "200",
                          "--peers", peers],
                         capture_output=True, text=True, env=env)
    return res, (json.load(open(out)) if os.path.exists(out) else None)


def planted(tmp, name, sed):
    """A `menagerie` that passes --tensors through sed: a contract that differs from zoology's module."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\n'{menagerie}' \"$@\" | sed -e '{sed}'\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


with tempfile.TemporaryDirectory() as tmp:
    res, doc = run(tmp, menagerie)
    print(res.stdout[-3000:])
    if res.returncode != 0 or doc is None:
        sys.exit(f"FAIL: mixers_torch.py exited {res.returncode}:\n{res.stderr[-3000:]}")
    rows = doc["results"]
    for op, extra, name in configs:
        for d in ("fwd", "bwd", "fwdbwd"):
            want = dict(SMALL, **extra)
            mine = [r for r in rows if r["op"] == op and r["direction"] == d
                    and {k: r[k] for k in FIELD_NAMES if k in r} == want]
            if len(mine) != 1:
                failures.append(f"{op} {extra} {d}: {len(mine)} rows, expected 1")
                continue
            r = mine[0]
            if not (r.get("ms", 0) > 0 and r.get("peer") == name and r.get("iters", 0) >= 1 and "warmups" in r
                    and r.get("dtype") == "float32"):
                failures.append(f"{op} {extra} {d}: row {r}: expected ms > 0, peer {name}, warmups, iters >= 1")
    bad = [r for r in rows if r.get("X") == 1]
    if len(bad) != 1 or "unknown to mixers_torch.py" not in bad[0].get("error", "") or "X" not in bad[0]["error"]:
        failures.append(f"the case with field X: expected one error row naming X, got {bad}")
    if any(r["op"] == "wkv" for r in rows):
        failures.append("a wkv row: cases of other families must be ignored")
    if len(rows) != 19:
        failures.append(f"{len(rows)} rows, expected 19 (18 timed, 1 error; the bf16 case shares its float32 row)")
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    res = subprocess.run([py, script, "--cases", os.path.join(tmp, "cases.json"), "--out", os.path.join(tmp, "s.json"),
                          "--menagerie", menagerie, "--peers", empty], capture_output=True, text=True,
                         env=dict(os.environ, MENAGERIE_PEER_CPU="1"))
    skipped = json.load(open(os.path.join(tmp, "s.json"))) if os.path.exists(os.path.join(tmp, "s.json")) else {}
    if res.returncode != 0 or "no zoology under" not in skipped.get("skipped", ""):
        failures.append(f"--peers without zoology: expected exit 0 and {{'skipped': 'no zoology under ...'}}, got exit "
                        f"{res.returncode}, {skipped}")
    for tag, sed, needle in (("renamed", 's/"time_first"/"time_frist"/', "time_frist"),
                             ("reshaped", '/"A_log"/{n;n;n;s/16/17/;}', "A_log")):
        res, _ = run(tmp, planted(tmp, tag, sed))
        if res.returncode != 1 or needle not in res.stderr or "differ from the contracts" not in res.stderr:
            failures.append(f"planted {tag} tensor: expected exit 1 naming {needle}, got exit {res.returncode}:\n"
                            f"{res.stderr[-2000:]}")
        else:
            print(f"planted {tag} tensor: exit 1, " + next(l for l in res.stderr.splitlines() if needle in l).strip())

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("bench_mixers_peers: 18 rows timed on the CPU with zoology's modules, the unknown field refused, the planted "
      "contract differences caught")
