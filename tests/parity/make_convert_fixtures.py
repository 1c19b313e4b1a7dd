"""Reference-layout checkpoint folders for `hrm convert` (tests/models/test_convert.cpp).

Regenerate (from the repository root, a few seconds):

    /usr/bin/python3 tests/parity/make_convert_fixtures.py            # all
    /usr/bin/python3 tests/parity/make_convert_fixtures.py trm_mlp    # one

What the reference training scripts (sapientinc/HRM and SamsungSAILMontreal/TinyRecursiveModels
pretrain.py) leave behind, written with this repository's PyTorch re-implementations
(hrm_reference.py, trm_reference.py) as the model:

  tests/data/convert/<name>/
    checkpoints/<project>/<run>/step_<N>      torch.save(state_dict) of the compiled ACTLossHead:
                                              keys "_orig_mod.model." + the model's keys
    checkpoints/<project>/<run>/all_config.yaml
                                              yaml.dump of the training config (pyyaml, sorted keys);
                                              its `arch` table uses the reference's key names
    data/<dataset>/train/dataset.json         only where data_path names a dataset that exists
    inputs.npy [B,S] I32, puzzle_ids.npy [B]  an evaluation rollout of the reference model:
    logits_K.npy [B,S,V], q_K.npy [B,2]       fp32 outputs after K = 1 and 4 segments

Fixtures (all random weights, hidden 32, 4x4-Sudoku-sized sequences of 16):
  hrm_heads4  HRM with 4 heads (the weights cannot tell the head count), forward_dtype float32
              (H_init/L_init stored as F32 values that bf16 cannot represent), 3 puzzle ids; the
              dataset.json its data_path names gives seq_len.
  hrm_nopuzzle HRM without a puzzle embedding (puzzle_emb_ndim 0), learned positions: the weights
              give seq_len, nothing needs to be passed; its rollout uses puzzle ids 0, 5, 2, which
              the reference ignores.
  trm_mlp     TRM with mlp_t and pos_encodings "rope" (trm.py builds RoPE tables it never uses),
              num_heads 3, which does not divide hidden_size (unused with mlp_t); no dataset; the
              sequence MLP's weights determine seq_len.
  trm_att     TRM with attention and RoPE, bf16 H_init/L_init, data_paths naming a dataset that is
              not there: only seq_len must be given.
  arc         ARC end to end: an HRM ARC config (vocab 12, seq_len 900, hidden 32, one puzzle row per
              augmented puzzle) trained on a dataset built the way the reference ARC builder
              builds it (re-implemented below from hrm-reference.md 4.4, seed 42, 3 augmentations,
              from the task folders in arc/arc-data: tests/data/arc/arc-agi-1 with the test
              outputs of its two evaluation tasks replaced by the reference model's answers
              ranked 1 and 2, so that pass@1 and pass@2 differ), its reference rollout on the
              test split, and the reference's voting (spec 5.2): expected.json holds pass@k and
              the submission. The dataset folder holds identifiers.json and */dataset.json (what
              `hrm convert` and `hrm dataset build arc --identifiers` read).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import sys
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import torch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hrm_reference as R  # noqa: E402
import trm_reference as T  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_ROOT = os.path.join(REPO, "tests", "data", "convert")
BATCH = 3
RECORD = (1, 4)

# The training-config fields around `arch` (pretrain.py PretrainConfig), as model_dump writes them.
_HRM_TRAIN = dict(beta1=0.9, beta2=0.95, checkpoint_every_eval=False, epochs=20000, eval_interval=2000,
                  eval_save_outputs=[], global_batch_size=768, lr=0.0001, lr_min_ratio=1.0, lr_warmup_steps=2000,
                  puzzle_emb_lr=0.0001, puzzle_emb_weight_decay=1.0, seed=0, weight_decay=1.0)
_TRM_TRAIN = dict(_HRM_TRAIN, data_paths_test=[], ema=True, ema_rate=0.999, evaluators=[], freeze_weights=False,
                  load_checkpoint=None, min_eval_interval=0)


def hrm_arch(cfg: R.HRMConfig, forward_dtype: str) -> dict:
    return {"name": "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1",
            "loss": {"name": "losses@ACTLossHead", "loss_type": "stablemax_cross_entropy"},
            "H_cycles": cfg.h_cycles, "L_cycles": cfg.l_cycles, "H_layers": cfg.h_layers, "L_layers": cfg.l_layers,
            "hidden_size": cfg.hidden_size, "num_heads": cfg.num_heads, "expansion": cfg.expansion,
            "puzzle_emb_ndim": cfg.puzzle_emb_ndim, "pos_encodings": cfg.pos_encodings,
            "halt_max_steps": cfg.halt_max_steps, "halt_exploration_prob": cfg.halt_exploration_prob,
            "forward_dtype": forward_dtype}


def trm_arch(cfg: T.TRMConfig, pos_encodings: str, forward_dtype: str) -> dict:
    return {"name": "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1",
            "loss": {"name": "losses@ACTLossHead", "loss_type": "stablemax_cross_entropy"},
            "H_cycles": cfg.h_cycles, "L_cycles": cfg.l_cycles, "H_layers": 0, "L_layers": cfg.layers,
            "hidden_size": cfg.hidden_size, "num_heads": cfg.num_heads, "expansion": cfg.expansion,
            "puzzle_emb_ndim": cfg.puzzle_emb_ndim, "pos_encodings": pos_encodings,
            "halt_max_steps": cfg.halt_max_steps, "halt_exploration_prob": cfg.halt_exploration_prob,
            "forward_dtype": forward_dtype, "mlp_t": cfg.mlp_t, "puzzle_emb_len": cfg.puzzle_emb_len,
            "no_ACT_continue": cfg.no_act_continue}


_HRM = R.HRMConfig(hidden_size=32, num_heads=4, expansion=2.0, h_layers=1, l_layers=2, h_cycles=2, l_cycles=2,
                   pos_encodings="rope", puzzle_emb_ndim=32, halt_max_steps=4, halt_exploration_prob=0.1,
                   vocab_size=7, seq_len=16, num_puzzle_identifiers=3)
_HRM_NOPUZZLE = replace(_HRM, num_heads=2, puzzle_emb_ndim=0, pos_encodings="learned", num_puzzle_identifiers=1)
_TRM = T.TRMConfig(arch="trm", hidden_size=32, num_heads=3, expansion=2.0, layers=2, h_cycles=2, l_cycles=2,
                   mlp_t=True, pos_encodings="rope", puzzle_emb_ndim=32, puzzle_emb_len=2, halt_max_steps=4,
                   halt_exploration_prob=0.1, no_act_continue=True, vocab_size=7, seq_len=16,
                   num_puzzle_identifiers=3)
_TRM_ATT = replace(_TRM, mlp_t=False, num_heads=2, l_cycles=3)

# name: (kind, oracle config, seed, forward_dtype, all_config.yaml `arch` table, data key, dataset written?)
CONFIGS = OrderedDict([
    ("hrm_heads4", ("hrm", _HRM, 3001, "float32", hrm_arch(_HRM, "float32"), "data_path", True)),
    ("hrm_nopuzzle", ("hrm", _HRM_NOPUZZLE, 3004, "bfloat16", hrm_arch(_HRM_NOPUZZLE, "bfloat16"), "data_path", False)),
    ("trm_mlp", ("trm", _TRM, 3002, "bfloat16", trm_arch(_TRM, "rope", "bfloat16"), "data_paths", False)),
    ("trm_att", ("trm", _TRM_ATT, 3003, "bfloat16", trm_arch(_TRM_ATT, "rope", "bfloat16"), "data_paths", False)),
])


def save_npy(d: str, name: str, arr) -> None:
    if isinstance(arr, torch.Tensor):
        arr = arr.detach().cpu().numpy()
    np.save(os.path.join(d, name), np.ascontiguousarray(arr))


def build(kind: str, cfg, seed: int, forward_dtype: str):
    torch.manual_seed(seed)
    model = R.HRM(cfg, dtype="fp32") if kind == "hrm" else T.TRM(cfg)
    g = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        D = cfg.hidden_size
        if cfg.puzzle_emb_ndim > 0:
            pe = model.inner.puzzle_emb.weights
            pe.copy_(torch.randn(pe.shape, generator=g).clamp_(-2, 2) / np.sqrt(cfg.puzzle_emb_ndim))
        model.inner.q_head.weight.copy_(torch.randn(2, D, generator=g).clamp_(-2, 2) / np.sqrt(D))
        model.inner.q_head.bias.copy_(torch.tensor([-0.5, -0.5]) + 0.5 * torch.randn(2, generator=g))
        if forward_dtype == "float32":
            # The reference creates the initial states in forward_dtype: float32 values that a
            # bf16 rounding would change (the low mantissa bits are set).
            for name in ("H_init", "L_init"):
                v = (torch.randn(D, generator=g).clamp_(-2, 2) + 1e-3).float()
                assert (v.to(torch.bfloat16).float() != v).all()
                setattr(model.inner, name, v)
    return model


def make_fixture(name: str) -> dict:
    kind, cfg, seed, forward_dtype, arch, data_key, with_data = CONFIGS[name]
    d = os.path.join(OUT_ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    project, run, step = f"{name}-project", f"{kind.upper()} {name} run", 2000
    run_dir = os.path.join(d, "checkpoints", project, run)
    os.makedirs(run_dir)
    model = build(kind, cfg, seed, forward_dtype)
    model.eval()
    sd = OrderedDict(("_orig_mod.model." + k, v.detach().clone()) for k, v in model.state_dict().items())
    torch.save(sd, os.path.join(run_dir, f"step_{step}"))

    dataset = f"data/{name}-dataset"
    config = dict(_HRM_TRAIN if kind == "hrm" else _TRM_TRAIN)
    config.update(arch=arch, project_name=project, run_name=run, checkpoint_path=f"checkpoints/{project}/{run}")
    config[data_key] = dataset if data_key == "data_path" else [dataset]
    with open(os.path.join(run_dir, "all_config.yaml"), "w") as f:
        yaml.dump(config, f)   # what pretrain.py does
    if with_data:
        os.makedirs(os.path.join(d, dataset, "train"))
        meta = {"pad_id": 0, "ignore_label_id": 0, "blank_identifier_id": 0,
                "vocab_size": cfg.vocab_size, "seq_len": cfg.seq_len,
                "num_puzzle_identifiers": cfg.num_puzzle_identifiers, "total_groups": 10,
                "mean_puzzle_examples": 1.0, "sets": ["all"]}
        with open(os.path.join(d, dataset, "train", "dataset.json"), "w") as f:
            json.dump(meta, f)

    g = torch.Generator().manual_seed(seed + 13)
    inputs = torch.randint(1, cfg.vocab_size, (BATCH, cfg.seq_len), generator=g, dtype=torch.int64).to(torch.int32)
    # Without a puzzle embedding the reference ignores the ids, whatever they are.
    pids = torch.tensor([1, 0, 2] if cfg.puzzle_emb_ndim > 0 else [0, 5, 2], dtype=torch.int32)
    save_npy(d, "inputs.npy", inputs)
    save_npy(d, "puzzle_ids.npy", pids)
    runs = R.run_eval_segments(model, inputs, pids, max(RECORD), record=RECORD)
    for k in RECORD:
        save_npy(d, f"logits_{k}.npy", runs[k]["logits"].float())
        save_npy(d, f"q_{k}.npy", torch.stack([runs[k]["q_halt_logits"], runs[k]["q_continue_logits"]], -1).float())
    return {"name": name, "tensors": len(sd)}


# ---- ARC: the reference builder's identifier scheme and the reference evaluation -------------

ARC_SRC = os.path.join(REPO, "tests", "data", "arc", "arc-agi-1")
ARC_AUG = 3
ARC_STEPS = 2   # halt_max_steps: the reference evaluates every row for all of them


def dihedral(g: np.ndarray, tid: int) -> np.ndarray:
    # hrm-reference.md 4.4 (dataset/common.py ids)
    return [lambda x: x, lambda x: np.rot90(x, 1), lambda x: np.rot90(x, 2), lambda x: np.rot90(x, 3),
            np.fliplr, np.flipud, lambda x: x.T, lambda x: np.fliplr(np.rot90(x, 1))][tid](g)


def inverse_dihedral(g: np.ndarray, tid: int) -> np.ndarray:
    return dihedral(g, [0, 3, 2, 1, 4, 5, 6, 7][tid])


def grid_hash(g: np.ndarray) -> str:
    return hashlib.sha256(bytes([g.shape[0], g.shape[1]]) + np.ascontiguousarray(g, dtype=np.uint8).tobytes()).hexdigest()


def puzzle_hash(by_dest: dict) -> str:
    hashes = sorted(f"{grid_hash(i)}|{grid_hash(o)}" for ex in by_dest.values() for i, o in ex)
    return hashlib.sha256("|".join(hashes).encode()).hexdigest()


def reference_arc_build(root: str, num_aug: int, seed: int = 42):
    """The reference builder's puzzles and identifiers (spec 4.4): per sub-folder (os.scandir order;
    sorted here), the shuffled tasks; per task the original, then up to 5 * num_aug draws of
    (dihedral id, colour permutation) kept when the augmented task is new; evaluation tasks send
    their test pairs to the test split. Identifiers: first appearance over the splits, then groups,
    then puzzles. Returns (identifiers, {split: [group = [(name, [(inp, out)])]]})."""
    np.random.seed(seed)
    data = {"train": [], "test": []}
    for sub in sorted(os.listdir(root)):
        path = os.path.join(root, sub)
        if not os.path.isdir(path):
            continue
        puzzles = []
        for fn in sorted(glob.glob(os.path.join(path, "*.json"))):
            with open(fn) as f:
                puzzles.append((os.path.splitext(os.path.basename(fn))[0], json.load(f)))
        np.random.shuffle(puzzles)
        for name, raw in puzzles:
            dest_of = {"train": "train", "test": "test" if sub == "evaluation" else "train"}
            conv = {d: [] for d in sorted(set(dest_of.values()))}
            for kind, examples in raw.items():
                if kind in dest_of:
                    conv[dest_of[kind]] += [(np.array(e["input"], dtype=np.uint8), np.array(e["output"], dtype=np.uint8))
                                            for e in examples]
            group = [(name, conv)]
            hashes = {puzzle_hash(conv)}
            for _ in range(5 * num_aug):
                tid = np.random.randint(0, 8)
                mapping = np.concatenate([np.arange(0, 1, dtype=np.uint8), np.random.permutation(np.arange(1, 10, dtype=np.uint8))])
                aug = {d: [(dihedral(mapping[i], tid), dihedral(mapping[o], tid)) for i, o in ex] for d, ex in conv.items()}
                h = puzzle_hash(aug)
                if h not in hashes:
                    hashes.add(h)
                    group.append((f"{name}_t{tid}_{''.join(str(x) for x in mapping)}", aug))
                if len(group) >= num_aug + 1:
                    break
            for d in conv:
                data[d].append([(n, c[d]) for n, c in group])
    ids = {}
    for split in ("train", "test"):
        for group in data[split]:
            for n, _ in group:
                ids.setdefault(n, len(ids) + 1)
    return ["<blank>"] + sorted(ids, key=ids.get), data


def encode(g: np.ndarray) -> np.ndarray:
    # 30x30 canvas at (0, 0) (test split): PAD 0, EOS 1, colour c -> c + 2 (spec 4.4)
    out = np.zeros((30, 30), dtype=np.int32)
    h, w = g.shape
    out[:h, :w] = g.astype(np.int32) + 2
    if h < 30:
        out[h, :w] = 1
    if w < 30:
        out[:h, w] = 1
    return out.reshape(-1)


def crop(tokens: np.ndarray) -> np.ndarray:
    # arc_eval.ipynb: the largest-area top-left rectangle of colour tokens, rows scanned in order
    # with the column bound shrinking at each row's first non-colour token.
    g = tokens.reshape(30, 30)
    best, size, cols = 0, (0, 0), 30
    for r in range(1, 31):
        for c in range(1, cols + 1):
            x = g[r - 1, c - 1]
            if x < 2 or x > 11:
                cols = c - 1
                break
        if r * cols > best:
            best, size = r * cols, (r, cols)
    return (g[:size[0], :size[1]] - 2).astype(np.uint8)


def reference_vote(names, inputs, labels, pids, preds, q_halt, ks=(1, 2, 10)):
    """Spec 5.2 stages 2-4 and the scoring: ground truth from the un-augmented rows, every row's
    prediction de-augmented and grouped by (task, input), answers ranked by [votes, mean
    sigmoid(q_halt)] (stable: ties in order of first appearance), a task solved at k when every
    test output is in its top k."""
    truth = {}   # task -> [(input hash, label grid)] in row order
    for r in range(len(pids)):
        name = names[pids[r]]
        if "_" not in name:
            truth.setdefault(name, []).append((grid_hash(crop(inputs[r])), crop(labels[r])))
    votes = {}   # (task, input hash) -> {answer hash: [count, q sum, grid]}
    for r in range(len(pids)):
        name = names[pids[r]]
        task = name.split("_")[0]
        inp, pred = crop(inputs[r]), crop(preds[r])
        if "_" in name:
            tid, perm = name.split("_")[1:]
            inv = np.argsort(list(perm)).astype(np.uint8)
            inp, pred = inv[inverse_dihedral(inp, int(tid[1:]))], inv[inverse_dihedral(pred, int(tid[1:]))]
        entry = votes.setdefault((task, grid_hash(inp)), {}).setdefault(grid_hash(pred), [0, 0.0, pred])
        entry[0] += 1
        entry[1] += 1 / (1 + np.exp(-float(q_halt[r])))
    ranked = {key: [v[2] for v in sorted(m.values(), key=lambda v: (v[0], v[1] / v[0]), reverse=True)]
              for key, m in votes.items()}
    passed = {k: 0 for k in ks}
    submission = {}
    for task, tests in truth.items():
        submission[task] = []
        for k in ks:
            passed[k] += all(any(grid_hash(a) == grid_hash(lab) for a in ranked[(task, h)][:k]) for h, lab in tests)
        for h, _ in tests:
            att = ranked[(task, h)] + [np.zeros((1, 1), dtype=np.uint8)] * 2
            submission[task].append({"attempt_1": att[0].tolist(), "attempt_2": att[1].tolist()})
    return {f"pass@{k}": passed[k] / len(truth) for k in ks}, submission, ranked, truth


def arc_model(n_ids: int, seed: int):
    cfg = R.HRMConfig(hidden_size=32, num_heads=2, expansion=2.0, h_layers=1, l_layers=1, h_cycles=1, l_cycles=1,
                      pos_encodings="rope", puzzle_emb_ndim=32, halt_max_steps=ARC_STEPS, halt_exploration_prob=0.1,
                      vocab_size=12, seq_len=900, num_puzzle_identifiers=n_ids)
    model = build("hrm", cfg, seed, "bfloat16")
    with torch.no_grad():
        # Tokens dominate the states (else every cell predicts the same token); PAD never wins
        # (logit 0 against ten random colours), EOS sometimes: answers of varied sizes.
        model.inner.embed_tokens.embedding_weight.mul_(4.0)
        model.inner.H_init.mul_(0.1)
        model.inner.L_init.mul_(0.1)
        model.inner.lm_head.weight[0].zero_()
        model.inner.lm_head.weight[1].mul_(2.5)
        model.inner.q_head.weight.mul_(8.0)   # q_halt spread over the rows (the vote's tie-break)
    model.eval()
    return cfg, model


def arc_rollout(model, names, data):
    rows = [(names.index(n), i, o) for group in data["test"] for n, ex in group for i, o in ex]
    inputs = np.stack([encode(i) for _, i, _ in rows])
    labels = np.stack([encode(o) for _, _, o in rows])
    pids = np.array([p for p, _, _ in rows], dtype=np.int32)
    out = R.run_eval_segments(model, torch.from_numpy(inputs), torch.from_numpy(pids), ARC_STEPS)[ARC_STEPS]
    logits = out["logits"].float().numpy()
    top2 = np.sort(logits, axis=-1)[..., -2:]
    gap = float((top2[..., 1] - top2[..., 0]).min() / np.abs(logits).max())
    return inputs, labels, pids, logits.argmax(-1), out["q_halt_logits"].float().numpy(), gap


def make_arc(name: str = "arc") -> dict:
    d = os.path.join(OUT_ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    src = os.path.join(d, "arc-data")
    shutil.copytree(ARC_SRC, src)
    names, data = reference_arc_build(src, ARC_AUG)
    # Seeds until the fixture is well-posed for an fp32 comparison: every answer has a grid at the
    # origin (half of them smaller than the canvas), the argmax of every cell wins by a margin of
    # 2e-5 of the largest logit (20x the fp32 difference measured between this oracle and the SDK),
    # and the q values of the rows differ.
    for seed in range(4000, 4100):
        cfg, model = arc_model(len(names), seed)
        inputs, labels, pids, preds, q, gap = arc_rollout(model, names, data)
        qs = np.sort(1 / (1 + np.exp(-q)))
        varied = sum(crop(p).shape != (30, 30) for p in preds) >= len(preds) // 2
        if gap > 2e-5 and varied and all(crop(p).size for p in preds) and np.diff(qs).min() > 1e-4:
            break
    else:
        raise SystemExit("no well-posed ARC fixture seed")
    # The evaluation tasks' test outputs become the reference model's answers ranked 1 (first task)
    # and 2 (second), so pass@1 = 0.5 and pass@2 = 1; then everything is rebuilt from the files.
    _, _, ranked, truth = reference_vote(names, inputs, labels, pids, preds, q)
    for rank, task in enumerate(sorted(truth)):
        fn = os.path.join(src, "evaluation", task + ".json")
        with open(fn) as f:
            raw = json.load(f)
        for j, (h, _) in enumerate(truth[task]):
            raw["test"][j]["output"] = ranked[(task, h)][min(rank, len(ranked[(task, h)]) - 1)].tolist()
        with open(fn, "w") as f:
            json.dump(raw, f)
    names2, data = reference_arc_build(src, ARC_AUG)
    assert names2 == names, "the new outputs changed the augmentations"
    inputs, labels, pids, preds2, q2, _ = arc_rollout(model, names, data)
    assert (preds2 == preds).all() and np.allclose(q2, q)
    scores, submission, _, _ = reference_vote(names, inputs, labels, pids, preds, q)

    project, run, step = "Arc-aug-3 ACT-torch", "HierarchicalReasoningModel_ACTV1 random-weights", 100
    run_dir = os.path.join(d, "checkpoints", project, run)
    os.makedirs(run_dir)
    sd = OrderedDict(("_orig_mod.model." + k, v.detach().clone()) for k, v in model.state_dict().items())
    torch.save(sd, os.path.join(run_dir, f"step_{step}"))
    config = dict(_HRM_TRAIN, arch=hrm_arch(cfg, "bfloat16"), data_path="data/arc-aug-3", project_name=project,
                  run_name=run, checkpoint_path=f"checkpoints/{project}/{run}")
    with open(os.path.join(run_dir, "all_config.yaml"), "w") as f:
        yaml.dump(config, f)
    ds = os.path.join(d, "data", "arc-aug-3")
    for split in ("train", "test"):
        os.makedirs(os.path.join(ds, split))
        n_puz = sum(len(g) for g in data[split])
        n_ex = sum(len(ex) for g in data[split] for _, ex in g)
        with open(os.path.join(ds, split, "dataset.json"), "w") as f:
            json.dump({"seq_len": 900, "vocab_size": 12, "pad_id": 0, "ignore_label_id": 0, "blank_identifier_id": 0,
                       "num_puzzle_identifiers": len(names), "total_groups": len(data[split]),
                       "mean_puzzle_examples": n_ex / n_puz, "sets": ["all"]}, f)
    with open(os.path.join(ds, "identifiers.json"), "w") as f:
        json.dump(names, f)
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"scores": scores, "submission": submission, "halt_max_steps": ARC_STEPS, "seed": seed}, f)
        f.write("\n")
    return {"name": name, "identifiers": len(names), "test_rows": len(pids), "seed": seed, **scores}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(CONFIGS) + ["arc"], help=f"subset of {list(CONFIGS) + ['arc']}")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for n in args.names:
        if n == "arc":
            print(json.dumps(make_arc()))
            continue
        if n not in CONFIGS:
            raise SystemExit(f"unknown fixture {n!r}; choose from {list(CONFIGS) + ['arc']}")
        print(json.dumps(make_fixture(n)))


if __name__ == "__main__":
    main()
