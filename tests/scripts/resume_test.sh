#!/bin/bash
# A run stopped once its first epoch is checkpointed (what a kill leaves) and resumed with --resume ends
# with the same results as a run never interrupted, same seed: every metric but wall times; resumed under
# another label value, it is refused. The in-situ record names the chip's defaults the run used.
#   insitu:  FF in situ on a PCM chip with analog momentum, so the momentum arrays and the row the next
#            transfer starts at (10 steps per epoch, a row's turn every 3) are part of what must survive.
#   accumulator: FF in situ on ReRAM with capacitor momentum arrays and a threshold accumulator carried a
#            third of its rows per step, so the third arrays and the next row to carry must survive too.
#   digital: digital FF with momentum SGD, peer normalisation and hard negatives from the read-out, so the
#            optimiser state, the peer means, the read-out and the negatives' random stream must survive.
#   hybrid:  unsupervised digital FF with hybrid negatives and two read-outs, so the stream of the hybrids'
#            partners and masks and both read-outs must survive (refused under other mask passes); then the
#            finished run's layers serve a fresh read-out (--layers-from) chosen on held-out images, and
#            another net or a chip cannot take them.
#   insitu_hybrid: unsupervised FF in situ on ECRAM, so the hybrids' stream must survive on the chip, and the
#            softmax read-out fitted after a resume must read the chip as the uninterrupted run's did.
#   insitu_local: the same with the paper's local receptive fields (10/6, 2/1, 2/1) and capacitor momentum
#            decayed by charge sharing: every array of a layer holds devices only where a unit sees an input,
#            the record's layout counts them, and a resume must find the empty cross-points still empty.
#   insitu_recurrent: the recurrent net of top-down effects in situ on ECRAM with capacitor momentum: two chips
#            (bottom-up and top-down), each with its momentum arrays and transfer rows, and the ledger of both,
#            must survive; the top-down chip's layout is the bottom-up one's in reverse.
# usage: resume_test.sh FF_MNIST_BINARY MNIST_DIR insitu|accumulator|digital|hybrid|insitu_hybrid|insitu_local|insitu_recurrent
set -euo pipefail
source "$(dirname "$0")/mnist_prelude.sh" "$@"
mode=$3
case $mode in
  insitu)
    common=(--device pcm --layers 40,30 --epochs 3 --batch 50 --train-limit 500 --test-limit 300
            --train-eval-limit 300 --rival bp --rival-epochs 1 --drift-times 1,86400 --lr 0.004 --init-scale 2.5
            --momentum 0.9 --momentum-every 3 --seed 5 --data "$data");;
  accumulator)
    common=(--device reram --layers 40,30 --epochs 3 --batch 50 --train-limit 500 --test-limit 300
            --train-eval-limit 300 --rival none --drift-times 1,86400 --lr 0.02 --init-scale 2.5
            --momentum 0.9 --momentum-final 0.99 --momentum-gain 256 --second-device capacitor --momentum-decay share
            --carry 250 --carry-whole --carry-every 3 --seed 5 --data "$data");;
  digital)
    common=(--layers 40,30 --epochs 3 --batch 50 --train-limit 500 --test-limit 300 --train-eval-limit 300
            --negatives hard --predict both --peer 0.03 --momentum 0.9 --seed 5 --data "$data");;
  hybrid)
    common=(--layers 40,30,20 --epochs 3 --batch 50 --train-limit 500 --test-limit 300 --train-eval-limit 300
            --negatives hybrid --compare-readout-layers 0,1,2 --seed 5 --data "$data");;
  insitu_hybrid)
    common=(--device ecram --layers 40,30,20 --epochs 3 --batch 50 --train-limit 500 --test-limit 300
            --train-eval-limit 300 --rival none --drift-times 1,86400 --negatives hybrid --seed 5 --data "$data");;
  insitu_local)
    common=(--device ecram --layers 32,18,8 --receptive-fields 10/6,2/1,2/1 --epochs 3 --batch 50 --train-limit 300
            --test-limit 200 --train-eval-limit 200 --rival none --drift-times 1,86400 --negatives hybrid
            --analog-momentum 0.9 --momentum-gain 256 --second-device capacitor --momentum-decay share
            --seed 5 --data "$data");;
  insitu_recurrent)
    common=(--device ecram --layers 30,20 --recurrent 4 --score-iterations 2,3 --epochs 3 --batch 50 --train-limit 300
            --test-limit 200 --train-eval-limit 200 --rival none --lr 0.005 --analog-momentum 0.9 --momentum-gain 256
            --second-device capacitor --momentum-decay share --seed 5 --data "$data");;
  *) echo "usage: resume_test.sh FF_MNIST_BINARY MNIST_DIR insitu|accumulator|digital|hybrid|insitu_hybrid|insitu_local|insitu_recurrent" >&2
     exit 2;;
