"""Generate the TRM and transformer parity fixtures consumed by tests/models/test_trm.cpp.

Regenerate (from the repository root, a few seconds):

    /usr/bin/python3 tests/parity/make_trm_fixtures.py            # all
    /usr/bin/python3 tests/parity/make_trm_fixtures.py trm_mlp    # one

Oracle: trm_reference.py (which reuses hrm_reference.py). Seeded, so weights, inputs and the
TOML/JSON files are reproducible bit for bit; outputs up to the BLAS' fp32 summation order.

Output: tests/data/parity/<name>/ for name in {trm_mlp, trm_att, transformer}, fp32 only, kept
small (hidden 16; the SwiGLU widths round up to 256 whatever the hidden size):
  config.toml, model.safetensors          the model (randomised q_head and puzzle rows so those
                                          paths carry signal)
  inputs.npy [B,S] I32, puzzle_ids.npy [B] the evaluation rollout's inputs
  logits_K.npy [B,S,V], q_K.npy [B,2]     after K = 1, 2, 4 segments from the initial carry
                                          (q = (q_halt, q_continue); TRM's q_continue is 0)
  drift.json                              fp32 vs fp64 of those outputs (the fixture's conditioning)
  train_inputs/labels/puzzle_ids.npy      one training step from the initial carry (training mode,
  step1_grads.safetensors                 no exploration): every parameter gradient of
  train_step1.json                        loss / global_batch and the puzzle rows'
                                          (inner.puzzle_emb.local_grad); losses and q logits
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hrm_reference as R  # noqa: E402
import trm_reference as T  # noqa: E402
from safetensors_io import save_file  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_ROOT = os.path.join(REPO, "tests", "data", "parity")
FORMAT = "hrm-sdk/1"
BATCH = 3
RECORD = (1, 2, 4)

# 4x4-Sudoku-sized: S = 16, vocab 7. trm_mlp: the Sudoku variant (sequence MLP, no positions) with
# a 2-position prefix holding a 24-wide puzzle row (zero padding exercised); trm_att: attention
# with RoPE; transformer: 2 blocks, HRM's ACT with the continue head.
_TRM = T.TRMConfig(arch="trm", hidden_size=16, num_heads=2, expansion=2.0, layers=2, h_cycles=2, l_cycles=2,
                   mlp_t=True, pos_encodings="none", puzzle_emb_ndim=24, puzzle_emb_len=2, halt_max_steps=4,
                   halt_exploration_prob=0.1, no_act_continue=True, vocab_size=7, seq_len=16,
                   num_puzzle_identifiers=3)
CONFIGS = OrderedDict([
    ("trm_mlp", (_TRM, 2001)),
    ("trm_att", (replace(_TRM, mlp_t=False, pos_encodings="rope", l_cycles=3), 2002)),
    ("transformer", (T.TRMConfig(arch="transformer", hidden_size=16, num_heads=2, expansion=2.0, layers=2,
                                 h_cycles=1, l_cycles=0, mlp_t=False, pos_encodings="rope", puzzle_emb_ndim=16,
                                 puzzle_emb_len=0, halt_max_steps=4, halt_exploration_prob=0.1,
                                 no_act_continue=False, vocab_size=7, seq_len=16, num_puzzle_identifiers=3), 2003)),
])

TRAIN_HP = R.TrainHParams(lr=4e-3, puzzle_emb_lr=4e-2, weight_decay=1.0, puzzle_emb_weight_decay=0.5,
                          beta1=0.9, beta2=0.95, warmup_steps=4, total_steps=100, lr_min_ratio=1.0,
                          global_batch_size=BATCH, loss_type="stablemax_cross_entropy")


def save_npy(d: str, name: str, arr) -> None:
    if isinstance(arr, torch.Tensor):
        arr = arr.detach().cpu().numpy()
    np.save(os.path.join(d, name), np.ascontiguousarray(arr))


def qpair(o) -> torch.Tensor:
    return torch.stack([o["q_halt_logits"], o["q_continue_logits"]], dim=-1).float()


def build(cfg: T.TRMConfig, seed: int) -> T.TRM:
    torch.manual_seed(seed)
    model = T.TRM(cfg)
    g = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        D = cfg.hidden_size
        pe = model.inner.puzzle_emb.weights
        pe.copy_(torch.randn(pe.shape, generator=g).clamp_(-2, 2) / np.sqrt(cfg.puzzle_emb_ndim))
        model.inner.q_head.weight.copy_(torch.randn(2, D, generator=g).clamp_(-2, 2) / np.sqrt(D))
        model.inner.q_head.bias.copy_(torch.tensor([-0.5, -0.5]) + 0.5 * torch.randn(2, generator=g))
    return model


def make_fixture(name: str) -> dict:
    cfg, seed = CONFIGS[name]
    d = os.path.join(OUT_ROOT, name)
    os.makedirs(d, exist_ok=True)
    text = T.config_to_toml(cfg)
    model = build(cfg, seed)
    model.eval()
    with open(os.path.join(d, "config.toml"), "w") as f:
        f.write(text)
    sd = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    save_file(sd, os.path.join(d, "model.safetensors"), {"format": FORMAT, "config": text})

    g = torch.Generator().manual_seed(seed + 13)
    inputs = torch.randint(1, cfg.vocab_size, (BATCH, cfg.seq_len), generator=g, dtype=torch.int64).to(torch.int32)
    pids = torch.tensor([1, 0, 2], dtype=torch.int32)
    save_npy(d, "inputs.npy", inputs)
    save_npy(d, "puzzle_ids.npy", pids)
    runs = R.run_eval_segments(model, inputs, pids, max(RECORD), record=RECORD)
    for k in RECORD:
        save_npy(d, f"logits_{k}.npy", runs[k]["logits"].float())
        save_npy(d, f"q_{k}.npy", qpair(runs[k]))
    # Conditioning: how far the fixture's own fp32 run is from an fp64 run (random-init recurrences
    # amplify rounding differences); the C++ bound after several segments scales with it.
    model.set_dtype("fp64")
    exact = R.run_eval_segments(model, inputs, pids, max(RECORD), record=RECORD)
    model.set_dtype("fp32")
    drift = {}
    for k in RECORD:
        a, b = runs[k]["logits"].double(), exact[k]["logits"].double()
        qa, qb = qpair(runs[k]).double(), qpair(exact[k]).double()
        drift[str(k)] = {"rel_logit_diff": ((a - b).abs().max() / b.abs().max()).item(),
                         "max_abs_q_diff": (qa - qb).abs().max().item()}
    with open(os.path.join(d, "drift.json"), "w") as f:
        json.dump({"fp32_vs_fp64": drift}, f, indent=1)
        f.write("\n")

    # One training step (no exploration): row 0's labels are the model's own segment-1 prediction
    # so its q_halt target is 1; row 2 has ignored labels.
    tcfg = replace(cfg, halt_exploration_prob=0.0)
    m = copy.deepcopy(model)
    m.cfg = tcfg
    m.inner.cfg = tcfg
    g = torch.Generator().manual_seed(seed + 29)
    t_in = torch.randint(1, cfg.vocab_size, (BATCH, cfg.seq_len), generator=g, dtype=torch.int64).to(torch.int32)
    labels = torch.randint(2, cfg.vocab_size, (BATCH, cfg.seq_len), generator=g, dtype=torch.int64).to(torch.int32)
    t_pids = torch.tensor([2, 2, 0], dtype=torch.int32)   # a repeated id: its rows' gradients are per row
    first = R.run_eval_segments(m, t_in, t_pids, 1)[1]["logits"]
    labels[0] = first[0].argmax(-1).to(torch.int32)
    labels[2, :3] = R.IGNORE_LABEL_ID
    batch = {"inputs": t_in, "labels": labels, "puzzle_identifiers": t_pids}
    opt = R.make_optimizer(m, TRAIN_HP)
    carry = m.initial_carry(batch)
    new_carry, metrics, outputs, lr, plr = R.train_step(m, carry, batch, opt, 1, TRAIN_HP)
    grads = OrderedDict((k, p.grad.detach().clone()) for k, p in m.named_parameters())
    grads["inner.puzzle_emb.local_grad"] = m.inner.puzzle_emb.local_weights.grad.detach().clone()
    save_npy(d, "train_inputs.npy", t_in)
    save_npy(d, "train_labels.npy", labels)
    save_npy(d, "train_puzzle_ids.npy", t_pids)
    save_file(grads, os.path.join(d, "step1_grads.safetensors"),
              {"format": FORMAT, "config": T.config_to_toml(tcfg),
               "note": "gradients of loss/global_batch_size; inner.puzzle_emb.local_grad is [B, ndim]"})
    info = {
        "description": "One training step from the initial carry, training mode, fp32, no exploration. "
                       "Start weights = model.safetensors; config = step1_grads.safetensors metadata.",
        "global_batch_size": BATCH,
        "lm_loss": metrics["lm_loss"].item(),
        "q_halt_loss": metrics["q_halt_loss"].item(),
        "q_continue_loss": metrics["q_continue_loss"].item(),
        "loss": metrics["loss"].item(),
        "q_halt_logits": outputs["q_halt_logits"].tolist(),
        "q_continue_logits": outputs["q_continue_logits"].tolist(),
        "halted_after": new_carry.halted.tolist(),
        "num_params": m.num_params(),
    }
    with open(os.path.join(d, "train_step1.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    return {"name": name, "num_params": m.num_params(), "lm_loss": info["lm_loss"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(CONFIGS), help=f"subset of {list(CONFIGS)}")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for n in args.names:
        if n not in CONFIGS:
            raise SystemExit(f"unknown fixture {n!r}; choose from {list(CONFIGS)}")
        print(json.dumps(make_fixture(n)))


if __name__ == "__main__":
    main()
