#!/usr/bin/env bash
# Trains the 784-256-128-10 network on Fashion-MNIST for 10 epochs and prints the test
# accuracy and the training time: the figure README quotes.
#
#   scripts/fashion-mnist.sh [extra ffnn train flags...]
#
# Installs the data (Debian package dataset-fashion-mnist) and builds the release preset
# when needed. The run goes to runs/fashion-mnist (summary.json, metrics.csv, model).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --fashion-mnist
cmake --preset release > /dev/null
cmake --build --preset release -j2 --target ffnn > /dev/null

# SGD with momentum 0.9, learning rate 0.05 annealed to 0 by a cosine schedule over the
# 10 epochs, batch 128; 6,000 of the 60,000 training images held out for validation.
./build/release/apps/ffnn train --dataset fashion-mnist --hidden 256,128 --epochs 10 --batch-size 128 \
  --lr 0.05 --momentum 0.9 --schedule cosine --out runs/fashion-mnist "$@"

/usr/bin/python3 - runs/fashion-mnist/summary.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"fashion-mnist 784-256-128-10: test accuracy {100 * s['test_accuracy']:.2f} %, "
      f"training {s['train_seconds']:.1f} s, wall {s['wall_seconds']:.1f} s on {s['threads']} threads")
PY
