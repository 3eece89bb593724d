#!/bin/bash
# mortal_sweep end to end on a tiny chip_drift grid (3 points x 2 chips):
#   - 1 worker, 2 workers and (when built with MPI) mpirun -np 2 give the same table, rows sorted, wall
#     times aside;
#   - a sweep killed with SIGKILL mid-way (and its table left with a torn last line) and run again ends
#     with every run recorded exactly once, and the same table;
#   - a point whose scenario fails is a failed row and the sweep goes on;
#   - an unknown hardware path or option, and another grid over a used folder, are refused before any run;
#   - (with MNIST) an ff_mnist run killed with its sweep after its first epoch goes on from its checkpoint
#     and ends with the numbers of a sweep never stopped.
# usage: sweep_test.sh BIN_DIR MPIEXEC|none MNIST_DIR
set -euo pipefail
bin=$1
mpiexec=$2
data=$3
sweep=$bin/mortal_sweep
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export MORTAL_THREADS=1 OPENBLAS_NUM_THREADS=1
scenario=(chip_drift --inputs 32 --outputs 16 --batch 8 --idle 1,3600,86400)
grid=(--grid device.dw_min=0.001,0.004,0.016 --seeds 2 --seed 7 --plot-metric metrics.reads.2.relative_error)

# The table without its wall times, rows sorted: what must not depend on how the runs were spread.
canon() {
  python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
keep = [i for i, c in enumerate(rows[0]) if 'wall' not in c]
print(','.join(rows[0][i] for i in keep))
for r in sorted(rows[1:], key=lambda r: (int(r[0]), int(r[1]))):
    print(','.join(r[i] for i in keep))
PY
}
runs_once() {  # every (point, replica) of N points x 2 exactly once
  python3 - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
keys = sorted((int(r['point']), int(r['replica'])) for r in rows)
want = [(p, r) for p in range(int(sys.argv[2])) for r in range(2)]
assert keys == want, f"runs recorded: {keys}"
PY
}

