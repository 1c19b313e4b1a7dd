"""PyTorch baseline throughput of the reference models on CPU: HRM (tests/parity/hrm_reference.py),
TRM (MLP-mixer or attention) and the plain transformer (tests/parity/trm_reference.py), chosen by
the config's `arch`.

Prints one JSON object per line per measurement, for the C++ benchmarks to compare against:

  {"bench": "torch_infer", "dtype": "fp32", "batch": 16, "threads": 2,
   "puzzle_segments_per_s": ..., "sec_per_segment": ..., "segments_timed": ..., ...}
  {"bench": "torch_train", "dtype": "fp32", "batch": 16, "threads": 2,
   "samples_per_s": ..., "sec_per_step": ..., "steps_timed": ..., ...}

A "puzzle-segment" is one ACT segment (one inner forward, spec 1.5) for one puzzle in eval mode,
so puzzles/s for the reference 16-segment evaluation = puzzle_segments_per_s / 16. A training
"sample" is one row of one reference training step (spec 2.2 training branch: the segment with
gradient + the extra no-grad target-Q forward + backward + AdamATan2/SignSGD). This is the work
of one `hrm train` engine step per row, which `hrm bench train --torch` compares against. The
optimizer here is FastAdamATan2: the same update in plain fp32 tensor ops, as the reference's
CUDA kernel computes it, rather than hrm_reference.AdamATan2's float64 FMA emulation (which
exists for bit parity and would make the baseline slower than the reference really is).

Usage (27M Sudoku config):
    OPENBLAS_CORETYPE=Cooperlake /usr/bin/python3 tests/parity/bench_torch.py \
        --config configs/models/hrm-sudoku.toml --threads 2

fp32 numbers depend entirely on the BLAS that torch's libblas.so.3 resolves to. Debian's default
alternative is the *netlib reference* BLAS (~3 GFLOP/s, useless as a baseline). Use OpenBLAS
(`apt-get install libopenblas0-pthread`, or put its directory first in LD_LIBRARY_PATH) and set
OPENBLAS_CORETYPE=Cooperlake: on this AMD EPYC (AVX-512 + BF16) OpenBLAS' auto-detection picks a
slower generic kernel (~42 vs ~70 GFLOP/s single-thread sgemm measured). The library actually
loaded is reported in every JSON line ("blas"). bf16_native uses oneDNN and is BLAS-independent;
"bf16" is the rounding *emulation* (fp32 math + rounding) and is slower than fp32 by design.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import tomllib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hrm_reference as R  # noqa: E402
import trm_reference as T  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_CONFIGS = [os.path.join(REPO, "configs", "models", "hrm-sudoku.toml"),
                   os.path.join(HERE, "configs", "hrm-sudoku.toml")]


def load_model_config(path: str):
    """(config, model class) of an SDK model config TOML (a [model] table or a training config)."""
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    arch = tomllib.loads(text).get("model", {}).get("arch", "hrm")
    return (R.parse_config(text), R.HRM) if arch == "hrm" else (T.parse_config(text), T.TRM)


def loaded_blas() -> str:
    """Path of the BLAS shared object mapped into this process (after torch used it)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return ",".join(sorted(os.path.realpath(p) for p in libs)) or "unknown"
    except OSError:
        return "unknown"


def make_batch(cfg, B: int, gen: torch.Generator):
    inputs = torch.randint(1, 11 if cfg.vocab_size >= 11 else cfg.vocab_size, (B, cfg.seq_len), generator=gen).to(torch.int32)
    labels = torch.randint(1, cfg.vocab_size, (B, cfg.seq_len), generator=gen).to(torch.int32)
    pids = torch.randint(0, cfg.num_puzzle_identifiers, (B,), generator=gen).to(torch.int32)
    return {"inputs": inputs, "labels": labels, "puzzle_identifiers": pids}


def bench_infer(model, cfg, B: int, min_time: float, max_segments: int, gen) -> dict:
    batch = make_batch(cfg, B, gen)
    model.eval()
    with torch.no_grad():
        carry = model.initial_carry(batch)
        carry, _ = model(carry, batch)           # warm-up (allocations, thread pool, oneDNN JIT)
        n, t0 = 0, time.perf_counter()
        while True:
            carry, out = model(carry, batch)
            # Eval halts every row after halt_max_steps; the next call resets them, like a
            # continuous 16-segment evaluation stream.
            n += 1
            el = time.perf_counter() - t0
            if n >= max_segments or el >= min_time:
                break
    return {"puzzle_segments_per_s": B * n / el, "sec_per_segment": el / n, "segments_timed": n}


