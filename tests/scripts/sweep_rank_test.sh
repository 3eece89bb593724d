#!/bin/bash
# mortal_sweep's choice of metrics, its tornado chart, and MPI ranks that die, on a stand-in scenario
# (fake_scenario.sh: a run takes as long as the test says):
#   - --metrics keeps only the metrics named (and those under a named group); a name no run has stops the
#     sweep at its first run, naming it, and the same folder then takes the corrected names;
#   - --tornado draws one bar per property from the sweeps in a folder's subfolders, widest on top;
#   - under mpirun --enable-recovery, a worker rank killed with SIGKILL while it runs: its run is handed out
#     again and the sweep ends with every run once; under mpirun's default the job ends, and the same
#     command run again does exactly the runs left; with every worker rank lost the sweep stops, and the
#     command again does the rest; a run whose scenario is killed is a failed row.
# usage: sweep_rank_test.sh BIN_DIR MPIEXEC|none
set -euo pipefail
bin=$1
mpiexec=$2
sweep=$bin/mortal_sweep
fake=$(cd "$(dirname "$0")" && pwd)/fake_scenario.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

runs_once() {  # every run of N points x R replicas exactly once
  python3 - "$1" "$2" "$3" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
keys = sorted((int(r['point']), int(r['replica'])) for r in rows)
want = [(p, r) for p in range(int(sys.argv[2])) for r in range(int(sys.argv[3]))]
assert keys == want, f"runs recorded: {keys}"
PY
}
header() { head -1 "$1"; }

# --metrics: the columns kept.
"$sweep" --out "$dir/m" --grid device.dw_min=0.001,0.002 --metrics test_error,metrics.rival -- "$fake" \
  > "$dir/m.log" 2>&1
runs_once "$dir/m/results.csv" 2 1
header "$dir/m/results.csv" | grep -q "metrics.rival.on_chip_test_error,metrics.test_error$"
if header "$dir/m/results.csv" | grep -q "metrics.other"; then exit 1; fi
python3 - "$dir/m/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["metrics"] == ["metrics.rival.on_chip_test_error", "metrics.test_error"], s["metrics"]
PY
# A name no run has: refused at the first run, nothing recorded; the corrected command takes the folder.
if "$sweep" --out "$dir/u" --grid device.dw_min=0.001,0.002 --metrics test_error,no_such -- "$fake" \
    > "$dir/u.log" 2>&1; then exit 1; fi
grep -q "has no metric metrics.no_such (its metrics: metrics.other, metrics.rival.on_chip_test_error, metrics.test_error)" "$dir/u.log"
(($(wc -l < "$dir/u/results.csv") == 1))
"$sweep" --out "$dir/u" --grid device.dw_min=0.001,0.002 --metrics test_error -- "$fake" > "$dir/u2.log" 2>&1
runs_once "$dir/u/results.csv" 2 1
# Once rows are in, another choice of metrics is another sweep.
if "$sweep" --out "$dir/u" --grid device.dw_min=0.001,0.002 -- "$fake" > "$dir/u3.log" 2>&1; then exit 1; fi
grep -q 'metrics: \["metrics.test_error"\] recorded, all given' "$dir/u3.log"

# --tornado: "step" moves the error (10 x dw_min), "flat" does not; factor 1 is the middle point.
"$sweep" --out "$dir/t/step" --grid device.dw_min=0.0005,0.001,0.002 --seeds 2 --metrics test_error,rival \
  -- "$fake" > "$dir/t1.log" 2>&1
"$sweep" --out "$dir/t/flat" --grid device.dw_min_c2c=0.15,0.3,0.6 --seeds 2 --metrics test_error,rival \
  -- "$fake" > "$dir/t2.log" 2>&1
"$sweep" --tornado "$dir/t" > "$dir/t.log" 2>&1
[[ -s "$dir/t/tornado.png" && -f "$dir/t/tornado.gp" ]]
python3 - "$dir/t/tornado.json" "$dir/t/step/summary.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
assert t["order"] == ["flat", "step"], t["order"]
assert t["metrics"] == ["metrics.rival.on_chip_test_error", "metrics.test_error"], t["metrics"]
step = {b["metric"]: b for b in t["bars"] if b["property"] == "step"}
s = json.load(open(sys.argv[2]))
means = [p["metrics"]["metrics.test_error"]["mean"] for p in s["points"]]
b = step["metrics.test_error"]
assert abs(b["low"] - min(means)) < 1e-12 and abs(b["high"] - max(means)) < 1e-12 and b["centre"] == means[1], b
assert b["spread"] > 0.01, b
PY

