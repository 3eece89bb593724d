#!/bin/bash
# A stand-in scenario for mortal_sweep's tests, fast and under the test's control: like a scenario it
# takes --seed, --out, --force and --hw PATH=VALUE and writes its results JSON to --out. --sleep S makes
# a run last S seconds; --crash=1 ends it with SIGKILL. Its metrics follow device.dw_min (d) and the
# seed: test_error = 10 d + (seed mod 7) / 1000, rival.on_chip_test_error = 2 test_error, other = 1.
set -eu
out='' seed=0 d=0.001 pause=0 crash=0
while (($#)); do
  case $1 in
    --help) echo "Options: --seed --out --force --hw --sleep --crash"; exit 0 ;;
    --seed) seed=$2; shift ;;
    --out) out=$2; shift ;;
    --force) ;;
    --hw) if [[ $2 == device.dw_min=* ]]; then d=${2#*=}; fi; shift ;;
    --sleep) pause=$2; shift ;;
    --sleep=*) pause=${1#*=} ;;
    --crash=*) crash=${1#*=} ;;
    *) echo "fake_scenario: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
sleep "$pause"
if ((crash)); then kill -KILL $$; fi
python3 - "$d" "$seed" "$out" <<'PY'
import json, sys
d, seed, out = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
e = 10 * d + (seed % 7) / 1000
json.dump({"metrics": {"test_error": e, "rival": {"on_chip_test_error": 2 * e}, "other": 1}}, open(out, "w"))
PY
