"""Self-checks of the PyTorch reference re-implementation (runs in a few seconds).

    /usr/bin/python3 -m unittest discover -s tests/parity -p 'test_*.py' -v

Checks spec facts (/work/shared/docs/hrm-reference.md) that do not need the original code:
parameter count, init distribution, optimizer first step, module call order, losses, schedule,
and that the committed fixtures under tests/data/parity are consistent with this code.
"""
from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hrm_reference as R  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
FIX = os.path.join(REPO, "tests", "data", "parity")
SUDOKU_TOML = os.path.join(HERE, "configs", "hrm-sudoku.toml")


def tiny_cfg(**kw) -> R.HRMConfig:
    base = dict(hidden_size=32, num_heads=2, expansion=2.0, h_layers=1, l_layers=1, h_cycles=2,
                l_cycles=2, puzzle_emb_ndim=32, vocab_size=11, seq_len=9, num_puzzle_identifiers=2)
    base.update(kw)
    return R.HRMConfig(**base)


def load_fixture_model(name: str) -> R.HRM:
    d = os.path.join(FIX, name)
    cfg = R.load_config(os.path.join(d, "config.toml"))
    model = R.HRM(cfg)
    sd, meta = load_file(os.path.join(d, "model.safetensors"))
    model.load_state_dict(sd, strict=True)
    return model


class TestConfigAndSizes(unittest.TestCase):
    def test_param_count_sudoku_27m(self):
        # spec 1.8: 27,275,266 (buffers puzzle_emb.weights / H_init / L_init excluded).
        cfg = R.load_config(SUDOKU_TOML)
        torch.manual_seed(0)
        model = R.HRM(cfg)
        self.assertEqual(model.num_params(), 27_275_266)
        self.assertEqual(cfg.intermediate_size, 1536)
        self.assertEqual(cfg.puzzle_emb_len, 1)
        self.assertEqual(cfg.total_len, 82)
        # Buffers: trained puzzle table and the bf16 init vectors.
        self.assertEqual(model.inner.H_init.dtype, torch.bfloat16)
        self.assertEqual(tuple(model.inner.puzzle_emb.weights.shape), (1, 512))
        self.assertNotIn("inner.puzzle_emb.weights", dict(model.named_parameters()))

    def test_state_dict_key_order(self):
        # spec 6.2: own buffers first, then children in reference order.
        keys = list(R.HRM(tiny_cfg(pos_encodings="learned")).state_dict().keys())
        self.assertEqual(keys[:8], ["inner.H_init", "inner.L_init", "inner.embed_tokens.embedding_weight",
                                    "inner.lm_head.weight", "inner.q_head.weight", "inner.q_head.bias",
                                    "inner.puzzle_emb.weights", "inner.embed_pos.embedding_weight"])
        self.assertEqual(keys[8], "inner.H_level.layers.0.self_attn.qkv_proj.weight")
        self.assertEqual(keys[-1], "inner.L_level.layers.0.mlp.down_proj.weight")

    def test_toml_roundtrip(self):
        cfg = tiny_cfg(pos_encodings="learned", rope_theta=5000.0)
        self.assertEqual(R.parse_config(R.config_to_toml(cfg)), cfg)
        with self.assertRaises(ValueError):
            R.parse_config("[model]\nhiden_size = 3\n")


