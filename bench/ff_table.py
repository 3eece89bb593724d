#!/usr/bin/python3
"""Prints the bench/README.md figures of one ff_mnist results file (finished, or stopped with its curve).

  /usr/bin/python3 bench/ff_table.py results/ff_hinton_3x1000.json
"""
import json
import sys


def pct(x):
    return f"{100 * x:.2f}%"


def main():
    r = json.load(open(sys.argv[1]))
    cfg, m = r["config"], r["metrics"]
    args = " ".join(f"--{k} {v}" for k, v in cfg.items() if k not in ("out",) and v is not False and v != "")
    print(f"file: {sys.argv[1]} (status {r.get('status', 'finished')}, started {r.get('started_at', '?')}, "
          f"machine {r['machine']['cores']} cores, {r['machine']['cpu_model']})")
    print(f"options: {args}")
    if "test_errors" in m:
        t = m["timing_s"]
        print(f"test error ({m['test_examples']} images): "
              + ", ".join(f"{k} {pct(v)}" for k, v in m["test_errors"].items())
              + f"; train error (first {m['train_eval_examples']}): "
              + ", ".join(f"{k} {pct(v)}" for k, v in m["train_errors"].items()))
        print(f"wall time {t['total']:.0f} s (training {t['train']:.0f} s, mean {m['mean_epoch_seconds']:.1f} s per "
              f"epoch), process CPU time {t.get('cpu_total', float('nan')):.0f} s")
        print("final epoch goodness per layer, positive / negative (threshold: units for sum, theta for mean): "
              + "; ".join(f"L{i} {l['goodness_pos']:.1f} / {l['goodness_neg']:.1f}" for i, l in enumerate(m["layers"])))
    print()
    print("| epoch | layer losses | test error | seconds |")
    print("|---|---|---|---|")
    for e in m["curve"]:
        if "epoch" not in e:
            continue
        name = f"{e['epoch']}" if "layer" not in e else f"L{e['layer']} {e['epoch']}"
        losses = " ".join(f"{l['loss']:.3f}" for l in e["layers"])
        err = ", ".join(f"{k} {pct(v)}" for k, v in e.get("test_error", {}).items())
        print(f"| {name} | {losses} | {err} | {e['seconds']:.0f} |")


if __name__ == "__main__":
    main()
