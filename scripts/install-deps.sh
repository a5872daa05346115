#!/usr/bin/env bash
# Installs, from Debian's packages, whatever ffnn needs that this machine does not have yet.
#
#   scripts/install-deps.sh                  build, tests, trainer and report, Open MPI (mpirun)
#   scripts/install-deps.sh --bench          + OpenBLAS, PyTorch (Python and libtorch-dev, its
#                                              C++ frontend) and scikit-learn, for the
#                                              comparisons
#   scripts/install-deps.sh --fashion-mnist  + the Fashion-MNIST data set
#   scripts/install-deps.sh --dev            + clang 14 with libFuzzer and the sanitizer
#                                              runtimes, clang-format, clang-tidy (CI's checks)
#   scripts/install-deps.sh --all            all of the above
#
# Idempotent: a package that is already installed is left alone, and when nothing is missing
# the script touches nothing (no apt-get update). Works as root, or through sudo otherwise.
set -euo pipefail

base=(g++ cmake make pkg-config libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
      zlib1g-dev gnuplot-nox python3 python3-numpy openmpi-bin libopenmpi-dev)
bench=(libopenblas-dev python3-torch libtorch-dev python3-sklearn)
fashion=(dataset-fashion-mnist)
dev=(clang clang-format clang-tidy libclang-rt-14-dev)

wanted=("${base[@]}")
for arg in "$@"; do
  case "$arg" in
    --bench) wanted+=("${bench[@]}") ;;
    --fashion-mnist) wanted+=("${fashion[@]}") ;;
    --dev) wanted+=("${dev[@]}") ;;
    --all) wanted+=("${bench[@]}" "${fashion[@]}" "${dev[@]}") ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (expected --bench, --fashion-mnist, --dev, --all)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: everything needed is installed"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