class TestInit(unittest.TestCase):
    def test_trunc_normal_std_and_bounds(self):
        torch.manual_seed(0)
        for std in (1.0, 0.0441942):
            x = R.trunc_normal_init_(torch.empty(1_000_000), std=std)
            self.assertAlmostEqual(x.std().item() / std, 1.0, delta=0.005)
            self.assertAlmostEqual(x.mean().item() / std, 0.0, delta=0.005)
            comp = std * 1.1368472343385565       # spec 1.2 compensation factor
            self.assertLessEqual(x.abs().max().item(), 2 * comp * (1 + 1e-6))
            self.assertGreater(x.abs().max().item(), 1.9 * comp)
        self.assertEqual(R.trunc_normal_init_(torch.ones(10), std=0).abs().sum().item(), 0.0)

    def test_special_inits(self):
        m = R.HRM(tiny_cfg())
        self.assertEqual(m.inner.q_head.weight.abs().sum().item(), 0.0)
        self.assertTrue(torch.all(m.inner.q_head.bias == -5.0))
        self.assertEqual(m.inner.puzzle_emb.weights.abs().sum().item(), 0.0)
        w = R.HRM(R.load_config(SUDOKU_TOML)).inner.H_level.layers[0].self_attn.qkv_proj.weight
        self.assertAlmostEqual(w.std().item() * math.sqrt(512), 1.0, delta=0.01)   # LeCun std


class TestForward(unittest.TestCase):
    def test_call_order(self):
        # spec 1.5: N=T=2 -> L,L,H,L under no_grad then L,H with grad.
        m = R.HRM(tiny_cfg())
        m.inner.call_trace = []
        R.run_eval_segments(m, torch.randint(1, 11, (2, 9)), torch.zeros(2, dtype=torch.int32), 1)
        self.assertEqual(m.inner.call_trace, list("LLHLLH"))
        # General N, T: N*T-1 L and N-1 H calls under no_grad, then L, H.
        m = R.HRM(tiny_cfg(h_cycles=3, l_cycles=2))
        m.inner.call_trace = []
        R.run_eval_segments(m, torch.randint(1, 11, (2, 9)), torch.zeros(2, dtype=torch.int32), 1)
        self.assertEqual("".join(m.inner.call_trace), "LLH" + "LLH" + "L" + "LH")

    def test_eval_runs_exactly_halt_max_steps(self):
        m = R.HRM(tiny_cfg(halt_max_steps=4)).eval()
        x = torch.randint(1, 11, (3, 9))
        b = {"inputs": x, "labels": x, "puzzle_identifiers": torch.zeros(3, dtype=torch.int32)}
        c = m.initial_carry(b)
        with torch.no_grad():
            m.inner.q_head.bias.copy_(torch.tensor([10.0, -10.0]))   # Q says "halt": eval ignores it
            for s in range(1, 5):
                c, _ = m(c, b)
                self.assertEqual(bool(c.halted.all()), s == 4)
                self.assertTrue(torch.all(c.steps == s))

    def test_training_halting_uses_q(self):
        m = R.HRM(tiny_cfg(halt_exploration_prob=0.0)).train()
        x = torch.randint(1, 11, (2, 9))
        b = {"inputs": x, "labels": x, "puzzle_identifiers": torch.zeros(2, dtype=torch.int32)}
        with torch.no_grad():
            m.inner.q_head.bias.copy_(torch.tensor([1.0, -1.0]))
        c, out = m(m.initial_carry(b), b)
        self.assertTrue(bool(c.halted.all()))
        self.assertIn("target_q_continue", out)

    def test_bf16_mode_rounds_outputs(self):
        m = R.HRM(tiny_cfg(), dtype="bf16")
        o = R.run_eval_segments(m, torch.randint(1, 11, (2, 9)), torch.zeros(2, dtype=torch.int32), 2)[2]
        lg = o["logits"]
        self.assertTrue(torch.equal(lg, lg.to(torch.bfloat16).float()))
        m.set_dtype("fp32")
        o32 = R.run_eval_segments(m, torch.randint(1, 11, (2, 9)), torch.zeros(2, dtype=torch.int32), 1)[1]
        self.assertFalse(torch.equal(o32["logits"], o32["logits"].to(torch.bfloat16).float()))

    def test_rope_half_split(self):
        cos, sin = R.rope_tables(8, 5, 10000.0)
        self.assertTrue(torch.allclose(cos[:, :4], cos[:, 4:]))
        self.assertAlmostEqual(cos[3, 1].item(), math.cos(3 / 10000 ** (2 / 8)), places=6)
        v = torch.arange(8.0)
        self.assertTrue(torch.equal(R._rotate_half(v), torch.tensor([-4., -5, -6, -7, 0, 1, 2, 3])))


