#!/usr/bin/env bash
# Training throughput of ffnn against PyTorch, measured in one session, with the ratios.
#
#   bench/compare_train.sh [BUILD_DIR] [REPETITIONS]
#
# Runs bench_train (medians of REPETITIONS Google Benchmark repetitions) and the same models
# in PyTorch (bench/compare_pytorch.py, /usr/bin/python3 with Debian's python3-torch; one
# process per setting), then prints samples/s side by side. Needs
# `scripts/install-deps.sh --bench`.
#
# PyTorch is given its best chance: Debian's build does its matrix products in OpenBLAS, and
# OpenBLAS 0.3.21 may not recognise a recent CPU and fall back to old SSE kernels. So each
# thread count is run with OpenBLAS's own choice and with each kernel family this CPU can run
# forced through OPENBLAS_CORETYPE (Haswell for AVX2, Zen on AMD, SkylakeX with AVX-512), and
# the fastest is the one compared. OPENBLAS_NUM_THREADS is set with OMP_NUM_THREADS (and
# torch.set_num_threads): without it OpenBLAS starts a thread per core under PyTorch's own
# and a 2-thread figure is oversubscribed. OPENBLAS_L2_SIZE is unset (OpenBLAS reads the
# cache itself).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
reps=${2:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$build/bench/bench_train" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_format=json > "$out/ffnn.json"
cores=(Haswell)
grep -q AuthenticAMD /proc/cpuinfo && cores+=(Zen)
grep -qw avx512f /proc/cpuinfo && cores+=(SkylakeX)
for t in 1 2; do
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
    /usr/bin/python3 "$here/compare_pytorch.py" "$t" "$reps" >> "$out/torch.jsonl"
  for core in "${cores[@]}"; do
    env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=$core OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
      /usr/bin/python3 "$here/compare_pytorch.py" "$t" "$reps" >> "$out/torch.jsonl"
  done
done

/usr/bin/python3 - "$out/ffnn.json" "$out/torch.jsonl" <<'PY'
import json, sys
ffnn = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"].replace("/real_time", "")
    threads = int(name.split("threads:")[1]) if "threads:" in name else 1
    base = name.split("/threads:")[0]
    ffnn[(base, threads)] = b["items_per_second"]
torch, setting, best = {}, {}, 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    key = (r["name"], r["threads"])
    if r["samples_per_second"] > torch.get(key, 0):
        torch[key] = r["samples_per_second"]
        setting[key] = r["openblas_coretype"]
print(f"{'model':40} {'threads':>7} {'ffnn samples/s':>15} {'torch samples/s':>16} {'ratio':>7}  torch setting")
for key in sorted(ffnn):
    f, t = ffnn[key], torch.get(key)
    ratio = f"{f / t:7.2f}" if t else "      -"
    tt = f"{t:16,.0f}" if t else f"{'-':>16}"
    print(f"{key[0]:40} {key[1]:7d} {f:15,.0f} {tt} {ratio}  {setting.get(key, '')}")
    if "784" in key[0]:
        best = max(best, t or 0)
    if "4-16-3" in key[0] and t:
        print(f"{'':40} {'':7} {32 / f * 1e6:13.1f}us {32 / t * 1e6:14.1f}us  (one step of batch 32)")
two = ffnn.get(("train/784-256-128-10/batch:128", 2))
if two and best:
    print(f"ffnn on 2 threads against PyTorch's best 784-256-128-10 setting (any thread count): {two / best:.2f}x")
PY
