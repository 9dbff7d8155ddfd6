#!/usr/bin/env python3
"""Laughing Hyena distillation: the relative L2 filter error and output error against the modal order m, one colour
per filter, from the CSV `menagerie distill` writes (theory/distillation.hpp).

usage: python3 theory/plot_distillation.py DISTILLATION.csv OUT.png

Solid lines: ||h - h_m||_2 / ||h||_2; dashed: the mean ||y_m - y||_2 / ||y||_2 of the recurrence's output on random
inputs. The PNG is written to a temporary beside OUT.png and renamed over it.
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plot_distillation.py DISTILLATION.csv OUT.png")
    series = {}
    with open(argv[1], newline="") as f:
        for row in csv.DictReader(f):
            s = series.setdefault(row["filter"], ([], [], []))
            s[0].append(int(row["m"]))
            s[1].append(float(row["filter_err"]))
            s[2].append(float(row["output_err"]))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, (name, (m, fe, oe)) in enumerate(series.items()):
        c = f"C{i}"
        ax.plot(m, fe, "o-", color=c, label=f"{name}: filter")
        ax.plot(m, oe, "s--", color=c, label=f"{name}: output")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("modal order m")
    ax.set_ylabel("relative L2 error")
    ax.set_title("Laughing Hyena distillation (T = 1024)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    tmp = argv[2] + ".tmp.png"
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, argv[2])


if __name__ == "__main__":
    main(sys.argv)