class TestLossesAndOptim(unittest.TestCase):
    def test_stablemax(self):
        x = torch.tensor([[[-1.0, 0.0, 2.0]]])
        s = np.array([1 / 2, 1.0, 3.0])
        ce = R.stablemax_cross_entropy(x, torch.tensor([[2]]))
        self.assertEqual(ce.dtype, torch.float64)
        self.assertAlmostEqual(ce.item(), -math.log(3.0 / s.sum()), places=12)
        self.assertEqual(R.stablemax_cross_entropy(x, torch.tensor([[-100]])).item(), 0.0)

    def test_adam_atan2_first_step(self):
        # spec 3.3: t=1 update = lr/0.1 * atan2(0.1 g, |g|) = 0.99669 lr sign(g).
        p = torch.nn.Parameter(torch.zeros(5))
        # (gradients ~1e-20 would make g*g an fp32 denormal and lose precision: not used here)
        p.grad = torch.tensor([3.0, -0.001, 1e-6, -7e4, 0.5])
        lr = 1e-3
        R.AdamATan2([p], lr=lr, betas=(0.9, 0.95), weight_decay=0.0).step()
        expected = -10 * math.atan(0.1) * lr * torch.sign(p.grad)
        self.assertTrue(torch.allclose(p.detach(), expected, rtol=1e-6, atol=0))
        self.assertAlmostEqual(10 * math.atan(0.1), 0.9966865, places=6)

    def test_adam_atan2_decay_and_second_step(self):
        p = torch.nn.Parameter(torch.full((3,), 2.0))
        opt = R.AdamATan2([p], lr=0.1, betas=(0.9, 0.95), weight_decay=0.5)
        g1, g2 = torch.tensor([1.0, -2.0, 0.5]), torch.tensor([-1.0, 1.0, 0.5])
        p.grad = g1.clone(); opt.step()
        p.grad = g2.clone(); opt.step()
        # Float64 re-derivation of the two steps.
        q = torch.full((3,), 2.0, dtype=torch.float64)
        m = torch.zeros(3, dtype=torch.float64); v = torch.zeros(3, dtype=torch.float64)
        for t, g in ((1, g1.double()), (2, g2.double())):
            q = q * (1 - 0.1 * 0.5)
            m = m + 0.1 * (g - m); v = v + 0.05 * (g * g - v)
            q = q - 0.1 / (1 - 0.9 ** t) * torch.atan2(m, v.sqrt() / math.sqrt(1 - 0.95 ** t))
        self.assertTrue(torch.allclose(p.detach().double(), q, rtol=1e-6))

    def test_signsgd_sums_duplicates_and_skips_untouched(self):
        w = torch.ones(3, 2)
        R.sparse_embedding_signsgd_(w, torch.tensor([[1.0, -1.0], [-3.0, 2.0]]), torch.tensor([1, 1]),
                                    lr=0.1, weight_decay=0.5)
        self.assertTrue(torch.equal(w[0], torch.ones(2)))                     # untouched: no decay
        self.assertTrue(torch.allclose(w[1], torch.tensor([0.95 + 0.1, 0.95 - 0.1])))

    def test_lr_schedule(self):
        self.assertAlmostEqual(R.lr_schedule(1, 1e-4, 2000, 26040), 1e-4 / 2000)
        self.assertAlmostEqual(R.lr_schedule(5000, 1e-4, 2000, 26040), 1e-4)
        self.assertAlmostEqual(R.lr_schedule(26040, 1e-4, 2000, 26040, min_ratio=0.1), 1e-5)


