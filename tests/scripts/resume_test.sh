#!/bin/bash
# A run of FF in situ stopped once its first epoch is checkpointed (what a kill leaves) and resumed with
# --resume ends with the same results as a run never interrupted, same seed: every metric but wall times.
# With analog momentum, so the momentum arrays and the row the next transfer starts at (10 steps per
# epoch, a row's turn every 3) are part of what must survive.
# usage: resume_test.sh FF_MNIST_BINARY MNIST_DIR
set -euo pipefail
bin=$1
data=$2
if [[ ! -f "$data/t10k-labels-idx1-ubyte" ]]; then
  echo "MNIST not found in $data; run scripts/setup.sh" >&2
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
common=(--device pcm --layers 40,30 --epochs 3 --batch 50 --train-limit 500 --test-limit 300
        --train-eval-limit 300 --rival bp --rival-epochs 1 --drift-times 1,86400 --lr 0.004 --init-scale 2.5
        --momentum 0.9 --momentum-every 3 --seed 5 --data "$data")
"$bin" "${common[@]}" --out "$dir/whole.json" > "$dir/whole.log" 2>&1
"$bin" "${common[@]}" --out "$dir/part.json" --stop-after-epoch 1 > "$dir/stop.log" 2>&1
grep -q "stopped after epoch 1" "$dir/stop.log"
"$bin" "${common[@]}" --out "$dir/part.json" --resume > "$dir/resume.log" 2>&1
grep -q "resumed from" "$dir/resume.log"
python3 - "$dir/whole.json" "$dir/part.json" <<'PY'
import json, sys
def metrics(path):
    m = json.load(open(path))["metrics"]
    for k in ("timing_s", "epoch_seconds", "mean_epoch_seconds", "drift_plot"):
        m.pop(k)
    for e in m["curve"]:
        e.pop("seconds")
    return m
a, b = metrics(sys.argv[1]), metrics(sys.argv[2])
differ = sorted(k for k in a if a[k] != b.get(k))
if differ:
    for k in differ:
        print(f"{k}: uninterrupted {json.dumps(a[k])[:300]} | resumed {json.dumps(b.get(k))[:300]}")
    sys.exit(1)
print(f"same metrics after resuming: test error {a['test_error']}, energy {a['energy_total']['total_energy_pj']} pJ, "
      f"simulated {a['simulated_training_s']} s")
PY
