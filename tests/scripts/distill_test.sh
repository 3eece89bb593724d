#!/bin/bash
# mortal_distill end to end on a small network: every method runs and is recorded with its plot (the student
# that learns representations turns its layers towards the teacher's), then the teacher's life (it ages past the SystemC kernel's horizon, gathering stuck devices, and teaches a fresh
# student at each age); a run stopped in the middle of a method's epochs and resumed, then stopped between
# methods, then in the middle of the teacher's life, and resumed each time, ends with the numbers of a run
# never interrupted; a teacher restored from an ff_mnist in-situ checkpoint
# teaches, and one of another shape or preset than the run's is refused by name.
# usage: distill_test.sh BIN_DIR MNIST_DIR
set -euo pipefail
source "$(dirname "$0")/mnist_prelude.sh" "$@"
limits=(--batch 50 --train-limit 500 --test-limit 300 --seed 3 --data "$data")
small=(--layers 30,20 "${limits[@]}")
chip=(--layers 30,20 --batch 50 --train-limit 500 --test-limit 300 --data "$data" --device reram --epochs 2 --transfer 300)
methods=labels,weight-copy,conductance-copy,hard,soft,copy+soft,soft-layers,representations,soft-all,hard-all
common=("${chip[@]}" --seed 3 --perturb 1 --methods "$methods" --keep-student soft --ages 0,400 --teacher-stuck-per-day 2e-4)
# Teacher 2 epochs, then labels, hard, soft, copy+soft, soft-layers, representations, soft-all, hard-all 2
# epochs each, then a student at each of two ages 2 epochs each: 22 epochs in all (epoch 13 is the first of
# representations, 15 of soft-all, 19 of the life).
"$bin/mortal_distill" "${common[@]}" --out "$dir/whole.json" > "$dir/whole.log" 2>&1 || { cat "$dir/whole.log" >&2; exit 1; }
"$bin/mortal_distill" "${common[@]}" --out "$dir/part.json" --stop-after-epoch 3 > "$dir/stop1.log" 2>&1
grep -q "stopped after epoch 3" "$dir/stop1.log" || { cat "$dir/stop1.log" >&2; exit 1; }
"$bin/mortal_distill" "${common[@]}" --out "$dir/part.json" --resume --stop-after-epoch 6 > "$dir/stop2.log" 2>&1
grep -q "resumed from" "$dir/stop2.log" || { cat "$dir/stop2.log" >&2; exit 1; }
"$bin/mortal_distill" "${common[@]}" --out "$dir/part.json" --resume --stop-after-epoch 13 > "$dir/stop3.log" 2>&1
grep -q "stopped after epoch 13" "$dir/stop3.log" || { cat "$dir/stop3.log" >&2; exit 1; }
"$bin/mortal_distill" "${common[@]}" --out "$dir/part.json" --resume --stop-after-epoch 15 > "$dir/stop4.log" 2>&1
grep -q "stopped after epoch 15" "$dir/stop4.log" || { cat "$dir/stop4.log" >&2; exit 1; }
"$bin/mortal_distill" "${common[@]}" --out "$dir/part.json" --resume --stop-after-epoch 19 > "$dir/stop5.log" 2>&1
grep -q "stopped after epoch 19" "$dir/stop5.log" || { cat "$dir/stop5.log" >&2; exit 1; }
"$bin/mortal_distill" "${common[@]}" --out "$dir/part.json" --resume > "$dir/resume.log" 2>&1 || { cat "$dir/resume.log" >&2; exit 1; }
python3 - "$dir/whole.json" "$dir/part.json" <<'PY'
import json, os, sys
whole = json.load(open(sys.argv[1]))
m = whole["metrics"]
methods = [r["method"] for r in m["methods"]]
want = ["labels", "weight-copy", "conductance-copy", "hard", "soft", "copy+soft", "soft-layers", "representations",
        "soft-all", "hard-all"]
if methods != want:
    sys.exit(f"methods {methods}, want {want}")
for r in m["methods"]:
    if not 0 <= r["test_error"] <= 1 or not r["energy_pj"] > 0:
        sys.exit(f"method {r['method']}: test error {r['test_error']}, energy {r['energy_pj']}")
