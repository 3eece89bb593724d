#!/bin/bash
# One name per concept across the binaries, the earlier spellings kept as aliases: both spellings resolve
# to the same configuration in a dry run (bp_mnist's --optimizer/--weight-decay, ff_mnist's --momentum in
# situ for --analog-momentum; --weight-copies and --hw weight_copies=N each accepted, not both), and an
# override under either name wins over a replayed record under the other; an unknown option in a config
# file is named with its file, line and the nearest option; every binary with --dry-run prints JSON
# without reading data and still refuses an impossible value; and the help groups the options and names
# both defaults of an option whose in-situ default differs.
# usage: options_test.sh BIN_DIR
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
same() {  # same NAME BINARY "ARGS A" "ARGS B": the two dry runs print the same configuration
  local name=$1 binary=$2
  # shellcheck disable=SC2086
  "$bin/$binary" --dry-run $3 > "$dir/$name.a"
  # shellcheck disable=SC2086
  "$bin/$binary" --dry-run $4 > "$dir/$name.b"
  diff "$dir/$name.a" "$dir/$name.b" || { echo "$name: '$3' and '$4' resolve differently" >&2; exit 1; }
}
same optimiser bp_mnist "--optimizer adam --weight-decay 0.001" "--optimiser adam --weight-cost 0.001"
grep -q '"optimiser": "adam"' "$dir/optimiser.a"
grep -q '"weight-cost": 0.001' "$dir/optimiser.a"
same momentum ff_mnist "--device ecram --momentum 0.9" "--device ecram --analog-momentum 0.9"
grep -q '"analog-momentum": 0.9' "$dir/momentum.a"
grep -q '"lr": 0.02' "$dir/momentum.a"  # with analog momentum the digital rate stands
same plain ff_mnist "--device ecram" "--device ecram --analog-momentum 0"
grep -q '"lr": 0.004' "$dir/plain.a"
grep -q '"negatives": "random"' "$dir/plain.a"
# Devices per weight by its own name: the same chip as the hardware path (the chip's record is not part of
# a dry run; the check is that each is accepted and both together refused).
"$bin/ff_mnist" --dry-run --device reram --weight-copies 2 > /dev/null
"$bin/ff_mnist" --dry-run --device reram --hw weight_copies=2 > /dev/null
if "$bin/ff_mnist" --dry-run --device reram --weight-copies 2 --hw weight_copies=3 > "$dir/both.out" 2>&1; then
  echo "--weight-copies and --hw weight_copies= together were accepted" >&2
  exit 1
fi
grep -q "weight-copies" "$dir/both.out"
# A replayed run records analog momentum under both names: an override under either wins over the record.
"$bin/ff_mnist" --dry-run --device ecram --analog-momentum 0.9 > "$dir/record.json"
grep -q '"momentum": 0.9' "$dir/record.json"
same replay ff_mnist "--config $dir/record.json --momentum 0.5" "--config $dir/record.json --analog-momentum 0.5"
grep -q '"analog-momentum": 0.5' "$dir/replay.a"
grep -q '"momentum": 0.5' "$dir/replay.a"
# So does devices per weight, by its option or by its hardware path.
"$bin/ff_mnist" --dry-run --device reram --weight-copies 2 > "$dir/copies.json"
"$bin/ff_mnist" --dry-run --config "$dir/copies.json" --hw weight_copies=3 > "$dir/copies3.json"
grep -q '"weight_copies=3"' "$dir/copies3.json"
grep -q '"weight-copies": 1' "$dir/copies3.json"
# Digital: analog momentum and devices per weight are chip settings, refused without a chip.
if "$bin/ff_mnist" --dry-run --analog-momentum 0.9 > "$dir/digital.out" 2>&1; then
  echo "--analog-momentum was accepted by a digital run" >&2
  exit 1
fi
grep -q "analog-momentum" "$dir/digital.out"