class FastAdamATan2(R.AdamATan2):
    """AdamATan2 (spec 3.3) in plain fp32 in-place ops: decay first, lerp of m and v, bias
    correction of m outside atan2. Same arithmetic as the reference kernel up to fma rounding."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            wd = float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["step"] = 0
                    st["exp_avg"] = torch.zeros_like(p)
                    st["exp_avg_sq"] = torch.zeros_like(p)
                st["step"] += 1
                t = st["step"]
                bc1, bc2_sqrt = 1.0 - beta1 ** t, math.sqrt(1.0 - beta2 ** t)
                g = p.grad.float()
                p.mul_(1.0 - lr * wd)
                st["exp_avg"].lerp_(g, 1.0 - beta1)
                st["exp_avg_sq"].lerp_(g * g, 1.0 - beta2)
                denom = st["exp_avg_sq"].sqrt().div_(bc2_sqrt)
                p.add_(torch.atan2(st["exp_avg"], denom), alpha=-lr / bc1)


def bench_train(model, cfg, B: int, min_time: float, max_steps: int, gen) -> dict:
    """Reference training steps (R.train_step: segment with the one-step gradient, target-Q
    forward, stablemax + Q losses, backward, SignSGD, AdamATan2) on one random batch; rows
    halt and restart as in training. At least 2 timed steps after one warm-up step."""
    hp = R.TrainHParams(global_batch_size=B, warmup_steps=10, total_steps=1000)
    opt = FastAdamATan2(model.parameters(), lr=0.0, betas=(hp.beta1, hp.beta2), weight_decay=hp.weight_decay)
    batch = make_batch(cfg, B, gen)
    carry = model.initial_carry(batch)
    carry, _, _, _, _ = R.train_step(model, carry, batch, opt, 1, hp, generator=gen)   # warm-up
    n, t0 = 0, time.perf_counter()
    while True:
        carry, _, _, _, _ = R.train_step(model, carry, batch, opt, n + 2, hp, generator=gen)
        n += 1
        el = time.perf_counter() - t0
        if n >= max_steps or (n >= 2 and el >= min_time):
            break
    return {"samples_per_s": B * n / el, "sec_per_step": el / n, "steps_timed": n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=next((p for p in DEFAULT_CONFIGS if os.path.exists(p)), DEFAULT_CONFIGS[-1]))
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads(N)")
    ap.add_argument("--batches", default="1,16,64,256", help="inference batch sizes")
    ap.add_argument("--dtypes", default="fp32,bf16_native,bf16",
                    help="inference numeric modes (fp32 | bf16 (emulation) | bf16_native)")
    ap.add_argument("--train-batches", default="16", help="training batch sizes ('' to skip)")
    ap.add_argument("--train-dtypes", default="fp32,bf16_native")
    ap.add_argument("--min-time", type=float, default=3.0, help="seconds per measurement (after warm-up)")
    ap.add_argument("--max-iters", type=int, default=50, help="cap on timed segments / steps")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    cfg, Model = load_model_config(args.config)
    torch.manual_seed(args.seed)
    model = Model(cfg)
    gen = torch.Generator().manual_seed(args.seed)
    common = {"config": os.path.relpath(os.path.abspath(args.config), REPO), "arch": cfg.arch, "threads": args.threads,
              "torch": torch.__version__, "num_params": model.num_params(),
              "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "")}
    for dt in [s for s in args.dtypes.split(",") if s]:
        model.set_dtype(dt)
        for B in [int(s) for s in args.batches.split(",") if s]:
            r = bench_infer(model, cfg, B, args.min_time, args.max_iters, gen)
            print(json.dumps({"bench": "torch_infer", "dtype": dt, "batch": B, **r, **common,
                              "blas": loaded_blas()}), flush=True)
    for dt in [s for s in args.train_dtypes.split(",") if s]:
        for B in [int(s) for s in args.train_batches.split(",") if s]:
            torch.manual_seed(args.seed)
            tm = Model(cfg, dtype=dt)     # fresh weights/optimizer state per measurement
            r = bench_train(tm, cfg, B, args.min_time, args.max_iters, gen)
            print(json.dumps({"bench": "torch_train", "dtype": dt, "batch": B, **r, **common,
                              "blas": loaded_blas()}), flush=True)


if __name__ == "__main__":
    main()
