#!/bin/bash
# Every recipe in recipes/ loads and validates: a dry run of the binary it names (its "# binary:" line,
# else ff_mnist) prints the resolved configuration as JSON and exits 0 without reading MNIST (the data
# folder given does not exist), and replaying that configuration resolves to the same. An unknown option
# added to a recipe fails its dry run, naming the option, its line and the nearest option.
# usage: recipes_test.sh BIN_DIR RECIPES_DIR
set -euo pipefail
bin=$1
recipes=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
count=0
for recipe in "$recipes"/*.cfg; do
  name=$(basename "$recipe" .cfg)
  binary=$(sed -n 's/^# binary: *\([a-z_]*\).*/\1/p' "$recipe" | head -n 1)
  binary=${binary:-ff_mnist}
  for field in "recipe" "figure" "wall time on 2 cores" "bench/README.md"; do
    grep -q "^# $field:" "$recipe" || { echo "$recipe: no '# $field:' comment" >&2; exit 1; }
  done
  if ! "$bin/$binary" --config "$recipe" --data "$dir/no-mnist-here" --dry-run > "$dir/$name.json" 2> "$dir/$name.err"; then
    echo "$recipe: the dry run of $binary failed:" >&2
    cat "$dir/$name.err" >&2
    exit 1
  fi
  # The printed configuration is a config file that resolves to itself.
  "$bin/$binary" --config "$dir/$name.json" --dry-run > "$dir/$name.again.json"
  python3 - "$dir/$name.json" "$dir/$name.again.json" "$recipe" <<'PY'
import json, sys
first, again = (json.load(open(p)) for p in sys.argv[1:3])
first.pop("data"), again.pop("data")
if first != again:
    diff = {k: (first.get(k), again.get(k)) for k in set(first) | set(again) if first.get(k) != again.get(k)}
    sys.exit(f"{sys.argv[3]}: its resolved configuration does not replay to itself: {diff}")
PY
  count=$((count + 1))
done
[[ $count -ge 10 ]] || { echo "only $count recipes in $recipes" >&2; exit 1; }

# An unknown option is refused by name, with the recipe's file and line and the option it was meant to be.
cp "$recipes/ecram_best.cfg" "$dir/rotten.cfg"
echo "momentum-gian = 256" >> "$dir/rotten.cfg"
if "$bin/ff_mnist" --config "$dir/rotten.cfg" --dry-run > "$dir/rotten.out" 2>&1; then
  echo "a recipe with an unknown option passed its dry run" >&2
  exit 1
fi
line=$(wc -l < "$dir/rotten.cfg")
grep -qF "rotten.cfg:$line: unknown option 'momentum-gian' (did you mean 'momentum-gain'?)" "$dir/rotten.out" ||
  { cat "$dir/rotten.out" >&2; exit 1; }
echo "$count recipes dry-run"
