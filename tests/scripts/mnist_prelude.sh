# Sourced by the script tests that run the scenario binaries on MNIST, with the test's own arguments:
#   source "$(dirname "$0")/mnist_prelude.sh" "$@"
# bin: the first argument (a binary, a folder of binaries or a build folder), data: the second (the MNIST folder). Without
# MNIST the test is skipped (exit 77, ctest's SKIP_RETURN_CODE); dir is a temporary folder removed at exit.
bin=$1
data=$2
if [[ ! -f "$data/t10k-labels-idx1-ubyte" ]]; then
  echo "MNIST not found in $data; run scripts/setup.sh" >&2
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
