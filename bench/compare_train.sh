#!/usr/bin/env bash
# Training throughput of ffnn against PyTorch, measured in one session, with the ratios.
#
#   bench/compare_train.sh [BUILD_DIR] [REPETITIONS]
#
# Runs bench_train (medians of REPETITIONS Google Benchmark repetitions) and the same models
# in PyTorch (bench/compare_pytorch.py, /usr/bin/python3 with Debian's python3-torch; one
# process per thread count), then prints samples/s side by side. Needs
# `scripts/install-deps.sh --bench`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
reps=${2:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$build/bench/bench_train" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_format=json > "$out/ffnn.json"
for t in 1 2; do
  OMP_NUM_THREADS=$t /usr/bin/python3 "$here/compare_pytorch.py" "$t" "$reps" >> "$out/torch.jsonl"
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
torch = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    torch[(r["name"], r["threads"])] = r["samples_per_second"]
print(f"{'model':40} {'threads':>7} {'ffnn samples/s':>15} {'torch samples/s':>16} {'ratio':>7}")
for key in sorted(ffnn):
    f, t = ffnn[key], torch.get(key)
    ratio = f"{f / t:7.2f}" if t else "      -"
    tt = f"{t:16,.0f}" if t else f"{'-':>16}"
    print(f"{key[0]:40} {key[1]:7d} {f:15,.0f} {tt} {ratio}")
    if "4-16-3" in key[0] and t:
        print(f"{'':40} {'':7} {32 / f * 1e6:13.1f}us {32 / t * 1e6:14.1f}us  (one step of batch 32)")
PY
