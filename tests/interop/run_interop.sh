#!/usr/bin/env bash
# Trains a small model with ffnn, predicts with it, and checks both with numpy alone:
# the safetensors file is parsed by hand and the forward pass recomputed in float64.
#   run_interop.sh FFNN_BINARY DATA_DIR WORK_DIR
set -euo pipefail
ffnn=$1 data=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"

# Iris with two hidden tanh layers; then digits, whose label column is an integer.
"$ffnn" train --data "$data/iris.csv" --hidden 8,6 --activation tanh --epochs 20 --out "$work/iris" > "$work/iris.log"
"$ffnn" predict --model "$work/iris/model.safetensors" --data "$data/iris.csv" --out "$work/iris-pred.csv"
/usr/bin/python3 "$here/read_safetensors.py" "$work/iris/model.safetensors" "$data/iris.csv" "$work/iris-pred.csv"

"$ffnn" train --data "$data/digits.csv" --hidden 32 --epochs 5 --out "$work/digits" > "$work/digits.log"
# Prediction input without the label column.
cut -d, -f1-64 "$data/digits.csv" > "$work/digits-nolabel.csv"
"$ffnn" predict --model "$work/digits/model.safetensors" --data "$work/digits-nolabel.csv" --out "$work/digits-pred.csv"
/usr/bin/python3 "$here/read_safetensors.py" "$work/digits/model.safetensors" "$work/digits-nolabel.csv" "$work/digits-pred.csv"
