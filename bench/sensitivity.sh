#!/bin/bash
# The sensitivity study of issue 21: how the test error of FF trained in situ, and of its rival (BP trained
# digitally, then programmed onto the same chip), moves as each device property is scaled by a few factors,
# every other property at the base chip's value. One mortal_sweep per device and property, under
# OUT/DEVICE/PROPERTY (durable and resumable as any sweep: the same command again does only what is left),
# then `mortal_sweep --tornado OUT/DEVICE` draws OUT/DEVICE/tornado.png (the spread of each property's
# error, widest on top, factor 1 marked).
#
#   bench/sensitivity.sh BUILD_DIR OUT [--devices ecram,reram] [--properties write_noise,...]
#       [--factors 0.25,0.5,1,2,4] [--seeds 3] [--workers 1] [-- ff_mnist options]
#
# The properties and the hardware paths that carry them (a property of two paths scales both):
#   write_noise  device.dw_min_c2c       cycle-to-cycle noise of a pulse's step
#   step         device.dw_min           the step of one pulse
#   asymmetry    device.up_down          up/down asymmetry: step up dw (1 + a), down dw (1 - a)
#   read_noise   crossbar.out_noise      output-referred read noise (aihwkit's 0.06 in every preset)
#   spread       device.dw_min_dtod      device-to-device spread of the step
#   stuck        device.stuck_gmin_rate, device.stuck_gmax_rate
# Factor 1 is the study's base chip: the preset (its values read from a probe run's results, so the presets
# are written in hw/device.cpp only), with a nominal value for each property the preset leaves at 0 (ECRAM
# and ReRAM have no up/down asymmetry and no stuck devices): up_down 0.02 (an assumed value: twice the
# device-to-device up/down spread of aihwkit's GokmenVlasov preset, shared/REFERENCES.md) and 0.5% of the devices stuck at g_min and as many at g_max (the
# unit of --perturb's stuck rate, sim/perturbation.h). Every sweep runs on that base chip with only its
# property scaled, so the factor-1 runs of all properties are the same runs (same chip, same seeds).
set -euo pipefail
usage() { sed -n '9,10p' "$0" >&2; exit 2; }
(($# >= 2)) || usage
build=$1
out=$2
shift 2
devices=ecram,reram
properties=write_noise,step,asymmetry,read_noise,spread,stuck
factors=0.25,0.5,1,2,4
seeds=3
workers=1
while (($#)); do
  case $1 in
    --devices) devices=$2; shift 2 ;;
    --properties) properties=$2; shift 2 ;;
    --factors) factors=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
# Short runs: 784-500-500, 3 epochs on 10,000 images, 2,000 test images, read right after training; BP
# 784-500-500-10 over 3 epochs. (784-200-200 learns too slowly in so few steps: 64% error on ECRAM after 2
# epochs of 10,000 images.)
runs=(--layers 500,500 --epochs 3 --train-limit 10000 --test-limit 2000 --train-eval-limit 1000 --eval-every 3
  --rival bp --rival-epochs 3 --drift-times 1)
(($#)) && runs=("$@")
sweep=$build/bin/mortal_sweep
ff=$build/bin/ff_mnist
[[ -x $sweep && -x $ff ]] || { echo "sensitivity: no $sweep or $ff (build them first)" >&2; exit 1; }
# The tornado takes the middle point for factor 1.
python3 - "$factors" <<'PY'
import sys
f = [float(x) for x in sys.argv[1].split(',')]
if f != sorted(f) or len(f) % 2 == 0 or f[len(f) // 2] != 1:
    sys.exit(f"sensitivity: --factors {sys.argv[1]}: give them ascending, an odd number, 1 in the middle")
PY

all_properties="write_noise step asymmetry read_noise spread stuck"
paths_of() {
  case $1 in
    write_noise) echo device.dw_min_c2c ;;
    step) echo device.dw_min ;;
    asymmetry) echo device.up_down ;;
    read_noise) echo crossbar.out_noise ;;
    spread) echo device.dw_min_dtod ;;
    stuck) echo device.stuck_gmin_rate device.stuck_gmax_rate ;;
    *) echo "sensitivity: unknown property $1 (one of: $all_properties)" >&2; return 1 ;;
  esac
}
nominal_of() {  # the base chip's value where the preset has 0
  case $1 in
    device.up_down) echo 0.02 ;;
    device.stuck_gmin_rate | device.stuck_gmax_rate) echo 0.005 ;;
    *) echo 0 ;;
  esac
}
# The value at `path` of the results JSON's hardware section, or `nominal` when it is 0.
base_value() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
results, path, nominal = sys.argv[1], sys.argv[2], float(sys.argv[3])
node = json.load(open(results))["metrics"]["hardware"]["crossbar"]
for key in (path[len("crossbar."):] if path.startswith("crossbar.") else path).split("."):
    node = node[key]
print(f"{float(node) or nominal:.6g}")
PY
}
scaled() {  # base value, factors: the values of the property's grid
  python3 -c 'import sys; print(",".join(f"{float(sys.argv[1]) * float(f):.6g}" for f in sys.argv[2].split(",")))' "$1" "$2"
}

export MORTAL_THREADS=${MORTAL_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
IFS=, read -ra device_list <<< "$devices"
IFS=, read -ra property_list <<< "$properties"
for property in "${property_list[@]}"; do paths_of "$property" > /dev/null; done
mkdir -p "$out"
for device in "${device_list[@]}"; do
  # The preset's values: a probe run of a few images with the study's hardware options.
  hw=()
  for ((i = 0; i < ${#runs[@]}; ++i)); do
    if [[ ${runs[i]} == --hw ]]; then hw+=(--hw "${runs[i + 1]}"); fi
  done
  probe=$(mktemp -d)
  "$ff" --device "$device" "${hw[@]}" --layers 8 --epochs 1 --train-limit 100 --test-limit 100 --rival none \
    --drift-times 1 --out "$probe/probe.json" > "$probe/probe.log" 2>&1 ||
    { cat "$probe/probe.log" >&2; echo "sensitivity: the probe run on $device failed" >&2; exit 1; }
  declare -A base=()
  nominal_hw=()  # the nominal values every run of the study sets
  for property in $all_properties; do
    for path in $(paths_of "$property"); do
      base[$path]=$(base_value "$probe/probe.json" "$path" "$(nominal_of "$path")")
      if [[ ${base[$path]} == 0 ]]; then
        echo "sensitivity: $path is 0 on $device and has no nominal value" >&2
        exit 1
      fi
      if [[ $(nominal_of "$path") == "${base[$path]}" ]]; then nominal_hw+=("$path"); fi
    done
  done
  rm -rf "$probe"
  for property in "${property_list[@]}"; do
    grid=()
    fixed=()
    for path in $(paths_of "$property"); do grid+=(--grid "$path=$(scaled "${base[$path]}" "$factors")"); done
    for path in "${nominal_hw[@]}"; do
      if [[ " $(paths_of "$property") " != *" $path "* ]]; then fixed+=(--hw "$path=${base[$path]}"); fi
    done
    echo "sensitivity: $device $property: ${grid[*]} ${fixed[*]}"
    "$sweep" --out "$out/$device/$property" --zip "${grid[@]}" --seeds "$seeds" --workers "$workers" \
      --metrics test_error,rival.on_chip_test_error -- ff_mnist --device "$device" "${runs[@]}" "${fixed[@]}"
  done
  "$sweep" --tornado "$out/$device" --plot-metric metrics.test_error --plot-metric metrics.rival.on_chip_test_error
done
