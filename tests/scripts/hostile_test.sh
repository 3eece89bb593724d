#!/bin/bash
# Hostile but fair use of the scenario binaries: paths full of shell metacharacters, flags set false, data
# files crafted to crash a reader, outputs that must not be destroyed, impossible options and checkpoints.
# Every case ends in the right result or a clear error naming what is wrong, never a crash, a hang, a lost
# result or a command run by accident.
# usage: hostile_test.sh BIN_DIR MNIST_DIR
set -uo pipefail
source "$(dirname "$0")/mnist_prelude.sh" "$@"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# expect_error NAME WORDS -- COMMAND...: exits 1 (not a crash or signal) and says WORDS on stderr.
expect_error() {
  local name=$1 words=$2
  shift 3
  "$@" > "$dir/out.log" 2> "$dir/err.log"
  local rc=$?
  if [[ $rc -eq 0 ]]; then fail "$name: succeeded, expected an error"; return; fi
  if [[ $rc -ge 124 ]]; then fail "$name: exit $rc (a crash, a signal or a hang)"; cat "$dir/err.log" >&2; return; fi
  grep -qF -- "$words" "$dir/err.log" || { fail "$name: stderr lacks '$words'"; cat "$dir/err.log" >&2; }
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

tiny=(--layers 20 --epochs 2 --batch 50 --train-limit 200 --test-limit 100 --train-eval-limit 100 --data "$data")
chip=(--device ideal --rival none --drift-times 1,3600)

# 1. A results path full of shell and gnuplot metacharacters is a path.
weird="$dir/r\$(touch $dir/MARK)\`touch $dir/MARK\` \$HOME;'q\"@.json"
"$bin/ff_mnist" "${tiny[@]}" "${chip[@]}" --out "$weird" > "$dir/weird.log" 2> "$dir/weird.err" || fail "weird path: exit $?"
[[ -e "$dir/MARK" ]] && fail "a command in the results path was run"
[[ -f "${weird%.json}_drift.png" ]] || fail "weird path: no drift plot at ${weird%.json}_drift.png"
grep -qi "gnuplot\|warning" "$dir/weird.log" && fail "gnuplot's words reached the run's standard output"

# 2. Booleans set false are recorded false, from the command line and from a config file, and a resume
#    under the other value is refused.
"$bin/ff_mnist" "${tiny[@]}" --standardise=false --out "$dir/f1.json" > /dev/null 2>&1 || fail "--standardise=false: exit $?"
[[ $(json "$dir/f1.json" 'd["config"]["standardise"]') == False ]] || fail "--standardise=false recorded as true"
printf 'standardise = false\nfixed-negatives = false\nmin-ssq = false\n' > "$dir/f.toml"
"$bin/ff_mnist" "${tiny[@]}" --config "$dir/f.toml" --out "$dir/f2.json" > /dev/null 2>&1 || fail "config false: exit $?"
[[ $(json "$dir/f2.json" 'd["config"]["standardise"], d["config"]["fixed-negatives"], d["config"]["min-ssq"]') == "(False, False, False)" ]] ||
  fail "flags set false in a config recorded as true"
"$bin/ff_mnist" "${tiny[@]}" --standardise --out "$dir/s.json" --stop-after-epoch 1 > /dev/null 2>&1 || fail "stop: exit $?"
expect_error "resume with the flag off" "standardise (checkpoint true, now false)" -- \
  "$bin/ff_mnist" "${tiny[@]}" --standardise=false --out "$dir/s.json" --resume
"$bin/ff_mnist" "${tiny[@]}" --standardise=true --out "$dir/s.json" --resume > /dev/null 2>&1 || fail "resume with the flag on: exit $?"
[[ $(json "$dir/s.json" 'd["status"]') == finished ]] || fail "resumed run did not finish"

# 3. Images with fewer pixels than labels, and 4. image headers with no rows: errors, not crashes.
python3 - "$dir" <<'PY'
import struct, sys, os
d = sys.argv[1]
def idx(path, dims, data):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", x) for x in dims) + bytes(data))
for name, rows, cols in [("tiny", 2, 2), ("norows", 0, 28), ("nocols", 28, 0)]:
    os.makedirs(f"{d}/{name}", exist_ok=True)
    for split, n in [("train", 100), ("t10k", 20)]:
        idx(f"{d}/{name}/{split}-images-idx3-ubyte", [n, rows, cols], [i % 256 for i in range(n * rows * cols)])
        idx(f"{d}/{name}/{split}-labels-idx1-ubyte", [n], [i % 10 for i in range(n)])
PY
expect_error "2x2 images in situ" "label pixels do not fit" -- \
  "$bin/ff_mnist" --device ideal --rival none --layers 10 --epochs 1 --batch 10 --data "$dir/tiny" --out "$dir/t.json"
for scenario in ff_mnist bp_mnist linear_mnist; do
  for shape in norows nocols; do
    expect_error "$scenario on images with $shape" "$dir/$shape/train-images-idx3-ubyte" -- \
      "$bin/$scenario" --data "$dir/$shape" --out "$dir/$scenario-$shape.json" --epochs 1 --validation 0
  done
done

# 5. A finished run keeps its results when the plot cannot be drawn or the drift probe reads nothing.
PATH=/nonexistent "$bin/ff_mnist" "${tiny[@]}" "${chip[@]}" --out "$dir/noplot.json" > /dev/null 2> "$dir/noplot.log" ||
  fail "no gnuplot: exit $?"
[[ $(json "$dir/noplot.json" 'd["status"], d["metrics"]["drift_plot"]') == "('finished', '')" ]] || fail "no gnuplot: results not finished"
grep -q "warning: no drift plot" "$dir/noplot.log" || fail "no gnuplot: no warning"
"$bin/ff_mnist" "${tiny[@]}" --device pcm --rival none --drift-times 1 --hw crossbar.adc.bits=1 --out "$dir/adc1.json" \
  > /dev/null 2>&1 || fail "1-bit ADC: exit $?"
[[ $(json "$dir/adc1.json" 'd["status"]') == finished ]] || fail "1-bit ADC: results not finished"

# 6. A finished results file is not replaced unasked; a checkpoint may not be the results file.
sum=$(md5sum < "$dir/f1.json")
expect_error "rerun over finished results" "add --force" -- "$bin/ff_mnist" "${tiny[@]}" --out "$dir/f1.json"
[[ $(md5sum < "$dir/f1.json") == "$sum" ]] || fail "the finished results file changed"
"$bin/ff_mnist" "${tiny[@]}" --out "$dir/f1.json" --force > /dev/null 2>&1 || fail "--force: exit $?"
[[ -e "$dir/f1.running.json" ]] && fail "--force left its running record behind"
expect_error "checkpoint = out" "same file" -- "$bin/ff_mnist" "${tiny[@]}" --out "$dir/c.json" --checkpoint "$dir/c.json"

# 7. Outputs checked before training: a device, a symlink, a folder that cannot be made.
expect_error "out = /dev/null" "/dev/null is a device" -- "$bin/ff_mnist" "${tiny[@]}" --out /dev/null
[[ -c /dev/null ]] || fail "/dev/null is no longer a device"
ln -s "$dir/f1.json" "$dir/link.json"
expect_error "out = a symlink" "symbolic link" -- "$bin/linear_mnist" --data "$data" --epochs 1 --out "$dir/link.json"
touch "$dir/plain"
for scenario in bp_mnist linear_mnist; do
  expect_error "$scenario out under a file" "$dir/plain/r.json" -- "$bin/$scenario" --data "$data" --out "$dir/plain/r.json"
  grep -q "epoch" "$dir/err.log" && fail "$scenario trained before finding its output unwritable"
done

# 8. Impossible values are refused, not clamped or ignored.
expect_error "negative seed" "seed" -- "$bin/ff_mnist" "${tiny[@]}" --seed -1 --out "$dir/x.json"
expect_error "float seed" "seed" -- "$bin/bp_mnist" --seed 1e23 --out "$dir/x.json"
expect_error "--hw on a digital run" "this run is digital" -- \
  "$bin/ff_mnist" "${tiny[@]}" --hw device.dw_min=0.002 --out "$dir/x.json"
expect_error "train-limit above the data" "train-limit 70000" -- \
  "$bin/ff_mnist" --layers 20 --epochs 1 --train-limit 70000 --data "$data" --out "$dir/x.json"
expect_error "empty list element" "empty element" -- "$bin/ff_mnist" --layers 100,,100 --out "$dir/x.json"
expect_error "stop after the last epoch" "stop-after-epoch 2" -- \
  "$bin/ff_mnist" "${tiny[@]}" --stop-after-epoch 2 --out "$dir/x.json"

# 10. Every scenario's recorded configuration replays.
"$bin/bp_mnist" --layers 20 --epochs 1 --train-limit 200 --test-limit 100 --validation 0 --data "$data" \
  --out "$dir/bp.json" > /dev/null 2>&1 || fail "bp_mnist: exit $?"
"$bin/linear_mnist" --epochs 1 --train-limit 300 --test-limit 150 --validation 100 --data "$data" --out "$dir/lin.json" \
  > /dev/null 2>&1 || fail "linear_mnist: exit $?"
python3 -c "import json, sys; n = json.load(open(sys.argv[1]))['metrics']['test_examples']; sys.exit(n != 150)" \
  "$dir/lin.json" || fail "linear_mnist --test-limit 150 did not evaluate 150 test images"
"$bin/chip_drift" --inputs 20 --outputs 10 --idle 10,100 --out "$dir/cd.json" > /dev/null 2>&1 || fail "chip_drift --idle 10,100: exit $?"
for run in bp:bp_mnist lin:linear_mnist cd:chip_drift f2:ff_mnist adc1:ff_mnist; do
  stem=${run%%:*} scenario=${run##*:}
  "$bin/$scenario" --config "$dir/$stem.json" --out "$dir/$stem-replay.json" > /dev/null 2> "$dir/replay.log" ||
    { fail "$scenario: its recorded config does not replay"; cat "$dir/replay.log" >&2; continue; }
  same=$(python3 -c "
import json, sys
a, b = (json.load(open(p))['config'] for p in sys.argv[1:])
for k in ('out',): a.pop(k); b.pop(k)
print(a == b)" "$dir/$stem.json" "$dir/$stem-replay.json")
  [[ $same == True ]] || fail "$scenario: the replayed run's config differs from the recorded one"
done

# 12. A resume compares the data by content: the same files in another folder resume, changed files under
#     the same path do not.
mkdir "$dir/copy"
cp "$data"/*-ubyte "$dir/copy/"
copy=(--layers 20 --epochs 2 --batch 50 --train-limit 200 --test-limit 100 --train-eval-limit 100)
"$bin/ff_mnist" "${copy[@]}" --data "$data" --out "$dir/d.json" --stop-after-epoch 1 > /dev/null 2>&1 || fail "digest stop: exit $?"
"$bin/ff_mnist" "${copy[@]}" --data "$dir/copy" --out "$dir/d.json" --resume > /dev/null 2> "$dir/d.log" ||
  { fail "the same data in another folder did not resume"; cat "$dir/d.log" >&2; }
"$bin/ff_mnist" "${copy[@]}" --data "$dir/copy" --out "$dir/e.json" --stop-after-epoch 1 > /dev/null 2>&1 || fail "digest stop 2: exit $?"
python3 - "$dir/copy/t10k-labels-idx1-ubyte" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-1] = (b[-1] + 1) % 10  # still a valid label
open(sys.argv[1], "wb").write(b)
PY
expect_error "changed data under the same path" "data-digest" -- \
  "$bin/ff_mnist" "${copy[@]}" --data "$dir/copy" --out "$dir/e.json" --resume

# 13-14. Files that are not files: a folder as a checkpoint, a FIFO as data (must not hang).
mkdir "$dir/ckdir"
expect_error "checkpoint is a folder" "$dir/ckdir" -- "$bin/ff_mnist" "${tiny[@]}" --checkpoint "$dir/ckdir" --out "$dir/y.json"
mkdir "$dir/fifo"
cp "$data"/t10k-* "$data"/train-labels-idx1-ubyte "$dir/fifo/"
mkfifo "$dir/fifo/train-images-idx3-ubyte"
expect_error "a FIFO as data" "$dir/fifo/train-images-idx3-ubyte" -- \
  timeout 60 "$bin/linear_mnist" --data "$dir/fifo" --out "$dir/z.json"

if ((failures)); then
  echo "$failures case(s) failed" >&2
  exit 1
fi
echo "all hostile cases gave the right result or a clear error"
