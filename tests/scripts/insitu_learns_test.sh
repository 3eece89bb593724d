#!/bin/bash
# FF trained in situ on an ECRAM chip learns MNIST in a short run, with plain pulses and with the headline's
# rule (recipes/ecram_best.cfg: analog momentum on capacitor arrays): its test error lies below chance by
# more than five standard deviations of a guesser's error on the images tested. The golden figures
# (golden_test.py) catch any change of arithmetic; this catches a chip that does not learn.
# usage: insitu_learns_test.sh FF_MNIST_BINARY MNIST_DIR
set -euo pipefail
source "$(dirname "$0")/mnist_prelude.sh" "$@"
recipes=$(cd "$(dirname "$0")/../../recipes" && pwd)
short=(--layers 200 --train-limit 5000 --test-limit 500 --epochs 4 --eval-every 4 --rival none --drift-times 1
       --data "$data")
MORTAL_THREADS=1 "$bin" --device ecram "${short[@]}" --out "$dir/plain.json" > "$dir/plain.log" 2>&1 \
  || { cat "$dir/plain.log" >&2; exit 1; }
MORTAL_THREADS=1 "$bin" --config "$recipes/ecram_best.cfg" "${short[@]}" --out "$dir/best.json" > "$dir/best.log" 2>&1 \
  || { cat "$dir/best.log" >&2; exit 1; }
python3 - "$dir/plain.json" "$dir/best.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    m = json.load(open(path))["metrics"]
    n, e = m["test_examples"], m["test_error"]
    bound = 0.9 - 5 * (0.9 * 0.1 / n) ** 0.5  # chance is 90% error; a guesser's sd on n images
    assert m["device"] == "ecram" and n == 500, (m["device"], n)
    assert e < bound, f"{path}: test error {e} on {n} images, not below {bound:.3f}"
    print(f"{path}: test error {100 * e:.2f}% (bound {100 * bound:.1f}%)")
PY
echo "in-situ learning test passed"
