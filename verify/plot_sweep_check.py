#!/usr/bin/env python3
"""The ctest test plot_sweep: train/plot_sweep.py on hand-written sweep CSVs (the columns train/sweep.hpp writes).
  verify/plot_sweep_check.py SOURCE_DIR
Expected, counted by hand from the rows below:
  - 4 runs, none finished, and an oracle CSV with 2 "line" rows of positive state (a third has state 0 and a "point"
    row is not a line: neither is drawn): exit 0, the PNG written, "0 of 4 runs finished, 0 points, 2 oracle points";
  - the same runs without the oracle: nothing to draw, exit 1 and no PNG;
  - 3 of the 4 finished, two of them learning rates of one (mixer, d_model) cell: "3 of 4 runs finished, 2 points".
  - --series on a grid of mixers a, r, h (first rows in that order, so tab10's first three colours #1f77b4, #ff7f0e,
    #2ca02c) where r has no state: h keeps #2ca02c in the state row too (not r's #ff7f0e, the second series drawn
    there); a's d 64 cell has one of its two learning rates unfinished: hollow 1; the data set "other" has no
    finished run, its width panel spans its grid's d_model 64..256 as 64 / 1.25 = 51.2 .. 256 x 1.25 = 320; 4 of the 7
    runs finished, 4 points (a at d 64 and 128, r, h).
Exit 77 (ctest: skipped) when neither this python3 nor /usr/bin/python3 has matplotlib.
"""
import os
import subprocess
import sys
import tempfile

def has_matplotlib(python):
    return subprocess.run([python, "-c", "import matplotlib"], capture_output=True).returncode == 0


# the first python3 with matplotlib, as `menagerie sweep` picks one (cli/scripts.hpp's python_with)
PYTHON = next((p for p in (sys.executable, "/usr/bin/python3") if os.path.exists(p) and has_matplotlib(p)), None)
if PYTHON is None:
    print("plot_sweep: no python3 with matplotlib; skipped")
    sys.exit(77)
script = os.path.join(sys.argv[1], "train", "plot_sweep.py")
HEAD = "data,mixer,d_model,lr,params,state_bytes,epochs,accuracy,best\n"
ORACLE = ("data,kind,mixer,d_model,window,reach,state_bytes,oracle_accuracy\n"
          "mix,point,swa-w8,128,8,10,9728,0.08\n"
          "mix,line,swa-w8,128,1,3,2560,0.017\n"
          "mix,line,swa-w8,128,2,4,3584,0.034\n"
          "mix,line,swa-w8,128,0,0,0,0.0\n")
failures = []


def run(tmp, rows, oracle):
    csv_path, png = os.path.join(tmp, "s.csv"), os.path.join(tmp, "s.png")
    for p in (png, os.path.join(tmp, "s-oracle.csv")):
        if os.path.exists(p):
            os.remove(p)
    open(csv_path, "w").write(HEAD + "".join(rows))
    if oracle:
        open(os.path.join(tmp, "s-oracle.csv"), "w").write(ORACLE)
    r = subprocess.run([PYTHON, script, csv_path, png], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr, os.path.exists(png)


def expect(what, got, want):
    rc, out, png = got
    if (rc, png) != want[:2] or want[2] not in out:
        failures.append(f"{what}: expected exit {want[0]}, PNG {want[1]}, output containing {want[2]!r}; got exit {rc}, "
                        f"PNG {png}, output {out!r}")


unfinished = ["mix,swa-w8,128,0.001,1000,9728,,,0\n", "mix,swa-w8,128,0.01,1000,9728,,,0\n",
              "mix,based-f8,64,0.001,900,9396,,,0\n", "mix,attention,64,0.001,800,,,,0\n"]
finished = ["mix,swa-w8,128,0.001,1000,9728,64,0.25,0\n", "mix,swa-w8,128,0.01,1000,9728,64,0.5,1\n",
            "mix,based-f8,64,0.001,900,9396,64,0.75,1\n", "mix,attention,64,0.001,800,,,,0\n"]
with tempfile.TemporaryDirectory() as tmp:
    expect("no run finished, with the oracle", run(tmp, unfinished, True), (0, True, "0 of 4 runs finished, 0 points, "
                                                                                     "2 oracle points"))
    expect("no run finished, no oracle", run(tmp, unfinished, False), (1, False, "no finished runs"))
    expect("3 runs finished", run(tmp, finished, True), (0, True, "3 of 4 runs finished, 2 points, 2 oracle points"))
grid = ["mix,a,64,0.001,900,100,64,0.5,1\n", "mix,a,64,0.01,900,100,,,0\n", "mix,a,128,0.001,950,200,64,0.7,1\n",
        "mix,r,64,0.001,800,,64,0.6,1\n", "mix,h,64,0.001,700,300,64,0.8,1\n",
        "other,a,64,0.001,900,100,,,0\n", "other,a,256,0.001,990,400,,,0\n"]
with tempfile.TemporaryDirectory() as tmp:
    csv_path, png = os.path.join(tmp, "g.csv"), os.path.join(tmp, "g.png")
    open(csv_path, "w").write(HEAD + "".join(grid))
    r = subprocess.run([PYTHON, script, csv_path, png, "--series"], capture_output=True, text=True)
    for line in ("series: width mix a #1f77b4 points 2 hollow 1", "series: state mix a #1f77b4 points 2 hollow 1",
                 "series: width mix r #ff7f0e points 1 hollow 0", "series: width mix h #2ca02c points 1 hollow 0",
                 "series: state mix h #2ca02c points 1 hollow 0", "panel: width other x 51.2 320",
                 "4 of 7 runs finished, 4 points"):
        if line not in r.stdout:
            failures.append(f"--series: expected the line {line!r}; got exit {r.returncode}, {r.stdout + r.stderr!r}")
    if "series: state mix r" in r.stdout:
        failures.append("--series: r has no state but was drawn in the state row")
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("plot_sweep: drawn with no finished run when an oracle line exists, refused with neither, runs and points "
      "counted as by hand; colours fixed per mixer across rows, partial points hollow, empty panels on the grid's range")
