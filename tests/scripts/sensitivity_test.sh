#!/bin/bash
# bench/sensitivity.sh end to end on runs of a hundred images (ECRAM, two properties, factors 0.5, 1, 2,
# one chip each): each property's grid is the base chip's value times each factor (the preset's, or the
# nominal value where the preset has 0), every other property at the base chip's value; the factor-1 runs
# of both properties are the same runs; the tornado is drawn.
# usage: sensitivity_test.sh SOURCE_DIR BUILD_DIR MNIST_DIR
set -euo pipefail
src=$1
source "$(dirname "$0")/mnist_prelude.sh" "$2" "$3"
build=$bin
if "$src/bench/sensitivity.sh" "$build" "$dir/bad" --factors 1,2,4 > "$dir/bad.log" 2>&1; then exit 1; fi
grep -q "1 in the middle" "$dir/bad.log"
"$src/bench/sensitivity.sh" "$build" "$dir/s" --devices ecram --properties step,stuck --factors 0.5,1,2 --seeds 1 \
  -- --data "$data" --layers 8 --epochs 1 --train-limit 100 --test-limit 100 --train-eval-limit 100 --rival bp \
  --rival-epochs 1 --drift-times 1 > "$dir/s.log" 2>&1 || { cat "$dir/s.log"; exit 1; }
[[ -s "$dir/s/ecram/tornado.png" ]]
python3 - "$dir/s/ecram" <<'PY'
import csv, json, sys
d = sys.argv[1]
step, stuck = (json.load(open(f"{d}/{p}/sweep.json")) for p in ("step", "stuck"))
# ECRAM's step is 0.002 (hw/device.cpp); it has no stuck devices: the nominal 0.5% at each bound.
assert step["grid"] == [{"path": "device.dw_min", "values": ["0.001", "0.002", "0.004"]}], step["grid"]
assert [a["values"] for a in stuck["grid"]] == [["0.0025", "0.005", "0.01"]] * 2, stuck["grid"]
assert stuck["zip"] and step["zip"]
args = step["scenario_args"]
for hw in ("device.up_down=0.02", "device.stuck_gmin_rate=0.005", "device.stuck_gmax_rate=0.005"):
    assert hw in args, args
assert not any(a.startswith("device.stuck") for a in stuck["scenario_args"]), stuck["scenario_args"]
rows = {p: {r["point"]: r for r in csv.DictReader(open(f"{d}/{p}/results.csv", newline=""))} for p in ("step", "stuck")}
for p in rows:
    assert len(rows[p]) == 3 and all(r["status"] == "ok" for r in rows[p].values()), rows[p]
    assert set(k for k in rows[p]["0"] if k.startswith("metrics.")) == {"metrics.test_error", "metrics.rival.on_chip_test_error"}
# Factor 1 (point 1) is one chip and one seed in both sweeps: the same run.
for m in ("metrics.test_error", "metrics.rival.on_chip_test_error"):
    assert rows["step"]["1"][m] == rows["stuck"]["1"][m], (m, rows["step"]["1"][m], rows["stuck"]["1"][m])
t = json.load(open(f"{d}/tornado.json"))
assert t["metrics"] == ["metrics.test_error", "metrics.rival.on_chip_test_error"], t["metrics"]
assert sorted(t["order"]) == ["step", "stuck"] and len(t["bars"]) == 4, t
PY
echo "sensitivity test passed"
