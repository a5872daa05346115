#!/usr/bin/env bash
# Checks ffnn as a library the way a consumer uses it, from an existing build directory:
#   1. cmake --install into a temporary prefix;
#   2. builds examples/train_csv and examples/classify against it with find_package(ffnn),
#      runs them on data/iris.csv and checks what they print;
#   3. builds examples/classify with a one-line g++ command from pkg-config and checks that it
#      prints the same;
#   4. a consumer project that uses add_subdirectory(ffnn): the libraries alone are built (no
#      CLI11 needed) and none of ffnn's own flags (-march=native, -Wall) reach its target;
#   5. with --shared, the same install and find_package build with BUILD_SHARED_LIBS=ON.
#
#   scripts/check-install.sh [BUILD_DIR] [--shared]     (default build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=build/release
shared=0
for arg in "$@"; do
  case "$arg" in
    --shared) shared=1 ;;
    *) build=$arg ;;
  esac
done
[[ "$build" = /* ]] || build="$root/$build"
work=$(mktemp -d /tmp/ffnn-install-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }
step() { echo "check-install: $*"; }

# Runs the two examples built in $1 against data/iris.csv; the classify output goes to $1/out.
run_examples() {
  local dir=$1
  "$dir/train_csv/train_csv" "$root/data/iris.csv" "$dir/iris.safetensors" > "$dir/train.log"
  cat "$dir/train.log"
  local acc
  acc=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$dir/train.log")
  [[ -n "$acc" ]] || fail "train_csv printed no test accuracy"
  awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }' || fail "train_csv test accuracy $acc < 0.9"
  [[ -s "$dir/iris.safetensors" ]] || fail "train_csv wrote no checkpoint"
  "$dir/classify/classify" "$dir/iris.safetensors" 5.1 3.5 1.4 0.2 > "$dir/out"
  cat "$dir/out"
  [[ "$(head -n 1 "$dir/out")" == "setosa" ]] || fail "classify: a typical setosa is not setosa"
  awk '/p\(/ { s += $NF } END { exit !(s > 0.9999 && s < 1.0001) }' "$dir/out" ||
    fail "classify: the probabilities do not sum to 1"
}

# install_and_build PREFIX BUILD: installs BUILD into PREFIX, builds both examples against it.
install_and_build() {
  local prefix=$1 from=$2 out=$3
  cmake --install "$from" --prefix "$prefix" > "$out.install.log"
  for f in include/ffnn/ffnn.hpp include/ffnn/nn/model.hpp include/ffnn/io/predictor.hpp \
           lib/cmake/ffnn/ffnnConfig.cmake lib/cmake/ffnn/ffnnConfigVersion.cmake \
           lib/pkgconfig/ffnn.pc share/ffnn/data/iris.csv; do
    [[ -e "$prefix/$f" ]] || fail "the install has no $f"
  done
  for ex in train_csv classify; do
    cmake -S "$root/examples/$ex" -B "$out/$ex" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release > "$out.$ex.configure.log" || fail "configure $ex: see $out.$ex.configure.log"
    cmake --build "$out/$ex" -j2 > "$out.$ex.build.log" 2>&1 || { cat "$out.$ex.build.log"; fail "build $ex"; }
  done
}

step "1-2. install $build, build the examples with find_package(ffnn)"
mkdir -p "$work/cmake"
install_and_build "$work/prefix" "$build" "$work/cmake"
run_examples "$work/cmake"

step "3. pkg-config: one g++ command"
pc_flags=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs ffnn)
echo "g++ examples/classify/main.cpp $pc_flags"
# shellcheck disable=SC2086
g++ -O2 "$root/examples/classify/main.cpp" $pc_flags -o "$work/classify-pc"
"$work/classify-pc" "$work/cmake/iris.safetensors" 5.1 3.5 1.4 0.2 > "$work/pc.out"
cmp -s "$work/pc.out" "$work/cmake/out" || fail "the pkg-config build prints something else"

step "4. add_subdirectory(ffnn) in a consumer project"
mkdir -p "$work/sub"
cat > "$work/sub/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(consumer LANGUAGES CXX)
add_subdirectory("$root" ffnn)
add_executable(classify "$root/examples/classify/main.cpp")
target_link_libraries(classify PRIVATE ffnn::io)
CMAKE
cmake -S "$work/sub" -B "$work/sub/build" -DCMAKE_BUILD_TYPE=Release > "$work/sub.log" ||
  { cat "$work/sub.log"; fail "configure the add_subdirectory consumer"; }
grep -q 'FFNN_BUILD_APPS:BOOL=OFF' "$work/sub/build/CMakeCache.txt" || fail "the CLI is built for a consumer"
flags=$(cat "$work/sub/build/CMakeFiles/classify.dir/flags.make")
for own in -march=native -Wall -Wextra -fsanitize; do
  [[ "$flags" != *"$own"* ]] || fail "the consumer's target inherits $own: $flags"
done
cmake --build "$work/sub/build" -j2 --target classify > "$work/sub.build.log" 2>&1 ||
  { cat "$work/sub.build.log"; fail "build the add_subdirectory consumer"; }
"$work/sub/build/classify" "$work/cmake/iris.safetensors" 5.1 3.5 1.4 0.2 > "$work/sub.out"
cmp -s "$work/sub.out" "$work/cmake/out" || fail "the add_subdirectory build prints something else"

if [[ $shared -eq 1 ]]; then
  step "5. BUILD_SHARED_LIBS=ON"
  cmake -S "$root" -B "$work/shared-build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DFFNN_BUILD_TESTS=OFF -DFFNN_BUILD_BENCH=OFF -DFFNN_BUILD_APPS=OFF > "$work/shared.log"
  cmake --build "$work/shared-build" -j2 > "$work/shared.build.log" 2>&1 ||
    { tail -20 "$work/shared.build.log"; fail "shared build"; }
  mkdir -p "$work/shared"
  install_and_build "$work/shared-prefix" "$work/shared-build" "$work/shared"
  ls "$work/shared-prefix/lib/"libffnn_io.so* > /dev/null || fail "no shared libffnn_io.so installed"
  run_examples "$work/shared"
fi
step "PASS"
