#!/bin/bash
# mortal_report on two small real runs (digital FF and BP): one row each with its figures, their test-error
# curves on one PNG, each run's own learning curve beside its results; a foreign or unreadable file is
# refused by name; a second seed of the FF run is grouped with the first, their mean and standard error below.
# usage: report_test.sh BIN_DIR MNIST_DIR
set -euo pipefail
source "$(dirname "$0")/mnist_prelude.sh" "$@"
small=(--data "$data" --train-limit 1000 --test-limit 500 --epochs 2 --layers 50)
MORTAL_THREADS=1 OPENBLAS_NUM_THREADS=1 "$bin/ff_mnist" "${small[@]}" --out "$dir/ff.json" > "$dir/ff.log" 2>&1 \
  || { cat "$dir/ff.log" >&2; exit 1; }
OPENBLAS_NUM_THREADS=1 "$bin/bp_mnist" "${small[@]}" --validation 0 --out "$dir/bp.json" > "$dir/bp.log" 2>&1 \
  || { cat "$dir/bp.log" >&2; exit 1; }
for run in ff bp; do
  [[ -s "$dir/${run}_curve.png" ]] || { echo "$run: no learning-curve plot beside its results" >&2; exit 1; }
done
"$bin/mortal_report" "$dir/ff.json" "$dir/bp.json" --plot "$dir/cmp.png" > "$dir/report.txt" 2>&1 \
  || { cat "$dir/report.txt" >&2; exit 1; }
cat "$dir/report.txt"
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
lines = open(f"{d}/report.txt").read().splitlines()
assert lines[0].split()[:2] == ["run", "binary"], lines[0]
for run, scenario in (("ff", "ff_mnist"), ("bp", "bp_mnist")):
    row = next(l for l in lines if l.startswith(f"{d}/{run}.json"))
    r = json.load(open(f"{d}/{run}.json"))
    final = f"{100 * r['metrics']['test_error']:.2f}%"
    assert scenario in row and "digital" in row and " 50 " in row and final in row, (row, final)
assert open(f"{d}/cmp.png", "rb").read(4) == b"\x89PNG"
rows = open(f"{d}/cmp.csv").read().splitlines()
assert rows[0] == "series,x,y" and {r.split(",")[0] for r in rows[1:]} == {"0", "1"}, rows[:3]
PY
grep -q "over seeds" "$dir/report.txt" && { echo "one run per setting, yet a table over seeds" >&2; exit 1; }
MORTAL_THREADS=1 OPENBLAS_NUM_THREADS=1 "$bin/ff_mnist" "${small[@]}" --seed 2 --out "$dir/ff2.json" \
  > "$dir/ff2.log" 2>&1 || { cat "$dir/ff2.log" >&2; exit 1; }
"$bin/mortal_report" "$dir/ff.json" "$dir/bp.json" "$dir/ff2.json" > "$dir/seeds.txt" 2>&1 \
  || { cat "$dir/seeds.txt" >&2; exit 1; }
cat "$dir/seeds.txt"
python3 - "$dir" <<'PY'
import json, math, sys
d = sys.argv[1]
lines = open(f"{d}/seeds.txt").read().splitlines()
at = next(i for i, l in enumerate(lines) if "over seeds" in l)
groups = lines[at + 3:]
assert len(groups) == 2, groups
e = [json.load(open(f"{d}/{f}.json"))["metrics"]["test_error"] for f in ("ff", "ff2")]
mean, se = sum(e) / 2, abs(e[0] - e[1]) / 2  # two runs: the sample deviation over sqrt(2) is half their gap
assert groups[0].startswith("ff_mnist 50 ") and " 1,2 " in groups[0], groups[0]
assert f"{100 * mean:.2f}% +- {100 * se:.2f}" in groups[0], (groups[0], e)
assert groups[1].startswith("bp_mnist 50"), groups[1]
PY
echo '{"grid": {}}' > "$dir/foreign.json"
if "$bin/mortal_report" "$dir/ff.json" "$dir/foreign.json" > "$dir/foreign.log" 2>&1; then
  echo "a foreign JSON was accepted" >&2; exit 1
fi
grep -q "$dir/foreign.json: not a run's results" "$dir/foreign.log" || { cat "$dir/foreign.log" >&2; exit 1; }
if "$bin/mortal_report" "$dir/nothing.json" > "$dir/missing.log" 2>&1; then
  echo "a missing file was accepted" >&2; exit 1
fi
grep -q "$dir/nothing.json" "$dir/missing.log" || { cat "$dir/missing.log" >&2; exit 1; }
echo "report test passed"