[[ "$mpiexec" == none ]] && { echo "sweep rank test passed (without MPI)"; exit 0; }
# OpenMPI refuses root unless told; CI runs as root. Only this test's mpiruns are told.
allow=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
grid=(--grid device.dw_min=0.001,0.002,0.003,0.004,0.005,0.006 --seeds 1)
# The pid of rank $2 of the mpirun $1 (env execs it: the rank is its child), once that rank runs a scenario.
rank_running() {
  for _ in $(seq 300); do
    for p in $(pgrep -P "$1"); do
      if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && pgrep -P "$p" > /dev/null; then
        echo "$p"
        return
      fi
    done
    sleep 0.1
  done
  echo "rank $2 never ran a scenario" >&2
  return 1
}

# --enable-recovery: the job goes on without the killed rank.
"${allow[@]}" "$mpiexec" -np 3 --oversubscribe --enable-recovery "$sweep" --out "$dir/rec" "${grid[@]}" --rank-timeout 3 \
  -- "$fake" --sleep 1 > "$dir/rec.log" 2>&1 &
job=$!
kill -KILL "$(rank_running "$job" 2)"
wait "$job"
runs_once "$dir/rec/results.csv" 6 1
grep -q "rank 2 silent for 3 s: taken as dead; run [0-9]-0 handed out again" "$dir/rec.log"
python3 - "$dir/rec/results.csv" <<'PY2'
import csv, sys
assert all(r['status'] == 'ok' for r in csv.DictReader(open(sys.argv[1], newline='')))
PY2

# Every worker rank lost: the sweep stops, naming the runs left; the same command again does them. (Under
# --enable-recovery OpenMPI 4.1's mpirun exits with 0 even after MPI_Abort(1): the message tells.)
"${allow[@]}" "$mpiexec" -np 2 --oversubscribe --enable-recovery "$sweep" --out "$dir/all" "${grid[@]}" --rank-timeout 2 \
  -- "$fake" --sleep 1 > "$dir/all.log" 2>&1 &
job=$!
kill -KILL "$(rank_running "$job" 1)"
wait "$job" || true
grep -q "every worker rank is lost; [0-9] runs have no row" "$dir/all.log"
"${allow[@]}" "$mpiexec" -np 2 --oversubscribe "$sweep" --out "$dir/all" "${grid[@]}" -- "$fake" --sleep 1 > "$dir/all2.log" 2>&1
runs_once "$dir/all/results.csv" 6 1

# OpenMPI's default: the job ends; the same command again does the runs left, each once.
set +e
"${allow[@]}" "$mpiexec" -np 3 --oversubscribe "$sweep" --out "$dir/def" "${grid[@]}" -- "$fake" --sleep 1 > "$dir/def.log" 2>&1 &
job=$!
kill -KILL "$(rank_running "$job" 2)"
wait "$job"
code=$?
set -e
((code != 0)) || { echo "mpirun ended with 0 after a rank was killed" >&2; exit 1; }
rows=$(($(wc -l < "$dir/def/results.csv") - 1))
((rows < 6)) || { echo "all $rows runs recorded though the job was ended" >&2; exit 1; }
"${allow[@]}" "$mpiexec" -np 3 --oversubscribe "$sweep" --out "$dir/def" "${grid[@]}" -- "$fake" --sleep 1 > "$dir/def2.log" 2>&1
grep -q "$((6 - rows)) runs to do" "$dir/def2.log"
runs_once "$dir/def/results.csv" 6 1

# A scenario killed under MPI: a failed row, and the sweep goes on.
"${allow[@]}" "$mpiexec" -np 2 --oversubscribe "$sweep" --out "$dir/crash" --grid --crash=0,1 -- "$fake" > "$dir/crash.log" 2>&1
python3 - "$dir/crash/results.csv" <<'PY'
import csv, sys
rows = {r['point']: r for r in csv.DictReader(open(sys.argv[1], newline=''))}
assert rows['0']['status'] == 'ok', rows['0']
assert rows['1']['status'] == 'failed' and rows['1']['signal'] == '9', rows['1']
PY
echo "sweep rank test passed"
