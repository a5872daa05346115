#!/usr/bin/env bash
# Training throughput of ffnn against PyTorch, from Python and from its C++ frontend
# (libtorch), measured in one session, with the ratios.
#
#   bench/compare_train.sh [BUILD_DIR] [REPETITIONS] [SUMMARY_JSON]
#
# SUMMARY_JSON, when given, receives the same medians as JSON for bench/run-all.sh's table of
# the issue's targets: per model and thread count ffnn's, PyTorch's and libtorch's samples/s
# and ratios, ffnn's 2-thread figure against each peer's best thread count for every model,
# and ffnn's 2-thread / 1-thread ratio (medians of the per-round ratios).
#
# Runs bench_train and the same models in PyTorch (bench/compare_pytorch.py, /usr/bin/python3
# with Debian's python3-torch; one process per setting) in REPETITIONS paired rounds: each
# round runs every ffnn case once, then every peer setting once, so that a slow minute of the
# machine (a neighbour on the host) hits one round of both sides, not all of one side. Per
# round a ratio is ffnn / the peer's best setting in that round; the table prints the
# medians over the rounds of ffnn's samples/s, of the peer's best and of the ratio. Needs
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
# thread per core under PyTorch's own and a 2-thread figure is oversubscribed. On 2 threads
# each core type also runs with OMP_WAIT_POLICY=passive (see run_setting), and the settings
# column names it when it was the fastest. OPENBLAS_L2_SIZE is unset (OpenBLAS reads the
# cache itself).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
reps=${2:-5}
summary=${3:-}
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

