#!/usr/bin/python3
"""When does communication dominate data-parallel training? A model, not a measurement.

Usage: bench/scaling_estimate.py

Per step, with P ranks (one a node) and a global batch of B rows:
  compute   B / P x t_sample                 (t_sample: one thread of this machine, measured)
  fast      2 (P - 1) / P x M / bw + 2 (P - 1) x latency      (ring MPI_Allreduce)
  fixed     (P - 1) x M / bw + (P - 1) x latency               (ring MPI_Allgatherv of P blocks)
            + (P - 1) x t_add                                  (combine_blocks: P - 1 additions)
M = (parameters + 1) x 4 bytes. t_add: one addition of two M-byte buffers, measured by
bench_reduce's combine of 2 blocks (0.063 ms for 0.94 MB, in cache; 31.5 ms for 80.2 MB,
from memory). The shard overhead of the step and MPI's
own choice of algorithm are left out. Prints, for each network, bandwidth and batch, the
smallest P at which the communication takes longer than the compute, and the share of
communication in a step at P = 16.
"""

NETS = {
    # name: (parameters, measured seconds per sample on one thread, measured t_add), from
    # bench/RESULTS.md "Data parallel over MPI"
    "784-256-128-10": (235146, 1 / 140757, 0.063e-3),
    "784-4096-4096-10": (20037642, 1 / 1064, 31.5e-3),
}
LINKS = {"10 Gbit/s, 10 us": (10e9 / 8, 10e-6), "100 Gbit/s, 2 us": (100e9 / 8, 2e-6)}


def comm(kind, p, m, bw, lat, t_add):
    if p == 1:
        return 0.0
    if kind == "fast":
        return 2 * (p - 1) / p * m / bw + 2 * (p - 1) * lat
    return (p - 1) * m / bw + (p - 1) * lat + (p - 1) * t_add


def main():
    print("| network | link | batch | reduce | compute at P=1 | comm at P=2 | comm > compute from P | comm share at P=16 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for net, (params, t_sample, t_add) in NETS.items():
        m = (params + 1) * 4
        for link, (bw, lat) in LINKS.items():
            for batch in (128, 1024):
                for kind in ("fast", "fixed"):
                    last = 1
                    for p in range(2, 1025):
                        if batch * t_sample / p > comm(kind, p, m, bw, lat, t_add):
                            last = p
                        else:
                            break
                    c16 = comm(kind, 16, m, bw, lat, t_add)
                    share = c16 / (c16 + batch * t_sample / 16)
                    print(f"| {net} | {link} | {batch} | {kind} | {1e3 * batch * t_sample:.2f} ms "
                          f"| {1e3 * comm(kind, 2, m, bw, lat, t_add):.2f} ms | {last + 1} | {100 * share:.0f} % |")


if __name__ == "__main__":
    main()
