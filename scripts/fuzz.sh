#!/usr/bin/env bash
# Coverage-guided fuzzing of ffnn's readers (tests/fuzz/): builds the libFuzzer targets of
# the preset fuzz (clang, ASan + UBSan; nothing else is built) and runs each in turn for
# SECONDS (default 120), then prints per target the executions, the final coverage (cov:
# edges, ft: features, from libFuzzer's last status line) and the findings.
#
#   scripts/fuzz.sh [SECONDS]        FUZZ_TARGETS="csv idx" scripts/fuzz.sh 60
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 1800   (stop a target at 10 million executions or
#                                              30 minutes, whichever comes first)
#
# Limits, as issue 13 sets them: an input over 1 s (-timeout=1) or 256 MB (-rss_limit_mb,
# and -malloc_limit_mb defaults to it) is a finding; inputs are at most 64 KB (-max_len).
# The working corpus is build/fuzz/corpus/<target> (seeded from tests/fuzz/corpus/<target>,
# which keeps only the hand-made seeds and past findings); crashing inputs go to
# build/fuzz/findings/<target>/. Copy a finding into tests/fuzz/corpus/<target>/ once
# fixed: the corpus replay test (ctest fuzz.corpus_replay) then guards it.
#
# The machine is shared: the build and each run hold FFNN_BUILD_LOCK (default
# /tmp/ffnn-build.lock), a run for at most FUZZ_CHUNK seconds (default 600) at a time, so
# that others can build in between. FUZZ_RUN_LOCK names another lock for the runs alone
# (a long run at low priority beside others' builds). Exits 1 if anything was found.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-120}
targets=${FUZZ_TARGETS:-csv idx safetensors checkpoint training_checkpoint json_config}
chunk=${FUZZ_CHUNK:-600}
lock=${FFNN_BUILD_LOCK:-/tmp/ffnn-build.lock}
run_lock=${FUZZ_RUN_LOCK:-$lock}
max_runs=${FUZZ_RUNS:-0}  # 0: no limit on executions
build=build/fuzz

fuzz_bins=()
for t in $targets; do fuzz_bins+=("fuzz_$t"); done
flock "$lock" cmake --preset fuzz >/dev/null
flock "$lock" cmake --build --preset fuzz -j2 --target "${fuzz_bins[@]}"

# ASan keeps freed blocks in a quarantine (256 MB by default) to catch use after free; the
# RSS limit would count it: after about 15,000 IDX inputs it held 225 MB of freed zlib
# state while 24 MB were live, and libFuzzer reported a spurious out-of-memory. 32 MB of
# quarantine still covers the blocks freed by the last several inputs.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0:quarantine_size_mb=32
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1

status=0
summary=()
for t in $targets; do
  corpus=$build/corpus/$t
  findings=$build/findings/$t
  mkdir -p "$corpus" "$findings"
  log=$build/fuzz_$t.log
  : >"$log"
  dict=()
  [[ -f tests/fuzz/dict/$t.dict ]] && dict=(-dict="tests/fuzz/dict/$t.dict")
  execs=0 left=$seconds cov="" ft="" crashed=0
  start=$(date +%s)
  marker=$findings/.started  # findings of earlier runs stay, but are not counted again
  touch "$marker"
  while ((left > 0)) && ((max_runs == 0 || execs < max_runs)); do
    run=$((left < chunk ? left : chunk))
    runs=()
    ((max_runs > 0)) && runs=(-runs=$((max_runs - execs)))
    # A finding stops libFuzzer with a non-zero status: record it and go to the next target.
    chunk_start=$(date +%s)
    if ! flock "$run_lock" "$build/tests/fuzz/fuzz_$t" "$corpus" "tests/fuzz/corpus/$t" "${dict[@]}" \
      "${runs[@]}" -max_total_time="$run" -timeout=1 -rss_limit_mb=256 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$findings/" >>"$log" 2>&1; then
      crashed=1
    fi
    n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    execs=$((execs + ${n:-0}))
    # Each chunk's stats line is appended; count it once.
    sed -i 's/stat::number_of_executed_units:/stat::counted_executed_units:/' "$log"
    last=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
    cov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$last")
    ft=$(sed -E 's/.*ft: ([0-9]+).*/\1/' <<<"$last")
    left=$((left - $(date +%s) + chunk_start))
    ((crashed)) && break
  done
  elapsed=$(($(date +%s) - start))
  found=$(find "$findings" -type f -newer "$marker" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
  ((found > 0 || crashed)) && status=1
  line=$(printf '%-12s %5d s  %12d execs  cov %6s  ft %6s  corpus %5d  findings %d' "$t" \
    "$elapsed" "$execs" "${cov:-?}" "${ft:-?}" "$(find "$corpus" -type f | wc -l)" "$found")
  echo "$line"
  summary+=("$line")
  if ((found > 0 || crashed)); then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 | sed 's/^/    /'
  fi
done

echo "== fuzz summary (${seconds} s per target; logs in $build/fuzz_<target>.log)"
printf '%s\n' "${summary[@]}"
exit $status
