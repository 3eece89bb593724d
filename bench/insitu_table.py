#!/usr/bin/python3
"""Tables of FF in situ from ff_mnist results files: accuracy, drift, the BP rival, energy and time.
usage: bench/insitu_table.py RESULT.json [RESULT.json ...]"""
import json
import sys

runs = [json.load(open(path)) for path in sys.argv[1:]]


def pct(x):
    return f"{100 * x:.2f}%"


print("| run | device | epochs | test error | train error | BP digital | BP on chip | "
      "energy / training image | training images / simulated s | mean epoch wall s | version |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for path, r in zip(sys.argv[1:], runs):
    m, c = r["metrics"], r["config"]
    device = m.get("device", "digital")
    if device != "digital" and (c.get("momentum", 0) > 0 or c.get("carry", 0) > 0):
        # The update: analog momentum (decayed by pulses or by charge sharing) or periodic carry, and the
        # second arrays' device when it is not the weights'.
        second = m.get("hardware", {}).get("second_device") or device
        if c.get("momentum", 0) > 0:
            decay = "charge sharing" if c.get("momentum-decay") == "share" else f"pulses every {c.get('momentum-every', 1)}"
            # Files written before --momentum-lr-at had the schedule at V's input.
            lr_at = c.get("momentum-lr-at", "gradient")
            mu = c["momentum"]
            if c.get("momentum-final", -1) >= 0:
                mu = f"{mu} rising to {c['momentum-final']}"
            device += (f", momentum {mu} on {second} (G {c.get('momentum-gain')}, decay by {decay}, "
                       f"lr at the {lr_at})")
            if c.get("carry", 0) > 0:
                every = c.get("carry-every", 1)
                kind = "a hidden accumulator" if c.get("carry-hidden") else "an accumulator"
                device += (f", whole steps into W through {kind} of 1/{c['carry']} on {second}"
                           f"{'' if every == 1 else f' (a row every {every} steps)'}")
        else:
            device += f", carry 1/{c['carry']} on {second}"
    copies = m.get("hardware", {}).get("weight_copies", 1)
    if copies > 1:
        device += f", {copies} devices per weight"
    if device != "digital" and c.get("w-scale", 0.5) != 0.5:
        device += f", w-scale {c['w-scale']}"
    if c.get("lr-schedule", "halfdecay") == "halfdecay" and c.get("decay-from", 0.5) != 0.5:
        device += f", rate decaying from {c['decay-from']} of the run"
    rival = m.get("rival") or {}
    energy = m.get("energy_training_pj_per_image")
    rate = m.get("images_per_simulated_s")
    print(f"| {path.split('/')[-1]} | {device} | {c['epochs']} | {pct(m['test_error'])} | {pct(m['train_error'])} | "
          f"{pct(rival['digital_test_error']) if rival else '-'} | {pct(rival['on_chip_test_error']) if rival else '-'} | "
          f"{f'{energy * 1e-6:.3g} uJ' if energy else '-'} | {f'{rate:.3g}' if rate else '-'} | "
          f"{m['mean_epoch_seconds']:.1f} | {r['version']} |")

for path, r in zip(sys.argv[1:], runs):
    m = r["metrics"]
    if not m.get("drift"):
        continue
    print(f"\nDrift, {m['device']} ({path.split('/')[-1]}): test error after idling, without / with global drift "
          "compensation")
    has_rival = "rival_test_error" in m["drift"][0]
    print("| idle | FF in situ | FF compensated |" + (" BP programmed | BP compensated |" if has_rival else ""))
    print("|---|---|---|" + ("---|---|" if has_rival else ""))
    for row in m["drift"]:
        line = f"| {row['label']} | {pct(row['test_error'])} | {pct(row['test_error_compensated'])} |"
        if has_rival:
            line += f" {pct(row['rival_test_error'])} | {pct(row['rival_test_error_compensated'])} |"
        print(line)
    print(f"\nLearning curve ({m['device']}): epoch, test error where measured, per-layer loss / G+ / G-")
    for e in m["curve"]:
        err = e.get("test_error", {}).get("goodness")
        layers = "; ".join(f"{l['loss']:.2f} / {l['goodness_pos']:.0f} / {l['goodness_neg']:.0f}" for l in e["layers"])
        print(f"- epoch {e['epoch']}: {pct(err) if err is not None else '-'} | {layers}")
    by_event = m["energy_training"]["by_event"]
    total = m["energy_training"]["total_energy_pj"]
    parts = ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in sorted(by_event.items(), key=lambda kv: -kv[1]) if v > 0)
    print(f"\nTraining energy {total * 1e-6:.4g} uJ: {parts}")
