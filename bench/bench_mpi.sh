#!/usr/bin/env bash
# Data-parallel training throughput: one process with 2 OpenMP threads against 2 MPI
# processes with 1 thread each, on the 784-256-128-10 network (SGD momentum 0.9, fp32), and
# the time per step spent in the gradient reduction, for the fixed and the fast reduction.
#
#   bench/bench_mpi.sh [BUILD_DIR] [EPOCHS]
#
# Trains `ffnn train` on Fashion-MNIST when it is installed (scripts/install-deps.sh
# --fashion-mnist: 54000 training images once 10% is held out for validation), otherwise on a
# synthetic CSV of 8192 rows of 784 normal features (10 classes), for EPOCHS epochs (default
# 1), and reads each run's summary.json: samples/s = training rows x epochs / train_seconds
# (training only: the epoch-end evaluation and the data loading are left out), and
# reduce_seconds / steps, the time a step spends in its one collective (Allgatherv for fixed,
# Allreduce for fast), waiting for the slower rank included. Every layout uses the same
# --shards, so that the fixed runs end with the same weights (the script checks it).
# Then bench_reduce times the collective alone (no compute, ranks lined up first). Run it alone
# on the machine: under /tmp/ffnn-build.lock on the shared one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
epochs=${2:-1}
ffnn=$build/apps/ffnn
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Open MPI refuses to start as root without these; they change nothing else.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

if [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
  data=(--dataset fashion-mnist)
  what="Fashion-MNIST"
else
  /usr/bin/python3 - "$out/synthetic.csv" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(1)
n, d = 8192, 784
x = rng.standard_normal((n, d), dtype=np.float32)
y = rng.integers(0, 10, n)
with open(sys.argv[1], "w") as f:
    f.write(",".join(f"f{i}" for i in range(d)) + ",label\n")
    for row, label in zip(x, y):
        f.write(",".join(f"{v:.4f}" for v in row) + f",{label}\n")
PY
  data=(--data "$out/synthetic.csv" --test-split 0)
  what="synthetic 8192 x 784"
fi

# run NAME LAUNCHER... -- FLAGS: one training; prints samples/s and the reduction per step.
run() {
  local name=$1; shift
  local launcher=()
  while [[ $1 != -- ]]; do launcher+=("$1"); shift; done
  shift
  "${launcher[@]}" "$ffnn" train "${data[@]}" --hidden 256,128 --momentum 0.9 --lr 0.01 \
    --epochs "$epochs" --out "$out/$name" "$@" > "$out/$name.log" 2>&1 ||
    { cat "$out/$name.log"; exit 1; }
  /usr/bin/python3 - "$out/$name/summary.json" "$name" "$epochs" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rows = s["data"]["train"] * int(sys.argv[3])
steps = max(1, s["steps"])
print(f'{sys.argv[2]:<34} {rows / s["train_seconds"]:>10.0f} samples/s  '
      f'{1e3 * s["train_seconds"] / steps:8.3f} ms/step  '
      f'reduce {1e3 * s["reduce_seconds"] / steps:7.3f} ms/step '
      f'({100 * s["reduce_seconds"] / s["train_seconds"]:4.1f} %)')
PY
}

mpi=(mpirun --oversubscribe --bind-to core -np 2)
echo "data: $what, $epochs epoch(s), 784-256-128-10, SGD momentum 0.9"
for batch in 128 1024; do
  # 2 shards of 64 rows at batch 128 (the fewest that keep 2 ranks busy), 8 of 128 at 1024
  shards=$(( batch / 128 > 2 ? batch / 128 : 2 ))
  echo "batch $batch, --shards $shards"
  run "b$batch-1x1-shards1"        env -- --batch-size "$batch" --threads 1 --shards 1
  run "b$batch-1x1"                env -- --batch-size "$batch" --threads 1 --shards "$shards"
  run "b$batch-1x2-shards1"        env -- --batch-size "$batch" --threads 2 --shards 1
  run "b$batch-1x2"                env -- --batch-size "$batch" --threads 2 --shards "$shards"
  run "b$batch-2x1-fixed" "${mpi[@]}" -- --batch-size "$batch" --threads 1 --shards "$shards"
  run "b$batch-2x1-fast"  "${mpi[@]}" -- --batch-size "$batch" --threads 1 --shards "$shards" \
    --reduce fast
  if cmp -s "$out/b$batch-1x2/model.safetensors" "$out/b$batch-2x1-fixed/model.safetensors"; then
    echo "  1x2 and 2x1 fixed: model.safetensors identical"
  else
    echo "  1x2 and 2x1 fixed: model.safetensors DIFFER"
  fi
done
if [[ -x $build/bench/bench_reduce ]]; then
  echo "the reduction alone (bench_reduce, 235146 parameters + the loss):"
  "${mpi[@]}" "$build/bench/bench_reduce" 235146 4 50
  "${mpi[@]}" "$build/bench/bench_reduce" 235146 32 50
fi
