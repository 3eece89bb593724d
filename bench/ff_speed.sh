#!/bin/sh
# Speed of one layer-epoch of the pytorch/examples FF recipe (784-500-500, one full batch of 50,000 positive
# and 50,000 negative images, one Adam step): mortal's digital FF against PyTorch on the same cores, and
# the float32 GEMM peak measured in the same run.
#   bench/ff_speed.sh [build dir, default build] [PyTorch timed steps, default 2]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
steps=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "command: bench/ff_speed.sh $*"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bin/ff_step_bench" --benchmark_format=json > "$tmp/mortal.json"
/usr/bin/python3 "$src/bench/ff_torch_recipe.py" --data "$src/data/mnist" --steps $((steps + 1)) --warmup 1 > "$tmp/torch.json"
/usr/bin/python3 - "$tmp/mortal.json" "$tmp/torch.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
bench = {b["name"]: b for b in m["benchmarks"]}
peak = next(b["GFLOP/s"] for k, b in bench.items() if k.startswith("BM_gemm_peak"))
print(f"float32 GEMM peak (2048^3, Eigen over OpenBLAS): {peak:.1f} GFLOP/s")
print(f"PyTorch {t['torch']}, {t['threads']} threads")
print("| layer | mortal s/step | mortal GFLOP/s | fraction of GEMM peak | PyTorch s/step | speed-up |")
print("|---|---|---|---|---|---|")
for layer, inputs in ((0, 784), (1, 500)):
    b = next(v for k, v in bench.items() if k.startswith(f"BM_ff_recipe_step/{inputs}/"))
    ms = b["real_time"] / 1000.0  # benchmark unit is ms
    ts = t["layers"][layer]["seconds_per_step"]
    print(f"| {layer} ({inputs}->500) | {ms:.3f} | {b['GFLOP/s']:.1f} | {b['GFLOP/s'] / peak:.0%} | {ts:.3f} | {ts / ms:.2f}x |")
    if layer == 0:
        # As ff_mnist --pair-negatives true runs layer 0: products on the positives and the label rows only.
        p = next(v for k, v in bench.items() if k.startswith("BM_ff_recipe_step_paired/784/"))
        ps = p["real_time"] / 1000.0
        print(f"| 0, paired negatives | {ps:.3f} | {p['GFLOP/s']:.1f} | {p['GFLOP/s'] / peak:.0%} | {ts:.3f} | {ts / ps:.2f}x |")
PY
