#!/bin/sh
# Throughput of mortal_sweep: the same small chip_drift sweep (4 points x 2 chips) with 1 local worker,
# then 2, then under mpirun -np 3 (rank 0 hands out, two ranks run) when MPI is built, back to back;
# points per hour each and the ratio to 1 worker. Each run is pinned to one thread, so 2 workers fill 2
# cores. Issue target: 2 workers at least 1.8x the points per hour of 1 on 2 cores.
#   bench/sweep_speed.sh [build dir, default build]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MORTAL_THREADS=1 OPENBLAS_NUM_THREADS=1
echo "command: bench/sweep_speed.sh $*"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
grid="--grid device.dw_min=0.0005,0.001,0.002,0.004 --seeds 2 --plot-metric metrics.reads.3.relative_error"
scenario="chip_drift --inputs 784 --outputs 1000 --batch 4096 --idle 1,3600,86400,2592000"
timed() {  # label, then the command; prints label and seconds
  label=$1
  shift
  start=$(date +%s.%N)
  "$@" > "$tmp/$label.log" 2>&1
  end=$(date +%s.%N)
  echo "$label $start $end" | awk '{ print $1, $3 - $2 }' >> "$tmp/times"
}
timed w1 "$build/bin/mortal_sweep" --out "$tmp/w1" $grid --workers 1 -- $scenario
timed w2 "$build/bin/mortal_sweep" --out "$tmp/w2" $grid --workers 2 -- $scenario
if command -v mpirun > /dev/null && "$build/bin/mortal_sweep" --help | grep -q "Built with MPI"; then
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    timed mpi2 mpirun -np 2 --oversubscribe "$build/bin/mortal_sweep" --out "$tmp/mpi2" $grid -- $scenario
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    timed mpi3 mpirun -np 3 --oversubscribe "$build/bin/mortal_sweep" --out "$tmp/mpi3" $grid -- $scenario
fi
/usr/bin/python3 - "$tmp/times" <<'PY'
import sys
names = {"w1": "1 local worker", "w2": "2 local workers", "mpi2": "mpirun -np 2 (1 running rank)",
         "mpi3": "mpirun -np 3 --oversubscribe (2 running ranks)"}
times = dict((l.split()[0], float(l.split()[1])) for l in open(sys.argv[1]))
points = 4
print("| sweep of 4 points x 2 chips | wall s | points per hour | vs 1 worker |")
print("|---|---|---|---|")
for k, t in times.items():
    print(f"| {names[k]} | {t:.1f} | {points * 3600 / t:.0f} | {times['w1'] / t:.2f}x |")
PY