esac
# Resumed under another value of an option the run used: refused, naming the option and both values.
if [[ $mode == hybrid || $mode == insitu_hybrid || $mode == insitu_local ]]; then
  other=(--mask-passes 4) refused="mask-passes (checkpoint .*, now 4)"
elif [[ $mode == insitu_recurrent ]]; then
  other=(--damping 0.5) refused="damping (checkpoint .*, now 0.5)"
else
  other=(--label-value 0.5) refused="label-value (checkpoint .*, now 0.5)"
fi
"$bin" "${common[@]}" --out "$dir/whole.json" > "$dir/whole.log" 2>&1
"$bin" "${common[@]}" --out "$dir/part.json" --stop-after-epoch 1 > "$dir/stop.log" 2>&1
grep -q "stopped after epoch 1" "$dir/stop.log"
"$bin" "${common[@]}" --out "$dir/part.json" --resume > "$dir/resume.log" 2>&1
grep -q "resumed from" "$dir/resume.log"
if "$bin" "${common[@]}" --out "$dir/part.json" --resume "${other[@]}" > "$dir/refused.log" 2>&1; then
  echo "a checkpoint was resumed under ${other[*]}" >&2
  exit 1
fi
grep -q "$refused" "$dir/refused.log" || { cat "$dir/refused.log" >&2; exit 1; }
python3 - "$dir/whole.json" "$dir/part.json" "$mode" <<'PY'
import json, sys
# The record keeps the settings the run used: on the chip, the defaults that differ from digital FF's.
config = json.load(open(sys.argv[1]))["config"]
if sys.argv[3] in ("insitu", "accumulator", "insitu_hybrid", "insitu_local", "insitu_recurrent"):
    used = {"negatives": "random", "predict": "goodness", "weight-cost": 0}
    if sys.argv[3] in ("insitu_hybrid", "insitu_local"):
        used.update({"negatives": "hybrid", "predict": "softmax"})
    wrong = {k: config.get(k) for k, v in used.items() if config.get(k) != v}
    if wrong:
        sys.exit(f"the in-situ record keeps digital defaults: {wrong}")
# The wall time of a resumed run counts the process that stopped after epoch 1 as well as the one that
# finished it; an uninterrupted run's is its one process's.
ta, tb = (json.load(open(p))["metrics"]["timing_s"] for p in sys.argv[1:3])
if ta["earlier_processes"] != 0 or ta["total"] != ta["this_process"]:
    sys.exit(f"an uninterrupted run's wall time: {ta}")
if not (tb["earlier_processes"] > 0 and abs(tb["total"] - tb["earlier_processes"] - tb["this_process"]) < 1e-6
        and tb["total"] >= tb["train"]):
    sys.exit(f"a resumed run's wall time leaves out its earlier process: {tb}")
def metrics(path):
    m = json.load(open(path))["metrics"]
    for k in ("timing_s", "epoch_seconds", "mean_epoch_seconds", "drift_plot"):
        m.pop(k, None)
    for e in m["curve"]:
        e.pop("seconds", None)  # the read-out passes after the layers have none
    return m
a, b = metrics(sys.argv[1]), metrics(sys.argv[2])
if sys.argv[3] == "insitu_hybrid":
    # The read-out is fitted off the chip on every training image's features, which the ledger books as
    # conversions of their own; nothing is booked as a label read-out.
    r = a["readout"]
    if r["fit_images"] != 500 or r["features"] != 40 + 30 + 20 or r["layers"] != [0, 1, 2]:
        sys.exit(f"the read-out's record: {r}")
    if r["fit_multiply_accumulates"] != 2 * 90 * 10 * 500 * 10:
        sys.exit(f"the read-out's multiply-accumulates: {r}")
    booked = {c["module"]: c["count"] for c in a["energy_total"]["counters"]}
    if not booked.get("ff.feature_readout", 0) > 0 or booked.get("ff.label_readout", 0) != 0:
        sys.exit(f"the read-out's conversions: {booked}")
