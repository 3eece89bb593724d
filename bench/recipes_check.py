#!/usr/bin/python3
"""Reruns the first epochs of every recipe that has a recorded curve (recipes/NAME.curve, the test error
bench/README.md recorded at some epochs) on the current build, and prints what moved.

A recipe runs with --stop-after-epoch N, so its learning-rate schedule is that of the whole run and its
first N epochs are those of the recorded one; N is the recipe's first recorded epoch unless --epochs says
otherwise (every recorded point up to N is compared). An in-situ run stopped early skips the BP rival,
which trains first and does not touch FF's curve. A binary without --stop-after-epoch (bp_mnist)
runs the whole recipe. Each run's results and log go to --out (default: results/recipes_check/).

usage: bench/recipes_check.py [--bin build/bin] [--epochs N] [--tolerance POINTS] [--out DIR] [RECIPE ...]
  RECIPE: a recipe's name or path (default: every recipes/*.cfg with a .curve beside it)
Exit status 1 when a point moved by more than --tolerance percentage points (default 0.5).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STOPPABLE = {"ff_mnist", "mortal_distill"}


def header(recipe, field):
    with open(recipe) as f:
        for line in f:
            m = re.match(r"#\s*" + re.escape(field) + r":\s*(.*)", line)
            if m:
                return m.group(1).strip()
    return None


def header_device(recipe):
    """The device preset an ff_mnist recipe trains on in situ, or None for a digital one."""
    with open(recipe) as f:
        for line in f:
            m = re.match(r'\s*device\s*=\s*"?([a-z_]+)"?\s*$', line)
            if m and m.group(1) != "digital":
                return m.group(1)
    return None


def setting(recipe, name):
    """The value a recipe gives option `name` (a plain number), or None."""
    with open(recipe) as f:
        for line in f:
            m = re.match(r"\s*" + re.escape(name) + r"\s*=\s*([0-9.]+)\s*$", line)
            if m:
                return float(m.group(1))
    return None


def read_curve(path):
    points = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("epoch"):
                continue
            epoch, error = line.split(",")
            points[int(epoch)] = float(error)
    return points


def measured(entry):
    """A curve entry's test error in percent: goodness where there are several predictions."""
    e = entry.get("test_error")
    if e is None:
        return None
    if isinstance(e, dict):
        e = e.get("goodness", next(iter(e.values())))
    return 100 * e


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--epochs", type=int, default=0, help="epochs to rerun (default: the first recorded epoch)")
    ap.add_argument("--tolerance", type=float, default=0.5, help="percentage points a point may move")
    ap.add_argument("--out", default=os.path.join("results", "recipes_check"))
    ap.add_argument("recipes", nargs="*")
    a = ap.parse_args()

    recipes = []
    for r in a.recipes or sorted(glob.glob(os.path.join(ROOT, "recipes", "*.cfg"))):
        path = r if os.path.exists(r) else os.path.join(ROOT, "recipes", r + ".cfg")
        if not os.path.exists(path):
            sys.exit(f"recipes_check: no recipe {r}")
        if os.path.exists(path[:-4] + ".curve"):
            recipes.append(path)
        elif a.recipes:
            sys.exit(f"recipes_check: {path} has no recorded curve ({path[:-4]}.curve)")
    os.makedirs(a.out, exist_ok=True)

    moved_any = False
    rows = []
    for recipe in recipes:
        name = os.path.basename(recipe)[:-4]
        binary = header(recipe, "binary") or "ff_mnist"
        curve = read_curve(recipe[:-4] + ".curve")
        total = int(setting(recipe, "epochs") or 0)
        n = a.epochs or min(curve)
        out = os.path.join(a.out, name + ".json")
        cmd = [os.path.join(a.bin, binary), "--config", recipe, "--out", out, "--force"]
        if binary in STOPPABLE and (total == 0 or n < total):
            cmd += ["--stop-after-epoch", str(n)]
            # The BP rival trains before FF and leaves FF's curve as it is (same figures to the last digit
            # with and without it): a check that stops early skips it.
            if binary == "ff_mnist" and header_device(recipe):
                cmd += ["--rival", "none"]
        else:
            n = total or max(curve)
        print(f"{name}: {' '.join(cmd)}", flush=True)
        start = time.time()
        with open(os.path.join(a.out, name + ".log"), "w") as log:
            rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
        wall = time.time() - start
        if rc != 0:
            print(f"{name}: exit status {rc}; see {os.path.join(a.out, name + '.log')}")
            moved_any = True
            continue
        result = out if os.path.exists(out) else out[:-5] + ".running.json"
        record = json.load(open(result))
        now = {int(e["epoch"]): measured(e) for e in record["metrics"].get("curve", []) if measured(e) is not None}
        for epoch in sorted(curve):
            if epoch > n:
                break
            if epoch not in now:
                rows.append((name, epoch, curve[epoch], None, "not evaluated at this epoch"))
                continue
            delta = now[epoch] - curve[epoch]
            moved = abs(delta) > a.tolerance
            moved_any |= moved
            rows.append((name, epoch, curve[epoch], now[epoch], f"{delta:+.2f}{'  MOVED' if moved else ''}"))
        print(f"{name}: {n} epochs in {wall:.0f} s, version {record.get('version', '?')}", flush=True)

    print(f"\n| recipe | epoch | recorded | now | change (points; moved: beyond {a.tolerance}) |")
    print("|---|---|---|---|---|")
    for name, epoch, was, now, note in rows:
        print(f"| {name} | {epoch} | {was:.2f}% | {'-' if now is None else f'{now:.2f}%'} | {note} |")
    return 1 if moved_any else 0


if __name__ == "__main__":
    sys.exit(main())