class TestSafetensors(unittest.TestCase):
    def test_roundtrip_with_bf16_and_alignment(self):
        t = {"a": torch.randn(3, 4), "b": torch.randn(5).to(torch.bfloat16), "c": torch.arange(3, dtype=torch.int32)}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            save_file(t, p, {"format": "hrm-sdk/1", "config": "[model]\n"})
            with open(p, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
            self.assertEqual((8 + n) % 8, 0)
            back, meta = load_file(p)
        self.assertEqual(meta["config"], "[model]\n")
        for k in t:
            self.assertEqual(back[k].dtype, t[k].dtype)
            self.assertTrue(torch.equal(back[k], t[k]))


@unittest.skipUnless(os.path.isdir(os.path.join(FIX, "small")), "fixtures not generated")
class TestFixtures(unittest.TestCase):
    def test_small_logits_1_reproduce(self):
        m = load_fixture_model("small")
        d = os.path.join(FIX, "small")
        x = torch.from_numpy(np.load(os.path.join(d, "inputs.npy")))
        pid = torch.from_numpy(np.load(os.path.join(d, "puzzle_ids.npy")))
        o = R.run_eval_segments(m, x, pid, 1)[1]
        np.testing.assert_allclose(o["logits"].numpy(), np.load(os.path.join(d, "logits_1.npy")), atol=2e-5)
        q = np.load(os.path.join(d, "q_1.npy"))
        np.testing.assert_allclose(torch.stack([o["q_halt_logits"], o["q_continue_logits"]], -1).numpy(), q, atol=2e-5)

    def test_safetensors_layout_and_checkpoint(self):
        d = os.path.join(FIX, "small")
        sd, meta = load_file(os.path.join(d, "model.safetensors"))
        self.assertEqual(meta["format"], "hrm-sdk/1")
        with open(os.path.join(d, "config.toml")) as f:
            self.assertEqual(meta["config"], f.read())
        self.assertEqual(sd["inner.H_init"].dtype, torch.bfloat16)
        self.assertEqual(sd["inner.embed_tokens.embedding_weight"].dtype, torch.float32)
        ck = torch.load(os.path.join(d, "reference_checkpoint.pt"), map_location="cpu")
        self.assertEqual(list(ck.keys()), ["_orig_mod.model." + k for k in sd])
        for k, v in R.strip_reference_prefix(ck).items():
            self.assertEqual(v.dtype, sd[k].dtype)
            self.assertTrue(torch.equal(v, sd[k]), k)

    def test_small_train_step_reproduces(self):
        d = os.path.join(FIX, "small")
        with open(os.path.join(d, "train_step1.json")) as f:
            info = json.load(f)
        after, meta = load_file(os.path.join(d, "step1.safetensors"))
        m = load_fixture_model("small")
        tcfg = R.parse_config(meta["config"])
        self.assertEqual(tcfg.halt_exploration_prob, 0.0)
        m.cfg = tcfg; m.inner.cfg = tcfg
        hp = R.TrainHParams(**info["hparams"])
        b = {k: torch.from_numpy(np.load(os.path.join(d, f"train_{f}.npy")))
             for k, f in (("inputs", "inputs"), ("labels", "labels"), ("puzzle_identifiers", "puzzle_ids"))}
        opt = R.make_optimizer(m, hp)
        _, metrics, _, lr, _ = R.train_step(m, m.initial_carry(b), b, opt, info["step"], hp)
        self.assertAlmostEqual(lr, info["lr"])
        for k in ("lm_loss", "q_halt_loss", "q_continue_loss"):
            self.assertAlmostEqual(metrics[k].item(), info[k], delta=1e-5 * max(1.0, abs(info[k])))
        now = R.export_state_dict(m)
        for k, v in after.items():
            # Elements whose gradient is ~0 may flip the update sign under a different BLAS;
            # compare with an absolute tolerance of 2.5 lr (one full sign flip ~ 2 lr).
            self.assertTrue(torch.allclose(now[k].float(), v.float(), atol=2.5 * lr, rtol=0), k)
            frac = (now[k].float() - v.float()).abs().gt(1e-6).float().mean().item()
            self.assertLess(frac, 0.01, k)


if __name__ == "__main__":
    unittest.main()
