#!/usr/bin/env python3
"""The step-time model of docs/distributed.md: predicted efficiency of `mpirun -np N hrm train`
at a fixed global batch (strong scaling, the bit-identical setting) on 10 and 100 GbE.

  T(N) = (B / N) * t_sample + t_opt + T_grad(N) + T_small(N)
  E(N) = T(1) / (N * T(N)),  T(1) = B * t_sample + t_opt   (one process, no communication)

t_sample = GFLOP per training sample (`hrm bench train` prints it) / the node's sustained rate;
t_opt    = the optimizer pass every rank repeats over all P parameters (AdamATan2, measured);
T_grad   = the fixed-order sum of hrm_train_mpi: a pipelined chain over the N ranks in 256 KiB
           pieces, then a broadcast from the last rank (both about G / BW, G = 4P bytes), next
           to a ring allreduce's 2(N-1)/N * G / BW for comparison;
T_small  = the per-step small collectives (per-shard sums, puzzle-embedding rows, stop flag).
Run it to print the tables (python3 scripts/dist-model.py).
"""
import math

ALPHA = 50e-6            # per-message latency of Open MPI's TCP transport on Ethernet, s
PIECE = 256 * 1024       # bytes per piece of the chain (kPiece in sdk/train/src/mpi_comm.cpp)
ADAM_NS = 29e-9 / 2      # s per parameter: 29 ns of CPU per parameter (measured), on 2 threads
NETS = {"10 GbE": 1.17e9, "100 GbE": 11.7e9}   # payload bytes/s at line rate

# name, parameters, GFLOP per training sample, node rate GFLOP/s (2 vCPUs, fp32), global batch,
# puzzle-embedding width (0 = none). Rates: docs/performance.md (idle host): 112 GFLOP/s for the
# 64-wide models (sudoku-4x4-small at 2,800 samples/s), 132 for 1M-parameter models (hrm-small),
# 165 for the 512-wide ones (the 27M HRM at 4.5 samples/s).
CONFIGS = [
    ("sudoku-4x4-small / compare-hrm-sudoku4", 131970, 0.04, 112, 64, 64),
    ("compare-trm-sudoku4", 129922, 0.36, 112, 64, 64),
    ("compare-transformer-sudoku4", 131970, 0.03, 112, 64, 64),
    ("compare-hrm-maze9", 131970, 0.20, 112, 64, 64),
    ("compare-trm-maze9", 131970, 0.88, 112, 64, 64),
    ("compare-transformer-maze9", 131970, 0.15, 112, 64, 64),
    ("sudoku-9x9-trm", 526850, 2.01, 132, 64, 128),
    ("maze-11-trm", 779010, 3.93, 132, 64, 128),
    ("gridnav-10-trm", 714498, 3.27, 132, 64, 128),
    ("TRM-Att ARC (trm-arc.toml), batch 768", 6829058, 541.41, 165, 768, 512),
    ("HRM 27M Sudoku (hrm-sudoku.toml), batch 768", 27275266, 36.65, 165, 768, 512),
]


def t_grad(n, g, bw):
    if n == 1:
        return 0.0
    pieces = max(1, math.ceil(g / PIECE))
    hop = ALPHA + (g / pieces) / bw
    chain = (pieces + n - 2) * hop
    bcast = math.ceil(math.log2(n)) * (ALPHA + min(g, PIECE) / bw) + g / bw
    return chain + bcast


def t_ring(n, g, bw):
    return 0.0 if n == 1 else 2 * (n - 1) / n * g / bw + 2 * (n - 1) * ALPHA


def t_small(n, batch, dim, bw):
    if n == 1:
        return 0.0
    rows = batch * (4 + 4 * dim) * (n - 1) / n / bw   # every rank receives the others' puzzle rows
    return 3 * math.ceil(math.log2(n)) * ALPHA + rows


def main():
    for net, bw in NETS.items():
        print(f"\n{net}\n")
        print("| config | params | t_sample | B·t_sample | t_opt | T_grad(8) | ring(8) | E(8) | T_grad(64) | ring(64) | E(64) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for name, p, gflop, rate, batch, dim in CONFIGS:
            ts = gflop / rate
            g = 4 * p
            topt = p * ADAM_NS
            t1 = batch * ts + topt
            cells = []
            for n in (8, 64):
                tn = batch / n * ts + topt + t_grad(n, g, bw) + t_small(n, batch, dim, bw)
                cells += [f"{t_grad(n, g, bw) * 1e3:.2f} ms", f"{t_ring(n, g, bw) * 1e3:.2f} ms", f"{t1 / (n * tn):.0%}"]
            print(f"| {name} | {p / 1e6:.2f}M | {ts * 1e3:.2f} ms | {batch * ts:.3g} s | {topt * 1e3:.2f} ms | " +
                  " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
