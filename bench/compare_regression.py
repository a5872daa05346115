#!/usr/bin/python3
"""ffnn's regressor beside scikit-learn's MLPRegressor on the same splits of a CSV file.

For each seed the rows are shuffled and cut 80/20 into train.csv and test.csv (in a
temporary directory). ffnn trains on train.csv (`ffnn train --task regression`, its own
validation part of 10% for early stopping, no test part) and `ffnn eval` scores test.csv;
scikit-learn fits the same train.csv and scores the same test.csv with the same network
(one hidden layer of 16 ReLU units, Adam, learning rate 0.005, batch 16, at most 200 epochs,
early stopping on 10% of the training rows with patience 20), inputs and target standardised
as ffnn does. Linear least squares is the floor. Prints each seed's test R^2 and RMSE and
the medians. Comparison only: scikit-learn is not a dependency of ffnn
(scripts/install-deps.sh --bench installs python3-sklearn).

    bench/compare_regression.py build/release/apps/ffnn [data/diabetes.csv] [--seeds 5]
"""
import argparse
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FFNN_FLAGS = ["--hidden", "16", "--optimizer", "adam", "--lr", "0.005", "--batch-size", "16",
              "--epochs", "200", "--patience", "20", "--val-split", "0.1", "--test-split", "0"]


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def ffnn_run(ffnn, train_csv, test_csv, out_dir, seed):
    t0 = time.perf_counter()
    subprocess.run([ffnn, "train", "--task", "regression", "--data", train_csv, "--seed",
                    str(seed), "--quiet", "--out", out_dir] + FFNN_FLAGS,
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    ev = subprocess.run([ffnn, "eval", "--model", os.path.join(out_dir, "model.safetensors"),
                         "--data", test_csv], check=True, capture_output=True, text=True).stdout
    r2 = float(re.search(r"R\^2 (\S+)", ev).group(1))
    rmse = float(re.search(r"RMSE (\S+)", ev).group(1))
    return r2, rmse, seconds


def sklearn_run(x_train, y_train, x_test, y_test, seed):
    t0 = time.perf_counter()
    mlp = MLPRegressor(hidden_layer_sizes=(16,), activation="relu", solver="adam",
                       learning_rate_init=0.005, batch_size=16, max_iter=200,
                       early_stopping=True, validation_fraction=0.1, n_iter_no_change=20,
                       random_state=seed)
    model = TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), mlp),
                                       transformer=StandardScaler())
    model.fit(x_train, y_train)
    seconds = time.perf_counter() - t0
    p = model.predict(x_test)
    return r2_score(y_test, p), mean_squared_error(y_test, p) ** 0.5, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ffnn")
    ap.add_argument("data", nargs="?", default="data/diabetes.csv")
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    with open(a.data) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    values = np.array(rows, dtype=float)
    x_all, y_all = values[:, :-1], values[:, -1]
    print(f"{a.data}: {len(rows)} rows, {x_all.shape[1]} features, target '{header[-1]}'; "
          f"80/20 splits, seeds 1..{a.seeds}")
    print("seed  ffnn R^2  RMSE     s     sklearn R^2  RMSE     s     linear R^2")
    res = {"ffnn": [], "sklearn": [], "linear": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, a.seeds + 1):
            order = np.random.RandomState(seed).permutation(len(rows))
            cut = int(round(0.8 * len(rows)))
            tr, te = order[:cut], order[cut:]
            train_csv, test_csv = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
            write_csv(train_csv, header, [rows[i] for i in tr])
            write_csv(test_csv, header, [rows[i] for i in te])
            f = ffnn_run(a.ffnn, train_csv, test_csv, os.path.join(tmp, f"run{seed}"), seed)
            s = sklearn_run(x_all[tr], y_all[tr], x_all[te], y_all[te], seed)
            lin = r2_score(y_all[te], LinearRegression().fit(x_all[tr], y_all[tr])
                           .predict(x_all[te]))
            res["ffnn"].append(f)
            res["sklearn"].append(s)
            res["linear"].append(lin)
            print(f"{seed:4d}  {f[0]:8.4f}  {f[1]:7.2f}  {f[2]:4.2f}  {s[0]:11.4f}  {s[1]:7.2f}  "
                  f"{s[2]:4.2f}  {lin:10.4f}")
    med = {k: [statistics.median(v[i] for v in res[k]) for i in range(3)]
           for k in ("ffnn", "sklearn")}
    print(f"median  ffnn R^2 {med['ffnn'][0]:.4f} RMSE {med['ffnn'][1]:.2f} ({med['ffnn'][2]:.2f} s"
          f" a run, eval included);  sklearn MLPRegressor R^2 {med['sklearn'][0]:.4f} RMSE "
          f"{med['sklearn'][1]:.2f} ({med['sklearn'][2]:.2f} s);  linear least squares R^2 "
          f"{statistics.median(res['linear']):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
