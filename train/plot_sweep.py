#!/usr/bin/env python3
"""Accuracy against model width from a `menagerie sweep` CSV, in the style of Zoology's Figure 2.

usage: python3 train/plot_sweep.py SWEEP.csv OUT.png

One panel per data set (column `data`), one line per mixer; each point is the best accuracy over the learning
rates of that (mixer, d_model), the number Zoology reports. Reads only the CSV the C++ writes (train/sweep.hpp).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plot_sweep.py SWEEP.csv OUT.png")
    best = {}
    datas, mixers = [], []
    with open(argv[1], newline="") as f:
        for row in csv.DictReader(f):
            if row["accuracy"] == "":
                continue
            key = (row["data"], row["mixer"], int(row["d_model"]))
            best[key] = max(best.get(key, 0.0), float(row["accuracy"]))
            if row["data"] not in datas:
                datas.append(row["data"])
            if row["mixer"] not in mixers:
                mixers.append(row["mixer"])
    if not best:
        sys.exit("plot_sweep.py: no finished runs in " + argv[1])
    fig, axes = plt.subplots(1, len(datas), figsize=(4.2 * len(datas), 3.6), squeeze=False)
    for ax, data in zip(axes[0], datas):
        for mixer in mixers:
            pts = sorted((d, a) for (dd, m, d), a in best.items() if dd == data and m == mixer)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=mixer)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("model dimension")
        ax.set_ylabel("MQAR accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(data)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)


if __name__ == "__main__":
    main(sys.argv)
