#!/usr/bin/env python3
"""Accuracy against model width (Zoology's Figure 2) and against recurrent state (Based's Figure 2) from a
`menagerie sweep` CSV.

usage: python3 train/plot_sweep.py SWEEP.csv OUT.png [--series]

One column of panels per data set (column `data`), one line per mixer; each point is the best accuracy over the
learning rates of that (mixer, d_model), the number Zoology reports, and the figure says so. The top row is against
d_model, the bottom row against the model's recurrent state in bytes (column `state_bytes`; mixers without one are
left out of that row). In the bottom row, mixers named FAMILY-<letters><digits> (swa-w64, based-f16, mamba-ds8)
are one family, drawn in one colour: a line by state size when each member has one point (swa-w8, swa-w16, ...),
markers only when members have several widths (based-f16 at d 48/64/128).
Each mixer (and family) keeps one colour in every panel, fixed by its first row in the CSV (unfinished runs
included), so colours do not move as runs finish or where a mixer has no state. A point some of whose learning
rates are unfinished (the tables' "*") is drawn hollow. Panels take their x range from the whole grid (its d_model
values, its state sizes), so a panel with no finished run yet shows the grid's range. --series also prints, for
checks, one line per panel (its x range) and per drawn series (label, colour, points, hollow points).
Where the sweep wrote SWEEP-oracle.csv (train/sweep_oracle.hpp), its "line" rows are drawn in the bottom row as a
dashed black line: the exact window oracle, the accuracy the sliding-window points must land on. The figure says how
many runs have finished; with none yet it is drawn when there is an oracle line (a panel without points says so), and
refused (exit 1) otherwise. Prints one line: the PNG, runs finished of all, points drawn, oracle points. Reads only the
CSVs the C++ writes (train/sweep.hpp) and, for the figure's provenance line, the Markdown report beside it
(SWEEP.md: git SHA, date, machine). The PNG is written to a temporary beside OUT.png and renamed over it, so a reader (or another node of a
Slurm sweep, cli/sweep_slurm.hpp) never sees half a file.
"""
import csv
import os
import re
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) not in (3, 4) or len(argv) == 4 and argv[3] != "--series":
        sys.exit("usage: plot_sweep.py SWEEP.csv OUT.png [--series]")
    series_out = len(argv) == 4
    best, state, lrs, total, finished = {}, {}, set(), {}, {}
    datas, names, widths, states = [], [], set(), set()
    runs = done = 0
    with open(argv[1], newline="") as f:
        for row in csv.DictReader(f):
            runs += 1
            if row["data"] not in datas:
                datas.append(row["data"])
            for name in (family(row["mixer"]), row["mixer"]):
                if name not in names:
                    names.append(name)
            key = (row["data"], row["mixer"], int(row["d_model"]))
            total[key] = total.get(key, 0) + 1
            widths.add(int(row["d_model"]))
            if row.get("state_bytes"):
                state[key] = int(row["state_bytes"])
                states.add(int(row["state_bytes"]))
            if row["accuracy"] == "":
                continue
            done += 1
            finished[key] = finished.get(key, 0) + 1
            best[key] = max(best.get(key, 0.0), float(row["accuracy"]))
            lrs.add(row.get("lr", ""))
    palette = plt.get_cmap("tab20" if len(names) > 10 else "tab10").colors
    colour = {name: matplotlib.colors.to_hex(palette[i % len(palette)]) for i, name in enumerate(names)}
    partial = {k for k in best if finished[k] < total[k]}
    oracle = read_oracle(os.path.splitext(argv[1])[0] + "-oracle.csv")
    if not best and not oracle:
        sys.exit("plot_sweep.py: no finished runs in " + argv[1])
    width = max(6.4, 4.2 * len(datas))
    fig, axes = plt.subplots(2, len(datas), figsize=(width, 8.0), squeeze=False)
    lines_out = []

    def draw(ax, where, label, keys, x_of):
        """One series: a line (or markers only) in the label's colour through the keys' points, sorted by x; the
        partial ones hollow. Returns False when there is nothing to draw."""
        pts = sorted((x_of(k), best[k], k in partial) for k in keys)
        if not pts:
            return False
        joined = where != "state" or len({k[1] for k in keys}) in (1, len(keys))
        c = colour[label]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=c, label=label,
                linestyle="-" if joined else "none")
        hollow = [p for p in pts if p[2]]
        if hollow:
            ax.plot([p[0] for p in hollow], [p[1] for p in hollow], marker="o", linestyle="none", color=c,
                    markerfacecolor="white")
        lines_out.append(f"series: {where} {keys[0][0]} {label} {c} points {len(pts)} hollow {len(hollow)}")
        return True

    def x_range(ax, where, data, values):
        if values:
            lo, hi = min(values), max(values)
            ax.set_xlim(lo / 1.25, hi * 1.25)
        lines_out.append(f"panel: {where} {data} x {ax.get_xlim()[0]:.6g} {ax.get_xlim()[1]:.6g}")

    for ax, data in zip(axes[1], datas):
        for fam in dict.fromkeys(family(k[1]) for k in total):
            draw(ax, "state", fam, [k for k in best if k[0] == data and family(k[1]) == fam and k in state],
                 lambda k: state[k])
        for (odata, d_model, mixer), pts in oracle.items():
            if odata == data:
                pts.sort()
                ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle="--", color="black", linewidth=1,
                        label=f"exact window oracle ({family(mixer)}, d_model {d_model})")
        ax.set_xscale("log", base=2)
        x_range(ax, "state", data, {v for k, v in state.items() if k[0] == data}
                | {p[0] for (o, _, _), pts in oracle.items() if o == data for p in pts})
        ax.set_xlabel("recurrent state (bytes)")
        ax.set_ylabel("MQAR accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{data}: accuracy against state size")
        ax.grid(alpha=0.3)
        if not any(k[0] == data for k in best):
            ax.text(0.5, 0.5, "no finished run yet", transform=ax.transAxes, ha="center", color="gray")
        if ax.lines:
            ax.legend(fontsize=8)
    for ax, data in zip(axes[0], datas):
        drawn = False
        for mixer in dict.fromkeys(k[1] for k in total):
            drawn |= draw(ax, "width", mixer, [k for k in best if k[0] == data and k[1] == mixer], lambda k: k[2])
        ax.set_xscale("log", base=2)
        x_range(ax, "width", data, {k[2] for k in total if k[0] == data})
        ax.set_xlabel("model dimension")
        ax.set_ylabel("MQAR accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(data)
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no finished run yet", transform=ax.transAxes, ha="center", color="gray")
    lr_text = ", ".join(sorted((lr for lr in lrs if lr), key=float))
    chars = int(width * 15)  # a line of 7-point text per inch of width
    what = f"each point: the best valid accuracy over the learning rates {{{lr_text}}}; " if lr_text else ""
    hollow_text = "; hollow: some learning rates of that point unfinished" if partial else ""
    fig.suptitle(textwrap.fill(f"{what}{done} of {runs} runs finished{hollow_text}", chars),
                 fontsize=9)
    fig.text(0.01, 0.005, textwrap.fill(provenance(os.path.splitext(argv[1])[0] + ".md"), int(chars * 1.3)),
             fontsize=7, color="dimgray")
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    tmp = f"{argv[2]}.tmp.{os.getpid()}"
    try:
        fig.savefig(tmp, dpi=120, format="png")
        os.replace(tmp, argv[2])
        if series_out:
            print("\n".join(lines_out))
        print(f"plot_sweep.py: {argv[2]}: {done} of {runs} runs finished, {len(best)} points, "
              f"{sum(len(v) for v in oracle.values())} oracle points")
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def family(mixer):
    """'swa' for 'swa-w64', 'based' for 'based-f16'; other names unchanged."""
    m = re.fullmatch(r"(.+)-[a-z]+[0-9]+", mixer)
    return m.group(1) if m else mixer


def read_oracle(path):
    """{(data, d_model, mixer): [(state_bytes, oracle_accuracy), ...]} from the line rows of SWEEP-oracle.csv."""
    lines = {}
    if not os.path.exists(path):
        return lines
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "line" and int(row["state_bytes"]) > 0:
                key = (row["data"], row["d_model"], row["mixer"])
                lines.setdefault(key, []).append((int(row["state_bytes"]), float(row["oracle_accuracy"])))
    return lines


def provenance(md_path):
    """'menagerie 0.1.0, git X, ... | date | machine' from the sweep's Markdown, or a note that it is missing."""
    if not os.path.exists(md_path):
        return f"provenance: {os.path.basename(md_path)} not found"
    keep = []
    for line in open(md_path):
        if line.startswith("- menagerie ") or line.startswith("- date: ") or line.startswith("- machine: "):
            keep.append(line[2:].strip())
    return " | ".join(keep) if keep else "provenance: none in " + os.path.basename(md_path)


if __name__ == "__main__":
    main(sys.argv)
