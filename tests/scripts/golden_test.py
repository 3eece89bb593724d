#!/usr/bin/env python3
"""The figures of short ff_mnist runs, compared with those recorded in tests/data/golden_insitu.json.

Every in-situ update rule (plain pulses; analog momentum with pulsed decay; capacitor momentum decayed by
charge sharing; periodic carry; carry of whole steps; the threshold accumulator; a hidden carry), every
device preset, two devices per weight, a stopped and resumed run, and a digital run: fixed seeds, a
thousand images, so a change that moves any number the runs print shows here. Every metric is compared
exactly (JSON keeps doubles to the last digit) except wall times, the hardware record (which names
parameters, not results) and the plot's path; figures added to the results since the recording are not
compared.

A Release build is optimised for the CPU it runs on (-march=native) and OpenBLAS picks its kernels at run
time, so the last digits depend on the machine's kind of CPU: the record keeps one set of figures per kind,
named by the architecture GCC resolves -march=native to ("machines"), beside the set recorded first
("cases"), which a kind without its own set is compared with. A kind's set is recorded from a build of the
same code as the first set, so both check one arithmetic.

usage: golden_test.py FF_MNIST_BINARY MNIST_DIR GOLDEN_JSON [--record | --record-machine]
"""
import json
import os
import subprocess
import sys
import tempfile

COMMON = ["--layers", "40,30", "--batch", "50", "--train-limit", "1000", "--test-limit", "300",
          "--train-eval-limit", "300", "--seed", "7"]
# Options of the chip, given to the in-situ runs only (a digital run refuses them).
CHIP = ["--rival", "none", "--drift-times", "1,86400"]

# name -> extra options; every preset once with plain pulses, every rule on a preset it suits.
CASES = {
    "plain_ideal": ["--device", "ideal", "--epochs", "1"],
    "plain_pcm": ["--device", "pcm", "--epochs", "1"],
    "plain_reram": ["--device", "reram", "--epochs", "1"],
    "plain_ecram": ["--device", "ecram", "--epochs", "1"],
    "plain_gokmen_vlasov": ["--device", "gokmen_vlasov", "--epochs", "1"],
    "plain_idealized": ["--device", "idealized", "--epochs", "1"],
    "plain_capacitor": ["--device", "capacitor", "--epochs", "1"],
    "plain_pcm_pulsed": ["--device", "pcm_pulsed", "--epochs", "1"],
    "momentum_pulses": ["--device", "reram", "--epochs", "2", "--momentum", "0.9", "--momentum-every", "3",
                        "--momentum-gain", "128"],
    "momentum_gradient": ["--device", "ecram", "--epochs", "2", "--momentum", "0.9", "--momentum-lr-at", "gradient"],
    "momentum_capacitor_share": ["--device", "reram", "--epochs", "2", "--momentum", "0.9", "--momentum-final", "0.99",
                                 "--second-device", "capacitor", "--momentum-decay", "share", "--momentum-gain", "256"],
    "carry": ["--device", "ecram", "--epochs", "2", "--carry", "10", "--carry-every", "3"],
    "carry_whole": ["--device", "reram", "--epochs", "2", "--carry", "10", "--carry-whole"],
    "carry_hidden": ["--device", "reram", "--epochs", "2", "--carry", "10", "--carry-whole", "--carry-hidden",
                     "--carry-every", "2"],
    "threshold_accumulator": ["--device", "reram", "--epochs", "2", "--momentum", "0.9", "--momentum-gain", "256",
                              "--second-device", "capacitor", "--momentum-decay", "share", "--carry", "250",
                              "--carry-whole", "--carry-every", "3"],
    "weight_copies": ["--device", "reram", "--epochs", "1", "--hw", "weight_copies=2"],
    "resume": ["--device", "pcm", "--epochs", "2", "--momentum", "0.9", "--momentum-every", "3"],
    "digital": ["--epochs", "2", "--negatives", "hard", "--predict", "both", "--peer", "0.03", "--momentum", "0.9"],
}


def metrics(path):
    m = json.load(open(path))["metrics"]
    for k in ("timing_s", "epoch_seconds", "mean_epoch_seconds", "drift_plot", "hardware"):
        m.pop(k, None)
    for e in m.get("curve", []):
        e.pop("seconds", None)
    return m


