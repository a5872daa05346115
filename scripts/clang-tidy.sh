#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) on the library and app sources: tensor/ nn/ io/
# train/ apps/. Uses the compile_commands.json of the preset tidy (clang; configured only,
# nothing is built). Extra arguments go to run-clang-tidy (for example -fix).
# Exits non-zero on any warning (WarningsAsErrors). Holds FFNN_BUILD_LOCK (default
# /tmp/ffnn-build.lock) while it runs: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${FFNN_BUILD_LOCK:-/tmp/ffnn-build.lock}
tidy=${CLANG_TIDY:-clang-tidy-14}
runner=${RUN_CLANG_TIDY:-run-clang-tidy-14}

flock "$lock" cmake --preset tidy >/dev/null
root=$(pwd -P)
# Sources of the five parts only (not tests/ or bench/), as the compile database names them.
flock "$lock" "$runner" -quiet -clang-tidy-binary "$(command -v "$tidy")" -p build/tidy -j 2 \
  "$@" "^$root/(tensor|nn|io|train|apps)/.*\.cpp$" 2>&1 | grep -v '^[0-9]* warnings* generated\.$' \
  | tee build/tidy/clang-tidy.log
status=${PIPESTATUS[0]}
n=$(grep -c 'warning:\|error:' build/tidy/clang-tidy.log || true)
echo "clang-tidy: $n diagnostics (log: build/tidy/clang-tidy.log)"
exit "$status"
