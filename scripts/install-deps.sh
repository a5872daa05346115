#!/usr/bin/env bash
# Installs, from Debian's packages, whatever ffnn needs that this machine does not have yet.
#
#   scripts/install-deps.sh                  build, tests, trainer and report, Open MPI (mpirun)
#   scripts/install-deps.sh --bench          + OpenBLAS, BLIS (OpenMP build), PyTorch (Python
#                                              and libtorch-dev, its C++ frontend) and
#                                              scikit-learn, for the comparisons
#   scripts/install-deps.sh --fashion-mnist  + the Fashion-MNIST data set
#   scripts/install-deps.sh --dev            + clang 14 with libFuzzer and the sanitizer
#                                              runtimes, clang-format, clang-tidy (CI's checks)
#   scripts/install-deps.sh --all            all of the above
#
# Idempotent: a package that is already installed is left alone, and when nothing is missing
# the script touches nothing (no apt-get update). Works as root, or through sudo otherwise.
# With --bench (or --all), the system BLAS (libblas.so.3 and liblapack.so.3, the
# alternatives PyTorch and NumPy load) is kept on OpenBLAS, set back with
# `update-alternatives --set` when it points elsewhere, even if nothing is missing:
# libblis-openmp-dev registers BLIS for libblas.so.3 too, at a lower priority, and a manual
# choice could let it win; bench_matmul calls BLIS directly, never as libblas.
set -euo pipefail

base=(g++ cmake make pkg-config libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
      zlib1g-dev gnuplot-nox python3 python3-numpy openmpi-bin libopenmpi-dev)
bench=(libopenblas-dev libblis-openmp-dev python3-torch libtorch-dev python3-sklearn)
fashion=(dataset-fashion-mnist)
dev=(clang clang-format clang-tidy libclang-rt-14-dev)

wanted=("${base[@]}")
keep_openblas=0
for arg in "$@"; do
  case "$arg" in
    --bench) wanted+=("${bench[@]}"); keep_openblas=1 ;;
    --fashion-mnist) wanted+=("${fashion[@]}") ;;
    --dev) wanted+=("${dev[@]}") ;;
    --all) wanted+=("${bench[@]}" "${fashion[@]}" "${dev[@]}"); keep_openblas=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (expected --bench, --fashion-mnist, --dev, --all)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  sudo=(false)  # only reached when something must change
fi

# libblas.so.3 (and liblapack.so.3) back on OpenBLAS when something else provides them.
keep_blas_on_openblas() {
  local arch name link
  arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
  for name in libblas.so.3 liblapack.so.3; do
    link=/usr/lib/$arch/openblas-pthread/$name
    [[ -e "$link" ]] || continue
    if [[ "$(readlink -f "/usr/lib/$arch/$name")" != "$(readlink -f "$link")" ]]; then
      echo "install-deps: $name-$arch pointed at $(readlink -f "/usr/lib/$arch/$name"); setting it back to OpenBLAS"
      if [[ "${sudo[*]}" == false ]]; then
        echo "install-deps: run as root or install sudo to set it back" >&2
        exit 1
      fi
      "${sudo[@]}" update-alternatives --set "$name-$arch" "$link"
    fi
  done
}

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: everything needed is installed"
else
  if [[ "${sudo[*]}" == false ]]; then
    echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[[ $keep_openblas -eq 0 ]] || keep_blas_on_openblas
