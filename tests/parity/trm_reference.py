"""Clean-room PyTorch re-implementation of TRM and of the plain-transformer baseline.

The *parity oracle* for the SDK's `trm` and `transformer` model plugins
(plugins/models/{trm,transformer} over plugins/models/common). It reuses every layer, the numerics
modes, the losses and the optimizers of hrm_reference.py and adds only what differs:

TRM (SamsungSAILMontreal/TinyRecursiveModels, models/recursive_reasoning/trm.py; the summary in
/work/shared/docs/peers.md 1.1):
  - one network `L_level` (`layers` post-norm blocks) used for both updates:
        n = l_cycles times  z_L = net(z_L, z_H + x);  then  z_H = net(z_H, z_L)
    repeated T = h_cycles times per segment; the first T-1 recursions run without gradient,
    the last one is differentiated completely (n + 1 network calls);
  - token mixer: attention (RoPE), or with `mlp_t` a SwiGLU of width L = S + P applied across
    the sequence axis to each channel, whose post-norm RMSNorm normalises over the sequence
    (the reference transposes [B, L, D] -> [B, D, L] around both); no positions then;
  - `puzzle_emb_len` prefix positions (16 in trm.yaml; 0 = ceil(ndim / D));
  - `no_act_continue` (the default): halting head only. Training halts when q_halt > 0, no
    bootstrap target, no continue loss. The reference still computes a q_continue logit and never
    uses it; this oracle reports q_continue = 0 instead, the SDK's convention (hrm_model.h
    readout), so that "q_halt > q_continue" is TRM's rule.

Transformer baseline (the ARC Prize HRM analysis' "similarly sized transformer"): one stack `net`
of `layers` blocks; a segment is one pass z_H = net(z_H, x), fully differentiated; the carry z_H
(initialised from H_init) persists across segments; HRM's Q-learning ACT.

Public surface: TRMConfig, parse_config, config_to_toml, TRM (same interface as
hrm_reference.HRM, so R.run_eval_segments / R.train_step / R.act_loss drive it).
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

import hrm_reference as R


@dataclass
class TRMConfig:
    arch: str = "trm"            # "trm" | "transformer"
    hidden_size: int = 512
    num_heads: int = 8
    expansion: float = 4.0
    layers: int = 2
    h_cycles: int = 3            # T (trm only)
    l_cycles: int = 6            # n (trm only)
    mlp_t: bool = False          # trm only
    pos_encodings: str = "rope"  # rope | learned | none
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    puzzle_emb_ndim: int = 512
    puzzle_emb_len: int = 16     # trm only (the transformer uses ceil(ndim / D))
    halt_max_steps: int = 16
    halt_exploration_prob: float = 0.1
    no_act_continue: bool = True  # trm only
    vocab_size: int = 11
    seq_len: int = 81
    num_puzzle_identifiers: int = 1

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    @property
    def prefix_len(self) -> int:
        if self.puzzle_emb_ndim <= 0:
            return 0
        if self.arch == "trm" and self.puzzle_emb_len > 0:
            return self.puzzle_emb_len
        return -(self.puzzle_emb_ndim // -self.hidden_size)

    @property
    def total_len(self) -> int:
        return self.seq_len + self.prefix_len

    def swiglu_size(self, h: int) -> int:
        return R._ceil_to_multiple(round(self.expansion * h * 2 / 3), 256)

    @property
    def intermediate_size(self) -> int:
        return self.swiglu_size(self.hidden_size)

    @property
    def mlp_t_size(self) -> int:
        return self.swiglu_size(self.total_len)

    @property
    def q_continue(self) -> bool:
        return not (self.arch == "trm" and self.no_act_continue)


_KEYS = {
    "trm": ("arch", "hidden_size", "num_heads", "expansion", "layers", "h_cycles", "l_cycles", "mlp_t",
            "pos_encodings", "rope_theta", "rms_norm_eps", "puzzle_emb_ndim", "puzzle_emb_len", "halt_max_steps",
            "halt_exploration_prob", "no_act_continue", "vocab_size", "seq_len", "num_puzzle_identifiers"),
    "transformer": ("arch", "hidden_size", "num_heads", "expansion", "layers", "pos_encodings", "rope_theta",
                    "rms_norm_eps", "puzzle_emb_ndim", "halt_max_steps", "halt_exploration_prob", "vocab_size",
                    "seq_len", "num_puzzle_identifiers"),
}


def parse_config(text: str) -> TRMConfig:
    m = tomllib.loads(text)
    m = m.get("model", m)
    arch = m.get("arch", "trm")
    unknown = set(m) - set(_KEYS[arch])
    if unknown:
        raise ValueError(f"unknown [model] keys for {arch}: {sorted(unknown)}")
    cfg = TRMConfig(**m)
    if arch == "transformer":
        cfg.h_cycles, cfg.l_cycles, cfg.mlp_t, cfg.puzzle_emb_len, cfg.no_act_continue = 1, 0, False, 0, False
    return cfg


def config_to_toml(cfg: TRMConfig) -> str:
    """The [model] table with the arch's keys in the SDK's order (reproducible fixtures)."""
    lines = ["[model]"]
    for k in _KEYS[cfg.arch]:
        v = getattr(cfg, k)
        if isinstance(v, bool):
            s = "true" if v else "false"
        elif isinstance(v, str):
            s = f'"{v}"'
        elif isinstance(v, float):
            s = re.sub(r"e([+-]?)0*(\d)", r"e\1\2", repr(v))
        else:
            s = str(int(v))
        lines.append(f"{k} = {s}")
    return "\n".join(lines) + "\n"


class Block(nn.Module):
    """trm.py TinyRecursiveReasoningModel_ACTV1Block: post-norm; attention or the sequence MLP."""

    def __init__(self, num: R.Numerics, cfg: TRMConfig):
        super().__init__()
        self.num, self.eps, self.use_mlp_t = num, cfg.rms_norm_eps, cfg.mlp_t
        if cfg.mlp_t:
            self.mlp_t = R.SwiGLU(num, cfg.total_len, cfg.mlp_t_size)
        else:
            self.self_attn = R.Attention(num, cfg.hidden_size, cfg.num_heads)
        self.mlp = R.SwiGLU(num, cfg.hidden_size, cfg.intermediate_size)

    def forward(self, h: torch.Tensor, cos_sin) -> torch.Tensor:
        n = self.num
        if self.use_mlp_t:
            t = h.transpose(1, 2)                                 # [B, D, L]
            t = R.rms_norm(n.r(t + self.mlp_t(t)), self.eps, n)   # RMSNorm over the sequence axis
            h = t.transpose(1, 2)
        else:
            h = R.rms_norm(n.r(h + self.self_attn(h, cos_sin)), self.eps, n)
        return R.rms_norm(n.r(h + self.mlp(h)), self.eps, n)


class Module(nn.Module):
    """One input-injection add, then the blocks (ReasoningModule)."""

    def __init__(self, num: R.Numerics, cfg: TRMConfig):
        super().__init__()
        self.num = num
        self.layers = nn.ModuleList([Block(num, cfg) for _ in range(cfg.layers)])

    def forward(self, z: torch.Tensor, injection: torch.Tensor, cos_sin) -> torch.Tensor:
        h = self.num.r(z + injection)
        for layer in self.layers:
            h = layer(h, cos_sin)
        return h


class Inner(nn.Module):
    def __init__(self, num: R.Numerics, cfg: TRMConfig):
        super().__init__()
        self.num, self.cfg = num, cfg
        D = cfg.hidden_size
        self.embed_scale = math.sqrt(D)
        embed_std = 1.0 / self.embed_scale
        self.embed_tokens = R.CastedEmbedding(num, cfg.vocab_size, D, init_std=embed_std)
        self.lm_head = R.CastedLinear(num, D, cfg.vocab_size, bias=False)
        self.q_head = R.CastedLinear(num, D, 2, bias=True)
        if cfg.puzzle_emb_ndim > 0:
            self.puzzle_emb = R.SparsePuzzleEmbedding(num, cfg.num_puzzle_identifiers, cfg.puzzle_emb_ndim)
        if cfg.pos_encodings == "rope" and not cfg.mlp_t:
            cos, sin = R.rope_tables(cfg.head_dim, cfg.total_len, cfg.rope_theta)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        elif cfg.pos_encodings == "learned":
            self.embed_pos = R.CastedEmbedding(num, cfg.total_len, D, init_std=embed_std)
        if cfg.arch == "trm":
            self.L_level = Module(num, cfg)
        else:
            self.net = Module(num, cfg)
        self.register_buffer("H_init", R.trunc_normal_init_(torch.empty(D, dtype=torch.bfloat16), std=1.0))
        if cfg.arch == "trm":
            self.register_buffer("L_init", R.trunc_normal_init_(torch.empty(D, dtype=torch.bfloat16), std=1.0))
        with torch.no_grad():
            self.q_head.weight.zero_()
            self.q_head.bias.fill_(-5.0)

    def input_embeddings(self, inputs: torch.Tensor, puzzle_ids: torch.Tensor) -> torch.Tensor:
        cfg, n = self.cfg, self.num
        e = self.embed_tokens(inputs.long())
        if cfg.puzzle_emb_ndim > 0:
            P = cfg.prefix_len
            pe = self.puzzle_emb(puzzle_ids)
            pad = P * cfg.hidden_size - pe.shape[-1]
            if pad > 0:
                pe = F.pad(pe, (0, pad))
            e = torch.cat((pe.view(-1, P, cfg.hidden_size).to(e.dtype), e), dim=-2)
        if cfg.pos_encodings == "learned":
            e = n.r(0.707106781 * n.r(e + n.w(self.embed_pos.embedding_weight)))
        return n.r(self.embed_scale * e)

    def cos_sin(self):
        return (self.rope_cos, self.rope_sin) if hasattr(self, "rope_cos") else None

    def empty_carry(self, batch_size: int):
        shape = (batch_size, self.cfg.total_len, self.cfg.hidden_size)
        return torch.zeros(shape, dtype=self.num.act), torch.zeros(shape, dtype=self.num.act)

    def reset_carry(self, flag: torch.Tensor, carry):
        f = flag.view(-1, 1, 1)
        z_H = torch.where(f, self.H_init.to(self.num.act), carry[0].to(self.num.act))
        if self.cfg.arch != "trm":
            return z_H, carry[1]   # the transformer carries z_H only
        return z_H, torch.where(f, self.L_init.to(self.num.act), carry[1].to(self.num.act))

    def forward(self, carry, inputs: torch.Tensor, puzzle_ids: torch.Tensor):
        cfg, n = self.cfg, self.num
        cs = self.cos_sin()
        x = self.input_embeddings(inputs, puzzle_ids)
        z_H, z_L = carry
        if cfg.arch == "trm":
            net = self.L_level
            with torch.no_grad():   # T-1 recursions without gradient
                for _ in range(cfg.h_cycles - 1):
                    for _ in range(cfg.l_cycles):
                        z_L = net(z_L, n.r(z_H + x), cs)
                    z_H = net(z_H, z_L, cs)
            for _ in range(cfg.l_cycles):   # the last one with full backprop (n + 1 calls)
                z_L = net(z_L, n.r(z_H + x), cs)
            z_H = net(z_H, z_L, cs)
        else:
            z_H = self.net(z_H, x, cs)      # one pass, input injected into the carry
        new_carry = (z_H.detach(), z_L.detach())
        logits = self.lm_head(z_H)[:, cfg.prefix_len:]
        q = self.q_head(z_H[:, 0]).to(n.compute)
        q_cont = q[..., 1] if cfg.q_continue else torch.zeros_like(q[..., 1])
        return new_carry, logits, q[..., 0], q_cont


class TRM(nn.Module):
    """The ACT wrapper (trm.py TinyRecursiveReasoningModel_ACTV1), interface of R.HRM."""

    def __init__(self, cfg: TRMConfig, dtype: str = "fp32"):
        super().__init__()
        self.cfg = cfg
        self.num = R.Numerics(dtype)
        self.inner = Inner(self.num, cfg)

    def set_dtype(self, dtype: str) -> "TRM":
        self.num.set(dtype)
        return self

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def initial_carry(self, batch: Dict[str, torch.Tensor]) -> R.Carry:
        B = batch["inputs"].shape[0]
        z_H, z_L = self.inner.empty_carry(B)
        return R.Carry(z_H=z_H, z_L=z_L, steps=torch.zeros(B, dtype=torch.int32),
                       halted=torch.ones(B, dtype=torch.bool),
                       current_data={k: torch.zeros_like(v) for k, v in batch.items()})

    def forward(self, carry: R.Carry, batch: Dict[str, torch.Tensor],
                generator: Optional[torch.Generator] = None) -> Tuple[R.Carry, Dict[str, torch.Tensor]]:
        cfg = self.cfg
        z_H, z_L = self.inner.reset_carry(carry.halted, (carry.z_H, carry.z_L))
        steps = torch.where(carry.halted, torch.zeros_like(carry.steps), carry.steps)
        data = {}
        for k, v in carry.current_data.items():
            m = carry.halted.view((-1,) + (1,) * (batch[k].ndim - 1))
            data[k] = torch.where(m, batch[k], v)
        (nz_H, nz_L), logits, q_halt, q_cont = self.inner((z_H, z_L), data["inputs"], data["puzzle_identifiers"])
        outputs = {"logits": logits, "q_halt_logits": q_halt, "q_continue_logits": q_cont}
        with torch.no_grad():
            steps = steps + 1
            is_last = steps >= cfg.halt_max_steps
            halted = is_last
            if self.training and cfg.halt_max_steps > 1:
                halted = halted | ((q_halt > q_cont) if cfg.q_continue else (q_halt > 0))
                explore = torch.rand(q_halt.shape, generator=generator) < cfg.halt_exploration_prob
                min_halt = explore.to(torch.int32) * torch.randint(
                    2, cfg.halt_max_steps + 1, steps.shape, generator=generator, dtype=torch.int32)
                halted = halted & (steps >= min_halt)
                if cfg.q_continue:
                    _, _, nq_halt, nq_cont = self.inner((nz_H, nz_L), data["inputs"], data["puzzle_identifiers"])
                    outputs["target_q_continue"] = torch.sigmoid(
                        torch.where(is_last, nq_halt, torch.maximum(nq_halt, nq_cont)))
        return R.Carry(nz_H, nz_L, steps, halted, data), outputs
