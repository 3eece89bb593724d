#!/bin/bash
# cmake --install into a fresh prefix: the binaries in bin/, the energy tables, documents and recipes under
# share/mortal/; an installed binary started from another folder finds the installed tables, takes its data
# from --data or MORTAL_DATA, and a missing data folder gets a message that says how to fetch it.
# usage: install_test.sh CMAKE BUILD_DIR MNIST_DIR
set -euo pipefail
cmake=$1
build=$2
data=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
prefix="$dir/prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
for f in bin/ff_mnist bin/bp_mnist bin/linear_mnist bin/mortal_energy bin/mortal_report share/mortal/README.md \
         share/mortal/bench/README.md share/mortal/energy/cmos45nm.toml share/mortal/energy/analog_chip.toml; do
  [[ -e "$prefix/$f" ]] || { echo "not installed: $f" >&2; exit 1; }
done
mkdir "$dir/elsewhere"
cd "$dir/elsewhere"

# The energy tables: the installed ones, named in the results.
"$prefix/bin/mortal_energy" --calibrate all --out "$dir/elsewhere/energy.json" > energy.log 2>&1 \
  || { cat energy.log >&2; exit 1; }
grep -q "$prefix/share/mortal/energy" energy.json || { echo "mortal_energy did not read the installed tables" >&2; exit 1; }

# A missing data folder, from the environment and from --data, and a folder without the files.
expect_missing() {  # LOG WHAT
  grep -q "$2" "$1" && grep -q "scripts/setup.sh" "$1" && grep -q "t10k-labels-idx1-ubyte" "$1" && grep -q "MORTAL_DATA" "$1" \
    || { echo "no message on how to fetch MNIST:" >&2; cat "$1" >&2; exit 1; }
}
if MORTAL_DATA="$dir/none" "$prefix/bin/linear_mnist" --out "$dir/elsewhere/l.json" > env.log 2>&1; then
  echo "a run with MORTAL_DATA naming a missing folder succeeded" >&2; exit 1
fi
expect_missing env.log "MNIST folder $dir/none not found"
mkdir "$dir/empty"
if "$prefix/bin/ff_mnist" --data "$dir/empty" --out "$dir/elsewhere/f.json" > empty.log 2>&1; then
  echo "a run with an empty --data folder succeeded" >&2; exit 1
fi
expect_missing empty.log "$dir/empty/train-images-idx3-ubyte: MNIST file not found"

# The data from MORTAL_DATA: a short run from this folder, its results and learning curve where --out says.
if [[ -f "$data/t10k-labels-idx1-ubyte" ]]; then
  MORTAL_DATA="$data" "$prefix/bin/linear_mnist" --epochs 1 --train-limit 2000 --validation 500 \
    --out "$dir/elsewhere/lin.json" > lin.log 2>&1 || { cat lin.log >&2; exit 1; }
  python3 - "$dir/elsewhere/lin.json" "$data" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["config"]["data"] == sys.argv[2], r["config"]["data"]
assert r["metrics"]["test_error"] < 0.5, r["metrics"]["test_error"]
PY
fi
echo "install test passed"
