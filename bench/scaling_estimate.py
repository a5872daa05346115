#!/usr/bin/python3
"""When does communication dominate data-parallel training? A model, not a measurement.

Usage: bench/scaling_estimate.py

Per step, with P ranks (one a node) and a global batch of B rows:
  compute   B / P x t_sample                 (t_sample: one thread of this machine, measured)
  fast      2 (P - 1) / P x M / bw + 2 (P - 1) x latency      (ring MPI_Allreduce)
  fixed     (P - 1) x M / bw + (P - 1) x latency               (ring MPI_Allgatherv of P blocks)
            + (P - 1) x t_add                                  (combine_blocks: P - 1 additions)
M = (parameters + 1) x 4 bytes. t_add: one addition of two M-byte buffers, measured by
bench_reduce (0.063 ms for 0.94 MB here: 15 GB/s). The shard overhead of the step and MPI's
own choice of algorithm are left out. Prints, for each network, bandwidth and batch, the
smallest P at which the communication takes longer than the compute, and the share of
communication in a step at P = 16.
"""

NETS = {
    # name: (parameters, measured seconds per sample on one thread, bench/RESULTS.md)
    "784-256-128-10": (235146, 1 / 140757),
    "784-4096-4096-10": (20037642, 1 / 1064),
}
LINKS = {"10 Gbit/s, 10 us": (10e9 / 8, 10e-6), "100 Gbit/s, 2 us": (100e9 / 8, 2e-6)}
ADD_BYTES_PER_S = 0.94e6 / 0.063e-3  # bench_reduce: combine of 2 blocks of 0.94 MB


def comm(kind, p, m, bw, lat):
    if p == 1:
        return 0.0
    if kind == "fast":
        return 2 * (p - 1) / p * m / bw + 2 * (p - 1) * lat
    return (p - 1) * m / bw + (p - 1) * lat + (p - 1) * m / ADD_BYTES_PER_S


def main():
    print("| network | link | batch | reduce | compute at P=1 | comm at P=2 | comm > compute from P | comm share at P=16 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for net, (params, t_sample) in NETS.items():
        m = (params + 1) * 4
        for link, (bw, lat) in LINKS.items():
            for batch in (128, 1024):
                for kind in ("fast", "fixed"):
                    last = 1
                    for p in range(2, 1025):
                        if batch * t_sample / p > comm(kind, p, m, bw, lat):
                            last = p
                        else:
                            break
                    c16 = comm(kind, 16, m, bw, lat)
                    share = c16 / (c16 + batch * t_sample / 16)
                    print(f"| {net} | {link} | {batch} | {kind} | {1e3 * batch * t_sample:.2f} ms "
                          f"| {1e3 * comm(kind, 2, m, bw, lat):.2f} ms | {last + 1} | {100 * share:.0f} % |")


if __name__ == "__main__":
    main()
