#!/bin/bash
# --trace: a short in-situ run writes a VCD whose header declares every stage's, fifo's and ledger counter's
# signal and whose body has value changes over the traced steps; the run's figures are those of the same
# run without a trace; a digital run refuses --trace.
# usage: trace_test.sh FF_MNIST MNIST_DIR
set -euo pipefail
source "$(dirname "$0")/mnist_prelude.sh" "$@"
common=(--data "$data" --layers 30,20 --batch 50 --train-limit 500 --test-limit 200 --train-eval-limit 200 --seed 5
        --device ecram --epochs 1 --rival none --drift-times 1)
export MORTAL_THREADS=1 OPENBLAS_NUM_THREADS=1
"$bin" "${common[@]}" --out "$dir/plain.json" > "$dir/plain.log" 2>&1 || { cat "$dir/plain.log" >&2; exit 1; }
"$bin" "${common[@]}" --trace "$dir/run.vcd" --trace-steps 3 --out "$dir/traced.json" > "$dir/traced.log" 2>&1 \
  || { cat "$dir/traced.log" >&2; exit 1; }
[[ ! -e "$dir/run.vcd.part.vcd" ]] || { echo "the trace's temporary file was left behind" >&2; exit 1; }
python3 - "$dir" <<'PY'
import json, re, sys
d = sys.argv[1]
text = open(f"{d}/run.vcd").read()
header, _, body = text.partition("$enddefinitions")
# Full names: SystemC writes a hierarchy of $scope blocks (the top one is "SystemC").
names, ids, scope = set(), {}, []
for line in header.splitlines():
    w = line.split()
    if w[:1] == ["$scope"]:
        scope.append(w[2])
    elif w[:1] == ["$upscope"]:
        scope.pop()
    elif w[:1] == ["$var"]:
        name = ".".join(scope[1:] + [w[4]])
        names.add(name)
        ids[name] = w[3]
want = [f"ff_pipeline_0.{s}" for s in ("stage0.busy", "stage0.packet", "stage0.processed", "stage1.busy",
                                       "stage1.packet", "fifo0.level", "fifo1.level", "fifo2.level",
                                       "source.packets_in", "sink.packets_out")]
want += [f"ledger.ff.layer{k}.{e}" for k in (0, 1) for e in ("pulse", "crossbar_read", "dac.dac_conversion")]
missing = [w for w in want if w not in names]
assert not missing, f"undeclared signals: {missing}; declared: {sorted(names)}"
times = re.findall(r"^#(\d+)", body, re.M)
assert len(times) >= 6, f"only {len(times)} time steps with changes"
changes = [l for l in body.splitlines() if l and l[0] not in "#$"]
assert len(changes) > 20, f"only {len(changes)} value changes"
# The trace ends with the traced steps: the sink's count last changes to 3.
out_id = ids["ff_pipeline_0.sink.packets_out"]
last = [l.split()[0] for l in body.splitlines() if l.startswith("b") and l.split()[-1] == out_id][-1]
assert int(last[1:], 2) == 3, f"packets_out ends at {last}"
def metrics(p):
    m = json.load(open(p))["metrics"]
    for k in ("timing_s", "epoch_seconds", "mean_epoch_seconds", "drift_plot"):
        m.pop(k, None)
    for e in m["curve"]:
        e.pop("seconds", None)
    return m
a, b = metrics(f"{d}/plain.json"), metrics(f"{d}/traced.json")
differ = sorted(k for k in a if a[k] != b.get(k))
assert not differ, f"the trace changed the run: {differ}"
print(f"{len(names)} signals, {len(times)} time steps, {len(changes)} value changes; figures unchanged")
PY
if "$bin" --data "$data" --trace "$dir/digital.vcd" --out "$dir/digital.json" > "$dir/digital.log" 2>&1; then
  echo "a digital run accepted --trace" >&2; exit 1
fi
grep -q "trace set(s) the chip, but this run is digital" "$dir/digital.log" || { cat "$dir/digital.log" >&2; exit 1; }
echo "trace test passed"
