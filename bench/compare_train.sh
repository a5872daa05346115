#!/usr/bin/env bash
# Training throughput of ffnn against PyTorch, from Python and from its C++ frontend
# (libtorch), measured in one session, with the ratios.
#
#   bench/compare_train.sh [BUILD_DIR] [REPETITIONS]
#
# Runs bench_train (medians of REPETITIONS Google Benchmark repetitions) and the same models
# in PyTorch (bench/compare_pytorch.py, /usr/bin/python3 with Debian's python3-torch; one
# process per setting), then prints samples/s side by side. Needs
# `scripts/install-deps.sh --bench`.
#
# libtorch too, when bench/compare_libtorch is built: it is looked for in BUILD_DIR/bench,
# then in build/libtorch/bench (the `libtorch` preset, which also builds bench_train:
#   cmake --preset libtorch && cmake --build --preset libtorch -j2
#   bench/compare_train.sh build/libtorch
# ). It runs the same cases with the same environment as the Python runs, and its column and
# ratio are printed beside PyTorch's. Without it the script prints the PyTorch columns alone.
#
# PyTorch is given its best chance: Debian's build does its matrix products in OpenBLAS, and
# OpenBLAS 0.3.21 may not recognise a recent CPU and fall back to old SSE kernels. So each
# thread count is run with OpenBLAS's own choice and with each kernel family this CPU can run
# forced through OPENBLAS_CORETYPE (Haswell for AVX2, Zen on AMD, SkylakeX with AVX-512), and
# the fastest is the one compared, per model and thread count, for Python and libtorch
# separately. OPENBLAS_NUM_THREADS is set with OMP_NUM_THREADS (and torch.set_num_threads, or
# at::set_num_threads with one inter-op thread in libtorch): without it OpenBLAS starts a
# thread per core under PyTorch's own and a 2-thread figure is oversubscribed.
# OPENBLAS_L2_SIZE is unset (OpenBLAS reads the cache itself).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
reps=${2:-5}
libtorch=
for dir in "$build" "$here/../build/libtorch"; do
  if [[ -x "$dir/bench/compare_libtorch" ]]; then
    libtorch=$dir/bench/compare_libtorch
    break
  fi
done
if [[ -n "$libtorch" ]]; then
  echo "compare_train: libtorch from $libtorch" >&2
else
  echo "compare_train: no compare_libtorch built (cmake --preset libtorch); PyTorch from Python only" >&2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$build/bench/bench_train" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_format=json > "$out/ffnn.json"
cores=(Haswell)
grep -q AuthenticAMD /proc/cpuinfo && cores+=(Zen)
grep -qw avx512f /proc/cpuinfo && cores+=(SkylakeX)
touch "$out/libtorch.jsonl"
# One setting: OpenBLAS's own kernel choice (auto) or a forced core type, T threads for
# OpenMP and OpenBLAS alike; Python and libtorch run back to back under the same environment.
run_setting() {
  local t=$1 core=$2 coretype=(-u OPENBLAS_CORETYPE)
  [[ "$core" == auto ]] || coretype=(OPENBLAS_CORETYPE="$core")
  env -u OPENBLAS_L2_SIZE "${coretype[@]}" OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
    /usr/bin/python3 "$here/compare_pytorch.py" "$t" "$reps" >> "$out/torch.jsonl"
  if [[ -n "$libtorch" ]]; then
    env -u OPENBLAS_L2_SIZE "${coretype[@]}" OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
      "$libtorch" "$t" "$reps" >> "$out/libtorch.jsonl"
  fi
}
for t in 1 2; do
  for core in auto "${cores[@]}"; do
    run_setting "$t" "$core"
  done
done

/usr/bin/python3 - "$out/ffnn.json" "$out/torch.jsonl" "$out/libtorch.jsonl" <<'PY'
import json, sys
ffnn = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    # With repetitions, the medians; with one (REPETITIONS = 1) there are no aggregates.
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
        continue
    name = b["run_name"].replace("/real_time", "")
    threads = int(name.split("threads:")[1]) if "threads:" in name else 1
    base = name.split("/threads:")[0]
    ffnn[(base, threads)] = b["items_per_second"]


def best_of(path):
    """The fastest setting per (name, threads): samples/s and its OpenBLAS core type."""
    rate, setting = {}, {}
    for line in open(path):
        r = json.loads(line)
        key = (r["name"], r["threads"])
        if r["samples_per_second"] > rate.get(key, 0):
            rate[key] = r["samples_per_second"]
            setting[key] = r["openblas_coretype"]
    return rate, setting


torch, torch_setting = best_of(sys.argv[2])
lt, lt_setting = best_of(sys.argv[3])
have_lt = bool(lt)


def cell(f, t, width):
    """A peer's samples/s and ffnn's ratio to it, or dashes when the peer has no such row."""
    if not t:
        return f"{'-':>{width}} {'-':>7}"
    return f"{t:{width},.0f} {f / t:7.2f}"


head = f"{'model':40} {'threads':>7} {'ffnn samples/s':>15} {'torch samples/s':>16} {'ratio':>7}"
if have_lt:
    head += f" {'libtorch samples/s':>19} {'ratio':>7}"
print(head + "  OpenBLAS core type (torch" + (", libtorch)" if have_lt else ")"))
for key in sorted(ffnn):
    f, t, l = ffnn[key], torch.get(key), lt.get(key)
    row = f"{key[0]:40} {key[1]:7d} {f:15,.0f} {cell(f, t, 16)}"
    settings = torch_setting.get(key, "-")
    if have_lt:
        row += " " + cell(f, l, 19)
        settings += ", " + lt_setting.get(key, "-")
    print(row + "  " + (settings if t or l else ""))
    if "4-16-3" in key[0] and (t or l):
        step = f"{'':40} {'':7} {32 / f * 1e6:13.1f}us"
        step += f" {32 / t * 1e6:14.1f}us {'':7}" if t else f" {'-':>16} {'':7}"
        if have_lt:
            step += f" {32 / l * 1e6:17.1f}us {'':7}" if l else f" {'-':>19} {'':7}"
        print(step + "  (one step of batch 32)")

# ffnn's 2-thread figure against each peer's best thread count, on the main model only.
main = "train/784-256-128-10/batch:128"
two = ffnn.get((main, 2))
for label, peer in (("PyTorch", torch), ("libtorch", lt)):
    best = max((v for (name, _), v in peer.items() if name == main), default=0)
    if two and best:
        print(f"ffnn on 2 threads against {label}'s best 784-256-128-10 setting (any thread count): {two / best:.2f}x")
PY