if not (os.path.exists(m["plot"]) and os.path.getsize(m["plot"]) > 0):
    sys.exit(f"no plot at {m['plot']!r}")
# The teacher's temperature is solved for its mean largest probability to be --confidence (0.9 by default).
if abs(m["transfer"]["teacher_mean_top_probability"] - 0.9) > 1e-3 or m["transfer"]["images"] != 300:
    sys.exit(f"transfer {m['transfer']}")
# The representations student's layers turn towards the teacher's: the distance between their normalised
# activities falls from its first epoch to its last, in every layer.
rep = next(r for r in m["methods"] if r["method"] == "representations")
first, last = rep["curve"][0]["layers"], rep["curve"][-1]["layers"]
if not all(b["representation_distance"] < a["representation_distance"] for a, b in zip(first, last)):
    sys.exit(f"representation distances {[l['representation_distance'] for l in first]} -> "
             f"{[l['representation_distance'] for l in last]}")
if len(m["transfer"]["layer_mean_probability_top_label"]) != 2 or not m["transfer"]["layer_query_energy_pj"] > 0:
    sys.exit(f"the teacher's layers' probabilities: {m['transfer']}")
# The life: at age 0 the teacher has its birth faults (0.5% + 0.5% at perturbation 1), 400 days later also
# 1 - exp(-2e-4 x 400) of the free ones, within 5 binomial sd of the teacher's 2 x (785 x 30 + 31 x 20)
# devices.
life = m["life"]
if [row["age_days"] for row in life] != [0, 400] or not os.path.exists(m["life_plot"]):
    sys.exit(f"life {[row['age_days'] for row in life]}, plot {m.get('life_plot')!r}")
n = 2 * (785 * 30 + 31 * 20)
born, aged = life[0]["teacher_stuck_fraction"], life[1]["teacher_stuck_fraction"]
q = 0.01 + 0.99 * (1 - __import__("math").exp(-2e-4 * 400))
if abs(born - 0.01) > 5 * (0.01 * 0.99 / n) ** 0.5 or abs(aged - q) > 5 * (q * (1 - q) / n) ** 0.5:
    sys.exit(f"stuck fractions {born} at 0 days, {aged} at 400 (expected 0.01 and {q:.4f})")
for row in life:
    if not 0 <= row["student"]["test_error"] <= 1 or "life_student_test_error_%gd" % row["age_days"] not in m:
        sys.exit(f"life row {row}")
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in ("timing_s", "seconds", "epoch_seconds", "wall_s", "plot", "life_plot", "checkpoint")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
a, b = strip(m), strip(json.load(open(sys.argv[2]))["metrics"])
differ = sorted(k for k in a if a[k] != b.get(k))
if differ:
    for k in differ:
        print(f"{k}: uninterrupted {json.dumps(a[k])[:400]} | resumed {json.dumps(b.get(k))[:400]}")
    sys.exit(1)
print("same numbers after five stops and resumes:",
      ", ".join(f"{r['method']} {100 * r['test_error']:.2f}%" for r in m["methods"]),
      f"(teacher {100 * m['teacher_test_error']:.2f}%)")
PY
# The teacher the whole run trained, saved beside its results, teaches another student: the same teacher
# (its test error to the last digit: the same chip, the same evaluation stream, the same transfer images).
"$bin/mortal_distill" "${chip[@]}" --seed 3 --teacher "$dir/whole.teacher.ckpt" --methods soft --perturb 2 \
  --out "$dir/again.json" > "$dir/again.log" 2>&1 || { cat "$dir/again.log" >&2; exit 1; }
python3 - "$dir/whole.json" "$dir/again.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1]))["metrics"], json.load(open(sys.argv[2]))["metrics"]
if a["teacher_test_error"] != b["teacher_test_error"] or b["teacher"]["perturb"] != 1:
    sys.exit(f"saved teacher {b['teacher_test_error']} (perturb {b['teacher']['perturb']}), trained {a['teacher_test_error']}")
if b["student"]["perturb"] != 2:
    sys.exit(f"student perturb {b['student']['perturb']}")
print(f"the saved teacher teaches again: {100 * b['teacher_test_error']:.2f}%, a student of perturbation 2 "
      f"{100 * b['test_error_soft']:.2f}% by soft targets")
