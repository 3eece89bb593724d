#!/bin/sh
# Speed of FF in situ: one epoch over the 60,000 MNIST training images on an emulated chip with the full
# noise model, against one epoch of digital FF on the same network, data and settings (plain SGD, random
# negatives), both measured in this run. Training time only (the per-epoch clock of ff_mnist excludes
# evaluation). Issue target: in situ at most 1.5x digital.
#   bench/insitu_speed.sh [build dir, default build] [devices, default "pcm reram ecram"]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
devices=${2:-pcm reram ecram}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "command: bench/insitu_speed.sh $*"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
common="--layers 1000,1000 --epochs 1 --lr 0.004 --init-scale 2.5 --negatives random --predict goodness
        --test-limit 500 --train-eval-limit 500 --data $src/data/mnist"
"$build/bin/ff_mnist" $common --momentum 0 --weight-cost 0 --out "$tmp/digital.json" > /dev/null 2>&1
for d in $devices; do
  "$build/bin/ff_mnist" $common --device "$d" --rival none --drift-times 1 --out "$tmp/$d.json" > /dev/null 2>&1
done
/usr/bin/python3 - "$tmp" $devices <<'PY'
import json, sys
tmp, devices = sys.argv[1], sys.argv[2:]
epoch = lambda name: json.load(open(f"{tmp}/{name}.json"))["metrics"]["epoch_seconds"][0]
base = epoch("digital")
print("| network 784-1000-1000, 60,000 images | epoch wall s | in situ / digital |")
print("|---|---|---|")
print(f"| digital FF (plain SGD) | {base:.1f} | 1.00 |")
for d in devices:
    s = epoch(d)
    print(f"| in situ, {d} | {s:.1f} | {s / base:.2f} |")
PY