def run(binary, data, name, args, out):
    chip = CHIP if "--device" in args else []
    cmd = [binary] + COMMON + chip + args + ["--data", data, "--out", out]
    env = dict(os.environ, MORTAL_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if name == "resume":
        stop = subprocess.run(cmd + ["--stop-after-epoch", "1"], env=env, capture_output=True, text=True)
        if stop.returncode != 0 or "stopped after epoch 1" not in stop.stdout + stop.stderr:
            sys.exit(f"{name}: the stopped run failed\n{stop.stdout}{stop.stderr}")
        cmd = cmd + ["--resume"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{name}: {' '.join(cmd)} failed\n{r.stdout}{r.stderr}")
    # A CPU with AVX2 runs the products on kernels that use it (core/blas_kernels.h), never on Prescott's.
    kernels = json.load(open(out))["machine"].get("blas_kernels", "")
    if kernels.lower() == "prescott" and " avx2 " in open("/proc/cpuinfo").read().replace("\n", " ") \
            and "OPENBLAS_CORETYPE" not in os.environ:
        sys.exit(f"{name}: OpenBLAS ran on its Prescott kernels on a CPU with AVX2")
    return metrics(out)


def machine():
    """The architecture GCC resolves -march=native to on this machine ("" when it cannot say)."""
    try:
        r = subprocess.run(["gcc", "-march=native", "-Q", "--help=target"], capture_output=True, text=True)
    except OSError:
        return ""
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "-march=":
            return parts[1]
    return ""


def differences(a, b, path=""):
    """Where two JSON values differ, as paths with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        # A key the record lacks is a figure added since it was recorded, not a changed one.
        for k in sorted(a):
            if k not in b:
                out.append(f"{path}/{k}: missing now")
            else:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: recorded {json.dumps(a)[:200]}, now {json.dumps(b)[:200]}"]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    binary, data, golden = sys.argv[1:4]
    record = len(sys.argv) == 5 and sys.argv[4] == "--record"
    record_machine = len(sys.argv) == 5 and sys.argv[4] == "--record-machine"
    if len(sys.argv) == 5 and not (record or record_machine):
        sys.exit(__doc__)
    kind = machine()
    if not os.path.isfile(os.path.join(data, "t10k-labels-idx1-ubyte")):
        print(f"MNIST not found in {data}; run scripts/setup.sh", file=sys.stderr)
        sys.exit(77)
    with tempfile.TemporaryDirectory() as d:
        now = {name: run(binary, data, name, args, os.path.join(d, name + ".json")) for name, args in CASES.items()}
    if record:
        with open(golden, "w") as f:
            json.dump({"common": COMMON, "cases": {n: {"options": a, "metrics": now[n]} for n, a in CASES.items()}},
                      f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"recorded {len(now)} runs in {golden}")
        return
    if record_machine:
        if not kind:
            sys.exit("gcc does not say which architecture -march=native is here: nothing recorded")
        want = json.load(open(golden))
        want.setdefault("machines", {})[kind] = {"cases": {n: {"options": a, "metrics": now[n]} for n, a in CASES.items()}}
        with open(golden, "w") as f:
            json.dump(want, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"recorded {len(now)} runs for {kind} in {golden}")
        return
    want = json.load(open(golden))
    if kind in want.get("machines", {}):
        print(f"comparing with the figures recorded on {kind}")
        want = dict(want, cases=want["machines"][kind]["cases"])
    else:
        print(f"comparing with the first recorded figures (no set of this machine's kind, {kind or 'unknown'})")
    failed = False
    for name, args in CASES.items():
        case = want["cases"].get(name)
        if case is None or case["options"] != args or want["common"] != COMMON:
            print(f"{name}: not recorded with these options; rerun with --record")
            failed = True
            continue
        diff = differences(case["metrics"], now[name])
        if diff:
            failed = True
            print(f"{name}: {len(diff)} figures differ")
            for line in diff[:20]:
                print("  " + line)
        else:
            print(f"{name}: same figures")
    sys.exit(1 if failed else 0)


main()
