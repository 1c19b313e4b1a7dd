"""Generate the HRM parity fixtures consumed by the C++ SDK tests.

Regenerate (from the repository root; takes a few minutes on 2 cores, most of it the fp64
drift runs of `wide`):

    /usr/bin/python3 tests/parity/make_fixtures.py            # all configs
    /usr/bin/python3 tests/parity/make_fixtures.py small      # one config

Use Debian's /usr/bin/python3 (it has torch 1.13 + numpy); the pyenv `python3` has no numpy.
Everything is seeded, so weights, inputs and the TOML/JSON files are bit-for-bit reproducible.
Model *outputs* are reproducible bit-for-bit with the same BLAS; a different BLAS (netlib vs
OpenBLAS) changes fp32 sums in the last bits, which the recurrent dynamics amplify over 16
segments (see drift.json and docs/parity.md for the measured sensitivity).

Output: tests/data/parity/<name>/ for name in {small, small_learned, wide}; the file list and
semantics are documented in docs/parity.md. All `.npy` files are little-endian, C order.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections import OrderedDict
from dataclasses import asdict, replace

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hrm_reference as R  # noqa: E402
from safetensors_io import save_file  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_ROOT = os.path.join(REPO, "tests", "data", "parity")
FORMAT = "hrm-sdk/1"
BATCH = 4
SEGMENTS = 16

# ---- fixture configs -----------------------------------------------------------------------
_SMALL = R.HRMConfig(hidden_size=64, num_heads=2, expansion=4.0, h_layers=2, l_layers=2,
                     h_cycles=2, l_cycles=2, pos_encodings="rope", puzzle_emb_ndim=64,
                     halt_max_steps=16, halt_exploration_prob=0.1, vocab_size=11, seq_len=81,
                     num_puzzle_identifiers=1)
CONFIGS = OrderedDict([
    # (config, torch seed, randomize puzzle-embedding rows and q_head weights?)
    ("small", (_SMALL, 1001, False)),
    ("small_learned", (replace(_SMALL, pos_encodings="learned"), 1002, False)),
    # "wide": the reference head_dim (64) and a non-default expansion, several puzzle ids with
    # non-zero random rows and a random q_head so those paths carry signal. hidden 512 x 8 heads
    # (as first planned) would be 27 MB of fp32 even with 1+1 layers, over the 12 MB budget.
    ("wide", (R.HRMConfig(hidden_size=256, num_heads=4, expansion=2.0, h_layers=1, l_layers=1,
                          h_cycles=2, l_cycles=2, pos_encodings="rope", puzzle_emb_ndim=256,
                          halt_max_steps=16, halt_exploration_prob=0.1, vocab_size=11, seq_len=81,
                          num_puzzle_identifiers=3), 1003, True)),
])

# One-training-step fixture hyper-parameters (only for `small`). warmup 4 with step 1 gives
# lr = base/4, so the schedule is exercised; puzzle lr/wd differ from the main ones so a mix-up
# is visible. Exploration is disabled so the step is deterministic.
TRAIN_HP = R.TrainHParams(lr=4e-3, puzzle_emb_lr=4e-2, weight_decay=1.0, puzzle_emb_weight_decay=0.5,
                          beta1=0.9, beta2=0.95, warmup_steps=4, total_steps=100, lr_min_ratio=1.0,
                          global_batch_size=BATCH, loss_type="stablemax_cross_entropy")
TRAIN_STEP = 1


def build_model(cfg: R.HRMConfig, seed: int, randomize: bool) -> R.HRM:
    torch.manual_seed(seed)
    model = R.HRM(cfg, dtype="fp32")
    if randomize:
        g = torch.Generator().manual_seed(seed + 7)
        with torch.no_grad():
            D = cfg.hidden_size
            # Same scale as the token embedding (it is multiplied by sqrt(D) as well).
            pe = model.inner.puzzle_emb.weights
            pe.copy_(torch.randn(pe.shape, generator=g).clamp_(-2, 2) / np.sqrt(cfg.puzzle_emb_ndim))
            # q ~ N(-5, ~1): RMS-normalized z_H has per-element rms 1, so std 1/sqrt(D) weights.
            model.inner.q_head.weight.copy_(torch.randn(2, D, generator=g).clamp_(-2, 2) / np.sqrt(D))
            model.inner.q_head.bias.copy_(torch.tensor([-5.0, -5.0]) + 0.5 * torch.randn(2, generator=g))
    return model


def make_inputs(cfg: R.HRMConfig, seed: int):
    g = torch.Generator().manual_seed(seed + 13)
    # Sudoku-like tokens: 1 = blank, 2..10 = digits (spec 4.2); never PAD.
    inputs = torch.randint(1, 11, (BATCH, cfg.seq_len), generator=g, dtype=torch.int64).to(torch.int32)
    if cfg.num_puzzle_identifiers > 1:
        pids = torch.tensor([1, 0, 2, 1], dtype=torch.int32)[:BATCH]
    else:
        pids = torch.zeros(BATCH, dtype=torch.int32)
    return inputs, pids


def meta(cfg_text: str):
    return {"format": FORMAT, "config": cfg_text}


def save_npy(d: str, name: str, arr) -> None:
    if isinstance(arr, torch.Tensor):
        arr = arr.detach().cpu().numpy()
    np.save(os.path.join(d, name), np.ascontiguousarray(arr))


def qpair(o) -> torch.Tensor:
    return torch.stack([o["q_halt_logits"], o["q_continue_logits"]], dim=-1).float()


def drift_stats(model: R.HRM, inputs, pids, runs_cache):
    """Per-segment max |logit| difference of bf16 modes and fp32 vs an fp64 run (conditioning)."""
    segs = tuple(range(1, SEGMENTS + 1))
    for mode in ("fp64", "fp32", "bf16", "bf16_native"):
        if mode not in runs_cache:
            model.set_dtype(mode)
            runs_cache[mode] = R.run_eval_segments(model, inputs, pids, SEGMENTS, record=segs)
    model.set_dtype("fp32")

    def cmp(a, b):
        rows = []
        for s in segs:
            la, lb = runs_cache[a][s]["logits"].double(), runs_cache[b][s]["logits"].double()
            qa, qb = qpair(runs_cache[a][s]).double(), qpair(runs_cache[b][s]).double()
            mx = lb.abs().max().item()
            d = (la - lb).abs().max().item()
            rows.append({"segment": s, "max_abs_logit_diff": d, "max_abs_logit": mx,
                         "rel_to_max_logit": d / mx, "max_abs_q_diff": (qa - qb).abs().max().item(),
                         "argmax_agreement": (la.argmax(-1) == lb.argmax(-1)).double().mean().item()})
        return rows

    return {"fp32_vs_fp64": cmp("fp32", "fp64"),
            "bf16_vs_fp32": cmp("bf16", "fp32"),
            "bf16_native_vs_fp32": cmp("bf16_native", "fp32"),
            # Two different bf16 implementations: the noise floor a C++ bf16 path can expect
            # against the bf16_*.npy fixtures.
            "bf16_native_vs_bf16": cmp("bf16_native", "bf16"),
            "note": "bf16 = spec-1.7 rounding emulation (the bf16_*.npy fixtures); bf16_native = "
                    "torch.bfloat16 CPU kernels; fp64 = exact-arithmetic proxy. Random-init "
                    "weights: the 16-segment recurrence amplifies any rounding difference."}


def make_train_fixture(name: str, cfg: R.HRMConfig, model: R.HRM, seed: int, d: str) -> dict:
    tcfg = replace(cfg, halt_exploration_prob=0.0)
    tcfg_text = R.config_to_toml(tcfg)
    m = copy.deepcopy(model)
    m.cfg = tcfg
    m.inner.cfg = tcfg
    m.set_dtype("fp32")

    g = torch.Generator().manual_seed(seed + 29)
    inputs = torch.randint(1, 11, (BATCH, cfg.seq_len), generator=g, dtype=torch.int64).to(torch.int32)
    labels = torch.randint(2, 11, (BATCH, cfg.seq_len), generator=g, dtype=torch.int64).to(torch.int32)
    pids = torch.zeros(BATCH, dtype=torch.int32)
    # Row 0: labels := the model's own segment-1 prediction, so seq_is_correct is True there and
    # the q_halt BCE has a positive target. Row 2: a few ignored labels (-100) so the
    # per-sequence divisor differs from seq_len.
    first = R.run_eval_segments(m, inputs, pids, 1)[1]["logits"]
    labels[0] = first[0].argmax(-1).to(torch.int32)
    top2 = first[0].topk(2, dim=-1).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    labels[2, :5] = R.IGNORE_LABEL_ID
    batch = {"inputs": inputs, "labels": labels, "puzzle_identifiers": pids}

    opt = R.make_optimizer(m, TRAIN_HP)
    carry = m.initial_carry(batch)
    new_carry, metrics, outputs, lr, plr = R.train_step(m, carry, batch, opt, TRAIN_STEP, TRAIN_HP)

    grads = OrderedDict((k, p.grad.detach().clone()) for k, p in m.named_parameters())
    grads["inner.puzzle_emb.local_grad"] = m.inner.puzzle_emb.local_weights.grad.detach().clone()
    save_npy(d, "train_inputs.npy", inputs)
    save_npy(d, "train_labels.npy", labels)
    save_npy(d, "train_puzzle_ids.npy", pids)
    save_file(R.export_state_dict(m), os.path.join(d, "step1.safetensors"), meta(tcfg_text))
    save_file(grads, os.path.join(d, "step1_grads.safetensors"),
              {"format": FORMAT, "config": tcfg_text,
               "note": "gradients of loss/global_batch_size before the optimizer step; "
                       "inner.puzzle_emb.local_grad is the [B, ndim] gradient of the looked-up rows"})
    info = {
        "description": "One reference training step from the initial carry (all rows halted -> "
                       "reset to H_init/L_init, take the batch), training mode, fp32. Start weights = "
                       "model.safetensors; config = step1.safetensors __metadata__.config "
                       "(halt_exploration_prob = 0).",
        "step": TRAIN_STEP,
        "hparams": asdict(TRAIN_HP),
        "lr": lr, "puzzle_emb_lr": plr,
        "lm_loss": metrics["lm_loss"].item(),
        "q_halt_loss": metrics["q_halt_loss"].item(),
        "q_continue_loss": metrics["q_continue_loss"].item(),
        "loss": metrics["loss"].item(),
        "loss_scaled_for_backward": metrics["loss"].item() / TRAIN_HP.global_batch_size,
        "metrics": {k: metrics[k].item() for k in ("count", "accuracy", "exact_accuracy", "q_halt_accuracy", "steps")},
        "q_halt_logits": outputs["q_halt_logits"].tolist(),
        "q_continue_logits": outputs["q_continue_logits"].tolist(),
        "target_q_continue": outputs["target_q_continue"].tolist(),
        "halted_after": new_carry.halted.tolist(),
        "steps_after": new_carry.steps.tolist(),
        "row0_label_argmax_margin": margin,
        "files": ["train_inputs.npy", "train_labels.npy", "train_puzzle_ids.npy",
                  "step1.safetensors", "step1_grads.safetensors"],
    }
    with open(os.path.join(d, "train_step1.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    return info


def make_fixture(name: str) -> dict:
    cfg, seed, randomize = CONFIGS[name]
    d = os.path.join(OUT_ROOT, name)
    os.makedirs(d, exist_ok=True)
    cfg_text = R.config_to_toml(cfg)
    model = build_model(cfg, seed, randomize)
    model.eval()
    sd = R.export_state_dict(model)

    with open(os.path.join(d, "config.toml"), "w") as f:
        f.write(cfg_text)
    save_file(sd, os.path.join(d, "model.safetensors"), meta(cfg_text))
    if name == "small":
        # Exactly the reference checkpoint format: torch.save(state_dict) of the compiled
        # ACTLossHead, hence the `_orig_mod.model.` prefix (spec 6.1/6.2).
        ref = OrderedDict(("_orig_mod.model." + k, v) for k, v in sd.items())
        torch.save(ref, os.path.join(d, "reference_checkpoint.pt"))

    inputs, pids = make_inputs(cfg, seed)
    save_npy(d, "inputs.npy", inputs)
    save_npy(d, "puzzle_ids.npy", pids)

    runs = {}
    summary = {"name": name, "num_params": model.num_params()}
    for mode in ("fp32", "bf16"):
        model.set_dtype(mode)
        runs[mode] = R.run_eval_segments(model, inputs, pids, SEGMENTS, record=tuple(range(1, SEGMENTS + 1)))
    model.set_dtype("fp32")
    f1, f16 = runs["fp32"][1], runs["fp32"][SEGMENTS]
    save_npy(d, "logits_1.npy", f1["logits"].float())
    save_npy(d, "q_1.npy", qpair(f1))
    # Segment 2 is the first one that starts from a carried (not reset) state, and fp32 drift is
    # still tiny there, so it tests carry propagation with tight tolerances (see drift.json).
    save_npy(d, "logits_2.npy", runs["fp32"][2]["logits"].float())
    save_npy(d, "q_2.npy", qpair(runs["fp32"][2]))
    save_npy(d, "logits_16.npy", f16["logits"].float())
    save_npy(d, "q_16.npy", qpair(f16))
    save_npy(d, "pred_16.npy", f16["logits"].argmax(-1).to(torch.int32))
    b1, b16 = runs["bf16"][1], runs["bf16"][SEGMENTS]
    save_npy(d, "bf16_logits_1.npy", b1["logits"].float())
    save_npy(d, "bf16_logits_2.npy", runs["bf16"][2]["logits"].float())
    save_npy(d, "bf16_logits_16.npy", b16["logits"].float())
    save_npy(d, "bf16_q_16.npy", qpair(b16))

    drift = drift_stats(model, inputs, pids, runs)
    with open(os.path.join(d, "drift.json"), "w") as f:
        json.dump(drift, f, indent=1)
        f.write("\n")
    summary["drift"] = {k: {s: next(r for r in v if r["segment"] == s) for s in (1, 2, 4, 8, SEGMENTS)}
                        for k, v in drift.items() if k != "note"}
    if name == "small":
        summary["train"] = make_train_fixture(name, cfg, model, seed, d)
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(CONFIGS), help=f"subset of {list(CONFIGS)}")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for n in args.names:
        if n not in CONFIGS:
            raise SystemExit(f"unknown fixture {n!r}; choose from {list(CONFIGS)}")
        s = make_fixture(n)
        print(json.dumps(s, default=float))


if __name__ == "__main__":
    main()