if sys.argv[3] == "insitu_local":
    # 16 fields of 2 units over 10x10 pixels and the bias; 9 of 2 over 2x2 locations of 2 channels and the
    # bias; 4 of 2 the same: the pairs of devices each layer's arrays hold, of its cross-points. Each layer
    # has the weights and the momentum array.
    want = [(16 * 2 * 101, 32 * 785), (9 * 2 * 9, 18 * 33), (4 * 2 * 9, 8 * 19)]
    got = [(l["device_pairs"], l["cross_points"]) for l in a["layout"]]
    if got != want or any(l["arrays"] != 2 for l in a["layout"]):
        sys.exit(f"the layout: {a['layout']}, want (pairs, cross-points) {want}")
if sys.argv[3] == "insitu_recurrent":
    # Two chips in one ledger: the top-down chip (10 labels -> 20 -> 30) is booked under its own name, and the
    # label read-out once per image evaluated.
    modules = {c["module"] for c in a["energy_total"]["counters"]}
    if not any(m.startswith("ff_down.layer1") for m in modules) or any(m.startswith("ff_down.layer2") for m in modules):
        sys.exit(f"the top-down chip's modules: {sorted(modules)}")
    down = a["hardware_top_down"]["scales"]
    if len(down) != 2 or a["mode"] != "recurrent in situ":
        sys.exit(f"the top-down chip: {down}, mode {a['mode']}")
differ = sorted(k for k in a if a[k] != b.get(k))
if differ:
    for k in differ:
        print(f"{k}: uninterrupted {json.dumps(a[k])[:300]} | resumed {json.dumps(b.get(k))[:300]}")
    sys.exit(1)
if "energy_total" in a:
    print(f"same metrics after resuming: test error {a['test_error']}, energy {a['energy_total']['total_energy_pj']} pJ, "
          f"simulated {a['simulated_training_s']} s")
else:
    print(f"same metrics after resuming: test errors {a['test_errors']}, train errors {a['train_errors']}")
PY
if [[ $mode == hybrid ]]; then
  "$bin" "${common[@]}" --layers-from "$dir/part.ckpt" --validation 100 --readout-epochs 2 --out "$dir/taken.json" \
    > "$dir/taken.log" 2>&1 || { cat "$dir/taken.log" >&2; exit 1; }
  grep -q "learned, without labels, from the images this run holds out" "$dir/taken.log"
  python3 - "$dir/taken.json" "$dir/part.ckpt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
f = m["layers_from"]
if f["checkpoint"] != sys.argv[2] or f["epoch"] != 3 or f["layers_saw_validation_images"] is not True:
    sys.exit(f"layers_from: {json.dumps(f)[:300]}")
if f["settings"]["layers"] != [40, 30, 20] or m["validation_examples"] != 100 or m["train_examples"] != 400:
    sys.exit(f"the source's settings or the split: {f['settings']['layers']}, {m['validation_examples']}, {m['train_examples']}")
# Below chance (0.9) by 5 standard deviations of a guesser's error on the 100 held-out images (0.03 each).
if not 0 <= m["validation_errors"]["softmax"] < 0.9 - 5 * (0.9 * 0.1 / 100) ** 0.5 or len([e for e in m["curve"] if "readout_epoch" in e]) != 2:
    sys.exit(f"the read-out: validation {m['validation_errors']}, curve {m['curve']}")
print(f"layers taken: validation error {m['validation_errors']}, test {m['test_errors']}")
PY
  refuse() {  # refuse MESSAGE OPTIONS...: the checkpoint's layers refused to a run of OPTIONS, saying MESSAGE
    local expect=$1
    shift
    if "$bin" "$@" --layers-from "$dir/part.ckpt" --out "$dir/other.json" > "$dir/other.log" 2>&1; then
      echo "layers-from took the checkpoint under $*" >&2
      exit 1
    fi
    grep -qF "$expect" "$dir/other.log" || { cat "$dir/other.log" >&2; exit 1; }
  }
  refuse "part.ckpt: its layers were trained with layers [40,30,20], this run has [40,30,21]" "${common[@]/40,30,20/40,30,21}"
  refuse "layers-from $dir/part.ckpt: a digital run's layers" "${common[@]}" --device ecram
fi
