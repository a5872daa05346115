#!/usr/bin/python3
"""The training steps of bench_train, in PyTorch: the peer ffnn is measured against.

Same models, same batch sizes, SGD with momentum 0.9, fp32, random normal inputs cycled
through a pool of 8 batches. Prints one JSON object per line:
  {"name": "train/784-256-128-10/batch:128", "threads": T, "samples_per_second": ...,
   "step_us": ..., "repetitions": [...]}
with the median over repetitions. Run it through bench/compare_train.sh, which also runs
bench_train in the same session and prints the ratios.

usage: compare_pytorch.py THREADS [REPETITIONS]
Thread settings are fixed at start-up (PyTorch reads OMP_NUM_THREADS once), so the shell
script starts one process per thread count.
"""
import json
import os
import statistics
import sys
import time

import torch


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def measure(sizes, batch, seconds, repetitions):
    torch.manual_seed(1)
    model = mlp(sizes)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    xs = [torch.randn(batch, sizes[0]) for _ in range(8)]
    ys = [torch.randint(0, sizes[-1], (batch,)) for _ in range(8)]

    def step(i):
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(xs[i % 8]), ys[i % 8])
        loss.backward()
        opt.step()

    for i in range(20):  # warm-up: allocator, thread pool
        step(i)
    # Steps per repetition chosen so a repetition lasts about `seconds`.
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 0.2:
        step(n)
        n += 1
    per = max(1, int(n * seconds / 0.2))
    rates = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        for i in range(per):
            step(i)
        rates.append(per * batch / (time.perf_counter() - t0))
    return rates


def main():
    threads = int(sys.argv[1])
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(threads)
    cases = [([784, 256, 128, 10], 128, 1.0)]
    if threads == 1:
        cases.append(([4, 16, 3], 32, 0.5))
    # The scaling grid of bench_train: 784-H-H-10.
    for h, batch in [(128, 128), (512, 128), (2048, 128), (256, 32), (256, 1024)]:
        cases.append(([784, h, h, 10], batch, 1.0, "grid/"))
    for sizes, batch, seconds, *prefix in cases:
        rates = measure(sizes, batch, seconds, reps)
        med = statistics.median(rates)
        name = (prefix[0] if prefix else "train/") + "-".join(map(str, sizes)) + f"/batch:{batch}"
        print(json.dumps({"name": name, "threads": threads, "samples_per_second": med,
                          "step_us": batch / med * 1e6, "repetitions": rates,
                          "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "auto"),
                          "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
                          "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