PY
# The next generation: the soft student kept by the whole run teaches a third individual.
"$bin/mortal_distill" "${chip[@]}" --teacher "$dir/whole.student.ckpt" --seed 4 --methods soft --teacher-queries 3 \
  --out "$dir/gen2.json" > "$dir/gen2.log" 2>&1 || { cat "$dir/gen2.log" >&2; exit 1; }
python3 - "$dir/whole.json" "$dir/gen2.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1]))["metrics"], json.load(open(sys.argv[2]))["metrics"]
if b["teacher"]["seed"] != a["student"]["seed"] or b["student"]["seed"] in (a["student"]["seed"], a["teacher"]["seed"]):
    sys.exit(f"generations: teacher seed {b['teacher']['seed']}, student seeds {a['student']['seed']} {b['student']['seed']}")
if b["teacher_queries"] != 3 or not 0 <= b["methods"][0]["agreement_with_teacher"] <= 1:
    sys.exit(f"teacher queries {b['teacher_queries']}, agreement {b['methods'][0]['agreement_with_teacher']}")
print(f"second generation: teacher (the first's soft student) {100 * b['teacher_test_error']:.2f}%, "
      f"its student {100 * b['test_error_soft']:.2f}%")
PY
# A teacher from ff_mnist's checkpoint teaches; another shape or preset is refused by name.
"$bin/ff_mnist" "${small[@]}" --device reram --epochs 1 --rival none --drift-times 1 --out "$dir/t.json" > "$dir/t.log" 2>&1 \
  || { cat "$dir/t.log" >&2; exit 1; }
"$bin/mortal_distill" "${small[@]}" --teacher "$dir/t.ckpt" --epochs 1 --transfer 200 --methods weight-copy,soft \
  --out "$dir/from.json" > "$dir/from.log" 2>&1 || { cat "$dir/from.log" >&2; exit 1; }
python3 - "$dir/from.json" "$dir/t.json" <<'PY'
import json, sys
m, t = json.load(open(sys.argv[1]))["metrics"], json.load(open(sys.argv[2]))["metrics"]
if m["teacher"]["device"] != "reram" or m["teacher"]["layers"] != [30, 20]:
    sys.exit(f"teacher {m['teacher']['device']} {m['teacher']['layers']}")
# The restored teacher is the chip ff_mnist finished with: its test error on the same images, to the
# noise of another evaluation.
if abs(m["teacher_test_error"] - t["test_error"]) > 0.05:
    sys.exit(f"restored teacher {m['teacher_test_error']} against its own run's {t['test_error']}")
print(f"teacher from a checkpoint: {100 * m['teacher_test_error']:.2f}% (its run said {100 * t['test_error']:.2f}%)")
PY
if "$bin/mortal_distill" "${limits[@]}" --teacher "$dir/t.ckpt" --layers 40,20 --epochs 1 --out "$dir/bad.json" \
     > "$dir/bad.log" 2>&1; then
  echo "a teacher of another shape was accepted" >&2; exit 1
fi
grep -q "layers 30,20, but this run's teacher has 40,20 (--layers)" "$dir/bad.log" || { cat "$dir/bad.log" >&2; exit 1; }
if "$bin/mortal_distill" "${small[@]}" --teacher "$dir/t.ckpt" --device pcm --epochs 1 --out "$dir/bad.json" \
     > "$dir/bad.log" 2>&1; then
  echo "a teacher of another preset was accepted" >&2; exit 1
fi
grep -q "device 'reram', but this run's teacher is 'pcm' (--device)" "$dir/bad.log" || { cat "$dir/bad.log" >&2; exit 1; }
echo "teachers of another shape or preset refused by name"
# A student that is to follow the teacher's units needs the teacher's widths.
if "$bin/mortal_distill" "${small[@]}" --teacher "$dir/t.ckpt" --student-layers 30,10 --methods representations \
     --epochs 1 --out "$dir/bad.json" > "$dir/bad.log" 2>&1; then
  echo "representations into a student of other widths were accepted" >&2; exit 1
fi
grep -q "method representations: the student's layers (30,10) are not the teacher's (30,20)" "$dir/bad.log" \
  || { cat "$dir/bad.log" >&2; exit 1; }
echo "representations into a student of other widths refused by name"