# Unsupervised FF (--negatives hybrid) predicts by its softmax read-out, and refuses every option that
# writes, reads or varies a label, naming it and its value; mask passes need hybrid negatives.
"$bin/ff_mnist" --dry-run --negatives hybrid > "$dir/hybrid.json"
grep -q '"predict": "softmax"' "$dir/hybrid.json"
grep -q '"mask-passes": 6' "$dir/hybrid.json"
refused() {  # refused TEXT ARGS...: the dry run fails and its message holds TEXT
  local text=$1
  shift
  if "$bin/ff_mnist" --dry-run "$@" > "$dir/refused.out" 2>&1; then
    echo "ff_mnist --dry-run $* was accepted" >&2
    exit 1
  fi
  grep -qF -- "$text" "$dir/refused.out" || { echo "ff_mnist $*: no '$text' in:" >&2; cat "$dir/refused.out" >&2; exit 1; }
}
refused "predict 'goodness'" --negatives hybrid --predict goodness
refused "predict 'both'" --negatives hybrid --predict both
refused "fixed-negatives" --negatives hybrid --fixed-negatives
refused "pair-negatives true" --negatives hybrid --pair-negatives true
refused "label-value 2" --negatives hybrid --label-value 2
refused "mask-passes must be in 0..26, got 40" --negatives hybrid --mask-passes 40
refused "mask-passes 4 shapes hybrid negatives" --negatives random --mask-passes 4
refused "negatives must be random or hybrid, got 'hard'" --negatives hard --device ecram
# In situ too, where the read-out's features leave the chip through ADCs; not in a distillation, whose
# teacher scores label overlays.
"$bin/ff_mnist" --dry-run --negatives hybrid --device ecram > "$dir/hybrid_insitu.json"
grep -q '"predict": "softmax"' "$dir/hybrid_insitu.json"
refused "compare-readout-layers 0,1: in situ there is one" --negatives hybrid --device ecram --compare-readout-layers 0,1
if "$bin/mortal_distill" --dry-run --negatives hybrid > "$dir/refused.out" 2>&1; then
  echo "mortal_distill --negatives hybrid was accepted" >&2
  exit 1
fi
grep -qF "negatives hybrid: a distillation" "$dir/refused.out" || { cat "$dir/refused.out" >&2; exit 1; }
refused "negatives must be random, hard or hybrid, got 'mixed'" --negatives mixed

# An unknown option in a config file is named with the file, its line and the nearest option.
printf 'device = "ecram"\nanalog-momentum = 0.9\nmomentum-gian = 256\n' > "$dir/typo.cfg"
if "$bin/ff_mnist" --dry-run --config "$dir/typo.cfg" > "$dir/typo.out" 2>&1; then
  echo "a config file with an unknown option was accepted" >&2
  exit 1
fi
grep -qF "$dir/typo.cfg:3: unknown option 'momentum-gian' (did you mean 'momentum-gain'?)" "$dir/typo.out" ||
  { cat "$dir/typo.out" >&2; exit 1; }

# Every binary with --dry-run prints its configuration as JSON without reading data, and still refuses an
# impossible value.
dry() {  # dry BINARY BAD-OPTION BAD-VALUE [ARGS...]
  local binary=$1 bad=$2 value=$3
  shift 3
  "$bin/$binary" --dry-run "$@" > "$dir/$binary.json"
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dir/$binary.json"
  if "$bin/$binary" --dry-run "$@" "$bad" "$value" > "$dir/$binary.bad" 2>&1; then
    echo "$binary --dry-run $bad $value passed" >&2
    exit 1
  fi
  # Refused for the value given, by the option's name, not for some other reason.
  grep -q "${bad#--}.*got $value" "$dir/$binary.bad" || { cat "$dir/$binary.bad" >&2; exit 1; }
}
for binary in ff_mnist bp_mnist linear_mnist mortal_distill; do
  dry "$binary" --epochs 0 --data "$dir/no-mnist-here"
done
dry chip_drift --batch 0

# The help names the in-situ default beside the digital one, and groups the options.
"$bin/ff_mnist" --help > "$dir/help"
python3 - "$dir/help" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
# An option's help runs from its name to the next option's.
def option(name):
    m = re.search(r"^\s+" + re.escape(name) + r"\b(.*?)(?=^\s+--|\Z)", text, re.S | re.M)
    assert m, f"{name} not in the help"
    return " ".join(m.group(1).split())
for name, digital, insitu in [("--lr", "0.02", "0.004"), ("--negatives", "hard", "random"),
                              ("--predict", "both", "goodness"), ("--momentum", "0.9", "0"),
                              ("--weight-cost", "0.001", "0"), ("--init-scale", "1", "2.5")]:
    h = option(name)
    assert f"digital: {digital}" in h and f"in situ: {insitu}" in h, f"{name}: {h}"
for group in ["Data", "Network", "FF", "Optimiser", "Chip", "Update rule", "Output"]:
    assert re.search(r"^" + re.escape(group), text, re.M), f"no option group {group}"
PY
echo "aliases and help: ok"