cores=(Haswell)
grep -q AuthenticAMD /proc/cpuinfo && cores+=(Zen)
grep -qw avx512f /proc/cpuinfo && cores+=(SkylakeX)
# One setting in round r: OpenBLAS's own kernel choice (auto) or a forced core type, T threads
# for OpenMP and OpenBLAS alike, and libgomp's wait policy (default: active, or passive);
# Python and libtorch run back to back under the same environment, one repetition each.
run_setting() {
  local r=$1 t=$2 core=$3 policy=$4
  local vars=(-u OPENBLAS_L2_SIZE)  # env's -u options first, then the assignments
  [[ "$core" == auto ]] && vars+=(-u OPENBLAS_CORETYPE)
  [[ "$policy" == default ]] && vars+=(-u OMP_WAIT_POLICY)
  [[ "$core" == auto ]] || vars+=(OPENBLAS_CORETYPE="$core")
  [[ "$policy" == default ]] || vars+=(OMP_WAIT_POLICY="$policy")
  vars+=(OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t")
  env "${vars[@]}" /usr/bin/python3 "$here/compare_pytorch.py" "$t" 1 >> "$out/torch.$r.jsonl"
  if [[ -n "$libtorch" ]]; then
    env "${vars[@]}" "$libtorch" "$t" 1 >> "$out/libtorch.$r.jsonl"
  fi
}
# On 2 threads each core type runs with libgomp's default (active) wait policy and with
# OMP_WAIT_POLICY=passive. Debian's OpenBLAS is its pthread build: PyTorch's OpenMP worker
# spins between parallel regions while OpenBLAS's own worker runs the products, two busy
# threads on one core. Passive waiting made PyTorch's 784-256-128-10 step 3.3 times faster on
# 2 threads (Xeon model 207, 65,900 against 19,700 samples/s; bench/RESULTS.md, "PyTorch on 2
# threads"). On 1 thread there is no worker to wait.
for r in $(seq 1 "$reps"); do
  echo "compare_train: round $r of $reps" >&2
  "$build/bench/bench_train" --benchmark_format=json > "$out/ffnn.$r.json"
  touch "$out/torch.$r.jsonl" "$out/libtorch.$r.jsonl"
  for core in auto "${cores[@]}"; do
    run_setting "$r" 1 "$core" default
    run_setting "$r" 2 "$core" default
    run_setting "$r" 2 "$core" passive
  done
done

/usr/bin/python3 - "$out" "$reps" "$summary" <<'PY'
import collections, json, os, statistics, sys
out, reps, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def ffnn_round(path):
    """ffnn's samples/s per (name, threads) in one round's bench_train output."""
    rate = {}
    for b in json.load(open(path))["benchmarks"]:
        name = b["run_name"].replace("/real_time", "")
        threads = int(name.split("threads:")[1]) if "threads:" in name else 1
        rate[(name.split("/threads:")[0], threads)] = b["items_per_second"]
    return rate


def peer_round(path):
    """A peer's fastest setting per (name, threads) in one round: samples/s and core type."""
    rate, setting = {}, {}
    for line in open(path):
        r = json.loads(line)
        key = (r["name"], r["threads"])
        if r["samples_per_second"] > rate.get(key, 0):
            rate[key] = r["samples_per_second"]
            policy = r.get("omp_wait_policy", "default")
            setting[key] = r["openblas_coretype"] + ("" if policy == "default" else "/" + policy)
    return rate, setting


rounds = range(1, reps + 1)
ffnn = [ffnn_round(f"{out}/ffnn.{r}.json") for r in rounds]
torch = [peer_round(f"{out}/torch.{r}.jsonl") for r in rounds]
lt = [peer_round(f"{out}/libtorch.{r}.jsonl") for r in rounds]
have_lt = any(rate for rate, _ in lt)


def median_of(rounds_, key):
    values = [x[key] for x in rounds_ if key in x]
    return statistics.median(values) if values else None


def peer_cell(key, peer, width):
    """The peer's median best samples/s and the median of the per-round ratios, or dashes."""
    pairs = [(f[key], p[0][key]) for f, p in zip(ffnn, peer) if key in f and key in p[0]]
    if not pairs:
        return f"{'-':>{width}} {'-':>7}", None
    t = statistics.median(v for _, v in pairs)
    ratio = statistics.median(f / v for f, v in pairs)
    return f"{t:{width},.0f} {ratio:7.2f}", t


def setting_of(key, peer):
    """The setting (core type[/wait policy]) that was fastest in most rounds."""
    votes = collections.Counter(p[1][key] for p in peer if key in p[1])
    return votes.most_common(1)[0][0] if votes else "-"


head = f"{'model':40} {'threads':>7} {'ffnn samples/s':>15} {'torch samples/s':>16} {'ratio':>7}"
if have_lt:
    head += f" {'libtorch samples/s':>19} {'ratio':>7}"
print(head + "  OpenBLAS core type[/OMP_WAIT_POLICY] (torch" + (", libtorch)" if have_lt else ")"))
for key in sorted(set().union(*ffnn)):
    f = median_of(ffnn, key)
    tc, t = peer_cell(key, torch, 16)
    row = f"{key[0]:40} {key[1]:7d} {f:15,.0f} {tc}"
    settings = setting_of(key, torch)
    l = None
    if have_lt:
        lc, l = peer_cell(key, lt, 19)
        row += " " + lc
        settings += ", " + setting_of(key, lt)
    print(row + "  " + (settings if t or l else ""))
    if "4-16-3" in key[0] and (t or l):
        step = f"{'':40} {'':7} {32 / f * 1e6:13.1f}us"
        step += f" {32 / t * 1e6:14.1f}us {'':7}" if t else f" {'-':>16} {'':7}"
        if have_lt:
            step += f" {32 / l * 1e6:17.1f}us {'':7}" if l else f" {'-':>19} {'':7}"
        print(step + "  (one step of batch 32)")



def against_best(model, peer):
    """ffnn's 2-thread figure against the peer's best thread count for one model: per round,
    then the median over the rounds (None without both)."""
    ratios = []
    for f, (rate, _) in zip(ffnn, peer):
        best = max((v for (name, _), v in rate.items() if name == model), default=0)
        if (model, 2) in f and best:
            ratios.append(f[(model, 2)] / best)
    return (statistics.median(ratios), len(ratios)) if ratios else (None, 0)


# Printed for the main model only; the summary has every model.
main = "train/784-256-128-10/batch:128"
for label, peer in (("PyTorch", torch), ("libtorch", lt)):
    ratio, n = against_best(main, peer)
    if ratio:
        print(f"ffnn on 2 threads against {label}'s best 784-256-128-10 setting (any thread count): "
              f"{ratio:.2f}x (median of {n} rounds)")

if summary:
    rows = []
    for key in sorted(set().union(*ffnn)):
        row = {"model": key[0], "threads": key[1], "ffnn": median_of(ffnn, key)}
        for label, peer in (("torch", torch), ("libtorch", lt)):
            pairs = [(f[key], p[0][key]) for f, p in zip(ffnn, peer) if key in f and key in p[0]]
            if pairs:
                row[label] = statistics.median(v for _, v in pairs)
                row[label + "_ratio"] = statistics.median(f / v for f, v in pairs)
        if key[1] == 2:
            for label, peer in (("torch", torch), ("libtorch", lt)):
                ratio, _ = against_best(key[0], peer)
                if ratio:
                    row[label + "_best_ratio"] = ratio
            per_round = [f[key] / f[(key[0], 1)] for f in ffnn if key in f and (key[0], 1) in f]
            if per_round:
                row["threads_ratio"] = statistics.median(per_round)
        rows.append(row)
    tmp = summary + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"rounds": reps, "rows": rows}, fh, indent=1)
    os.replace(tmp, summary)
PY