"$sweep" --out "$dir/w1" "${grid[@]}" --workers 1 -- "${scenario[@]}" > "$dir/w1.log" 2>&1
runs_once "$dir/w1/results.csv" 3
grep -q "points 3/3" "$dir/w1.log"
[[ -f "$dir/w1/summary.json" && -f "$dir/w1/runs/2-1.json" ]]
ls "$dir"/w1/plots/*.png > /dev/null
"$sweep" --out "$dir/w2" "${grid[@]}" --workers 2 -- "${scenario[@]}" > "$dir/w2.log" 2>&1
diff <(canon "$dir/w1/results.csv") <(canon "$dir/w2/results.csv")
if [[ "$mpiexec" != none ]]; then
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    "$mpiexec" -np 2 --oversubscribe "$sweep" --out "$dir/mpi" "${grid[@]}" -- "${scenario[@]}" > "$dir/mpi.log" 2>&1
  diff <(canon "$dir/w1/results.csv") <(canon "$dir/mpi/results.csv")
  [[ -f "$dir/mpi/runs/2-1.json" ]]
fi

# Rerunning a finished sweep runs nothing.
"$sweep" --out "$dir/w1" "${grid[@]}" -- "${scenario[@]}" > "$dir/again.log" 2>&1
grep -q "0 runs to do" "$dir/again.log"
diff <(canon "$dir/w1/results.csv") <(canon "$dir/w2/results.csv")

# Killed with SIGKILL (the sweep and its children, as a power cut would) with two rows in and the third run
# under way. The scenario is chip_drift behind a gate: while the gate file exists, a run past the second waits
# to be killed, so the kill lands at the same place however fast the runs are.
gate=$dir/gate
touch "$gate"
cat > "$dir/gated_drift" <<GATE
#!/bin/bash
[[ " \$* " == *" --help "* ]] && exec "$bin/chip_drift" "\$@"
echo run >> "$dir/started"
if [[ -e "$gate" ]] && ((\$(wc -l < "$dir/started") > 2)); then exec sleep 600; fi
exec "$bin/chip_drift" "\$@"
GATE
chmod +x "$dir/gated_drift"
gated=("$dir/gated_drift" "${scenario[@]:1}")
setsid "$sweep" --out "$dir/kill" "${grid[@]}" -- "${gated[@]}" > "$dir/kill.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [[ -f "$dir/started" ]] && (($(wc -l < "$dir/started") >= 3)) && break
  sleep 0.1
done
kill -KILL -- -"$pid"
wait "$pid" || true
rows=$(($(wc -l < "$dir/kill/results.csv") - 1))
((rows == 2)) || { echo "killed with the third run waiting, after $rows rows: expected 2" >&2; exit 1; }
rm "$gate"
printf '5,1,1234' >> "$dir/kill/results.csv"  # a row cut short by the kill
"$sweep" --out "$dir/kill" "${grid[@]}" -- "${gated[@]}" > "$dir/resume.log" 2>&1
grep -q "torn last line" "$dir/resume.log"
runs_once "$dir/kill/results.csv" 3
diff <(canon "$dir/w1/results.csv") <(canon "$dir/kill/results.csv")

# A failing point: --inputs 0 passes the option parser, and the scenario refuses it when run.
"$sweep" --out "$dir/fail" --grid --inputs=32,0 --seeds 2 -- chip_drift --outputs 16 --batch 8 --idle 1,60 \
  > "$dir/fail.log" 2>&1
runs_once "$dir/fail/results.csv" 2
python3 - "$dir/fail/results.csv" <<'PY'
import csv, sys
rows = {(r['point'], r['replica']): r for r in csv.DictReader(open(sys.argv[1], newline=''))}
assert rows[('0', '0')]['status'] == 'ok' and rows[('0', '1')]['status'] == 'ok'
for rep in '01':
    r = rows[('1', rep)]
    assert r['status'] == 'failed' and r['exit_code'] == '1', r
    assert 'inputs must be >= 1' in r['error'], r['error']
PY

# Refused before any run: an unknown hardware path, an unknown option, another grid over a used folder.
if "$sweep" --out "$dir/bad" --grid device.no_such_path=1,2 -- "${scenario[@]}" > "$dir/bad.log" 2>&1; then exit 1; fi
grep -q "no parameter 'crossbar.device.no_such_path'" "$dir/bad.log"
[[ ! -e "$dir/bad" ]]
if "$sweep" --out "$dir/bad" --grid --no-such-option=1 -- "${scenario[@]}" > "$dir/bad.log" 2>&1; then exit 1; fi
grep -q "no option --no-such-option" "$dir/bad.log"
[[ ! -e "$dir/bad" ]]
if "$sweep" --out "$dir/w1" --grid device.dw_min=0.001,0.002 --seeds 2 --seed 7 -- "${scenario[@]}" \
    > "$dir/other.log" 2>&1; then exit 1; fi
grep -q "grid device.dw_min: 0.001,0.004,0.016 recorded, 0.001,0.002 given" "$dir/other.log"

# A run killed with its sweep after its first epoch: ff_mnist behind a gate that, for the first run, stops it
# once its first epoch is checkpointed and waits to be killed. Run again, the sweep passes --resume, and the
# figures are those of a sweep never stopped.
if [[ ! -f "$data/t10k-labels-idx1-ubyte" ]]; then
  echo "MNIST not found in $data: the resumed run is not checked; run scripts/setup.sh" >&2
  exit 77
fi
ff=(--data "$data" --layers 30 --epochs 3 --train-limit 400 --test-limit 200 --batch 50)
ffgrid=(--grid --lr=0.02,0.05 --seed 5 --workers 1)
"$sweep" --out "$dir/ff" "${ffgrid[@]}" -- "$bin/ff_mnist" "${ff[@]}" > "$dir/ff.log" 2>&1
touch "$gate"
cat > "$dir/gated_ff" <<GATE
#!/bin/bash
[[ " \$* " == *" --help "* ]] && exec "$bin/ff_mnist" "\$@"
if [[ -e "$gate" ]]; then
  "$bin/ff_mnist" "\$@" --stop-after-epoch 1 > /dev/null
  touch "$dir/ff_stopped"
  exec sleep 600
fi
exec "$bin/ff_mnist" "\$@"
GATE
chmod +x "$dir/gated_ff"
setsid "$sweep" --out "$dir/ffkill" "${ffgrid[@]}" -- "$dir/gated_ff" "${ff[@]}" > "$dir/ffkill.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [[ -f "$dir/ff_stopped" ]] && break
  sleep 0.1
done
kill -KILL -- -"$pid"
wait "$pid" || true
[[ -f "$dir/ffkill/runs/0-0.ckpt" ]] || { echo "the stopped run left no checkpoint" >&2; exit 1; }
rm "$gate"
"$sweep" --out "$dir/ffkill" "${ffgrid[@]}" -- "$dir/gated_ff" "${ff[@]}" > "$dir/ffresume.log" 2>&1
grep -q -- "--resume" "$dir/ffkill/runs/0-0.log"
grep -q "resumed from $dir/ffkill/runs/0-0.ckpt after epoch 1" "$dir/ffkill/runs/0-0.log"
if grep -q -- "--resume" "$dir/ffkill/runs/1-0.log"; then echo "a run never started was resumed" >&2; exit 1; fi
python3 - "$dir/ff/results.csv" "$dir/ffkill/results.csv" <<'PY'
import csv, sys
whole, resumed = ({r['point']: r for r in csv.DictReader(open(f, newline=''))} for f in sys.argv[1:])
assert sorted(whole) == sorted(resumed) == ['0', '1'], (sorted(whole), sorted(resumed))
for p in whole:
    for m in ('metrics.test_error', 'metrics.train_error', 'seed', 'status'):
        assert whole[p][m] == resumed[p][m], (p, m, whole[p][m], resumed[p][m])
PY
echo "sweep test passed"
