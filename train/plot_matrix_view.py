#!/usr/bin/env python3
"""The matrix-mixer view of a trained MQAR model, from the matrices.json `menagerie inspect` writes
(reference/matrix_view.hpp: each layer's token-mixing matrices M[c, t, s], t the output position, s the input).

usage: python3 train/plot_matrix_view.py MATRICES.json OUT.png

One row per layer: the mean of M over its C heads or channels, and (C > 1) the one of largest Frobenius norm.
Probability-like matrices (all entries >= 0) use viridis from 0; signed ones (gated convolutions) a diverging map
centred at 0. On every panel, for each query row t of the MQAR example: a circle at its key's position, a cross at
the value's position (the token the model must output). Tick labels: keys red, values blue, queries green. The PNG is
written to a temporary beside OUT.png and renamed over it.
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def mean_over(ms):
    T = len(ms[0])
    return [[sum(m[t][s] for m in ms) / len(ms) for s in range(T)] for t in range(T)]


def norm(m):
    return sum(x * x for row in m for x in row)


def panel(ax, m, title, doc):
    T = len(m)
    lo = min(min(r) for r in m)
    hi = max(max(r) for r in m)
    if lo < 0:
        bound = max(-lo, hi) or 1.0
        im = ax.imshow(m, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest")
    else:
        im = ax.imshow(m, cmap="viridis", vmin=0, vmax=hi or 1.0, interpolation="nearest")
    plt.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    q = doc["mqar"]
    for t, k, v in zip(q["queries"], q["keys"], q["values"]):
        if k >= 0:
            ax.plot(k, t, "o", mfc="none", mec="red", ms=7, mew=1.4)
            ax.plot(v, t, "x", color="deepskyblue", ms=7, mew=1.6)
    step = 1 if T <= 40 else max(1, T // 16)
    ticks = list(range(0, T, step))
    colour = {}
    for k in q["keys"]:
        colour[k] = "red"
    for v in q["values"]:
        colour[v] = "blue"
    for t in q["queries"]:
        colour[t] = "green"
    for set_ticks, set_labels, get_labels in ((ax.set_xticks, ax.set_xticklabels, ax.get_xticklabels),
                                              (ax.set_yticks, ax.set_yticklabels, ax.get_yticklabels)):
        set_ticks(ticks)
        set_labels([str(t) for t in ticks], fontsize=5)
        for t, label in zip(ticks, get_labels()):
            label.set_color(colour.get(t, "black"))
    ax.set_xlabel("input position s", fontsize=7)
    ax.set_ylabel("output position t", fontsize=7)
    ax.set_title(title, fontsize=8)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plot_matrix_view.py MATRICES.json OUT.png")
    with open(argv[1]) as f:
        doc = json.load(f)
    layers = [layer for layer in doc["layers"] if "M" in layer]
    if not layers:
        sys.exit("plot_matrix_view.py: no layer of %s has a matrix view" % argv[1])
    fig, axes = plt.subplots(len(layers), 2, figsize=(10, 4.6 * len(layers)), squeeze=False)
    for row, layer in zip(axes, layers):
        ms, C, what = layer["M"], layer["C"], layer["channel"]
        name = "layer %d %s" % (layer["layer"], layer["mixer"])
        if C == 1:
            panel(row[0], ms[0], "%s: M (%s 0)" % (name, what), doc)
            row[1].axis("off")
            continue
        panel(row[0], mean_over(ms), "%s: mean of M over %d %ss" % (name, C, what), doc)
        best = max(range(C), key=lambda c: norm(ms[c]))
        panel(row[1], ms[best], "%s: %s %d (largest norm)" % (name, what, best), doc)
    ok = sum(1 for t in doc["mqar"]["queries"] if doc["predictions"][t] == doc["labels"][t])
    fig.suptitle("%s, test example %d: %d/%d queries answered; o key, x value of each query row"
                 % (doc["name"], doc["example"], ok, len(doc["mqar"]["queries"])), fontsize=9)
    fig.tight_layout()
    tmp = argv[2] + ".tmp.png"
    fig.savefig(tmp, dpi=130)
    os.replace(tmp, argv[2])


if __name__ == "__main__":
    main(sys.argv)
