"""Clean-room PyTorch re-implementation of the reference HRM (sapientinc/HRM, hrm_act_v1).

This is the *parity oracle* for the C++ SDK. It follows /work/shared/docs/hrm-reference.md
("spec" below) section by section; comments cite the spec section that justifies each choice.
It runs on CPU only, needs no flash-attn, and has three numeric modes (`dtype=`):

  "fp32"        reference mode: every tensor and op in fp32 (H_init/L_init keep their bf16
                values, exactly representable in fp32). This is what the C++ fp32 path is
                compared against.
  "bf16"        bf16 *emulation* at exactly the rounding points of spec 1.7: all math runs in
                fp32 but the output of every op that the reference stores in bf16 is rounded to
                bf16 (round-to-nearest-even). Weights are cast fp32->bf16 per use, matmuls take
                bf16 inputs, accumulate in fp32 and round the output once, RMSNorm/RoPE compute
                in fp32 and round, attention (flash-attn in the reference) computes scores,
                softmax and P@V in fp32 and rounds its output once. Element-wise ops round after
                every op (eager PyTorch semantics; torch.compile fusion may skip some of these,
                spec 1.7 notes the reference is not bit-exactly defined). This mode is
                deterministic and platform independent, so the C++ bf16 path can emulate it.
  "bf16_native" real torch.bfloat16 activations (what the reference does on GPU, executed by
                PyTorch's CPU kernels). Only meant for throughput baselines (bench_torch.py);
                its rounding depends on PyTorch's CPU kernels.
  "fp64"        diagnostic only: everything in float64 (weights are upcast per use). Used by
                make_fixtures.py to measure how much fp32 itself drifts from exact arithmetic,
                i.e. how ill-conditioned a fixture is, so C++ tolerances can be justified.

Public surface:
  HRMConfig / load_config / parse_config / config_to_toml   TOML model config ([model] table)
  HRM                     the ACT model; `HRM.inner` holds all tensors with reference key names
  trunc_normal_init_      spec 1.2
  stablemax_cross_entropy, softmax_cross_entropy, act_loss   spec 2.3
  AdamATan2, sparse_embedding_signsgd_, lr_schedule           spec 3.3, 3.5, 3.4
  train_step              one reference training step (spec 2.2 training branch + 3.x)
  run_eval_segments       fixed-length eval rollout (spec 2.2 eval branch, 5.1)
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

IGNORE_LABEL_ID = -100  # spec 2.3
DTYPE_MODES = ("fp32", "bf16", "bf16_native", "fp64")


# --------------------------------------------------------------------------------------------
# Configuration (the SDK's model config schema: a [model] table in TOML)
# --------------------------------------------------------------------------------------------
@dataclass
class HRMConfig:
    arch: str = "hrm"
    hidden_size: int = 512
    num_heads: int = 8
    expansion: float = 4.0
    h_layers: int = 4
    l_layers: int = 4
    h_cycles: int = 2
    l_cycles: int = 2
    pos_encodings: str = "rope"          # "rope" | "learned"   (spec 1.1)
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    puzzle_emb_ndim: int = 512           # 0 disables the puzzle embedding
    halt_max_steps: int = 16
    halt_exploration_prob: float = 0.1
    vocab_size: int = 11
    seq_len: int = 81
    num_puzzle_identifiers: int = 1

    # ---- derived sizes (spec 1.1) ----
    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    @property
    def puzzle_emb_len(self) -> int:
        # P = ceil(puzzle_emb_ndim / hidden_size); 0 when the puzzle embedding is disabled.
        return -(self.puzzle_emb_ndim // -self.hidden_size)

    @property
    def total_len(self) -> int:
        return self.seq_len + self.puzzle_emb_len

    @property
    def intermediate_size(self) -> int:
        # SwiGLU width: round(expansion * D * 2/3) rounded *up* to a multiple of 256 (spec 1.1).
        # Python's round() is banker's rounding, as in the reference.
        return _ceil_to_multiple(round(self.expansion * self.hidden_size * 2 / 3), 256)


_CONFIG_ORDER = [f.name for f in fields(HRMConfig)]


def _ceil_to_multiple(a: int, b: int) -> int:
    return -(a // -b) * b


def parse_config(text: str) -> HRMConfig:
    """Parse the SDK TOML config text; unknown keys are rejected so typos do not pass silently."""
    data = tomllib.loads(text)
    m = data.get("model", data)
    unknown = set(m) - set(_CONFIG_ORDER)
    if unknown:
        raise ValueError(f"unknown [model] keys: {sorted(unknown)}")
    cfg = HRMConfig(**m)
    if cfg.arch != "hrm":
        raise ValueError(f"arch must be 'hrm', got {cfg.arch!r}")
    if cfg.pos_encodings not in ("rope", "learned"):
        raise ValueError(f"pos_encodings must be rope|learned, got {cfg.pos_encodings!r}")
    if cfg.hidden_size % cfg.num_heads:
        raise ValueError("hidden_size must be divisible by num_heads")
    cfg.expansion = float(cfg.expansion)
    cfg.rope_theta = float(cfg.rope_theta)
    cfg.rms_norm_eps = float(cfg.rms_norm_eps)
    cfg.halt_exploration_prob = float(cfg.halt_exploration_prob)
    return cfg


def load_config(path: str) -> HRMConfig:
    with open(path, "r", encoding="utf-8") as f:
        return parse_config(f.read())


def config_to_toml(cfg: HRMConfig) -> str:
    """Serialize in a fixed key order (fixtures must be byte-for-byte reproducible)."""
    lines = ["[model]"]
    for k in _CONFIG_ORDER:
        v = getattr(cfg, k)
        if isinstance(v, str):
            s = f'"{v}"'
        elif isinstance(v, float):
            # Shortest round-trip repr ("0.1", "10000.0", "1e-05"), with the exponent's leading
            # zeros dropped ("1e-5") so that minimal TOML readers parse it too.
            s = re.sub(r"e([+-]?)0*(\d)", r"e\1\2", repr(v))
        else:
            s = str(int(v))
        lines.append(f"{k} = {s}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Numerics: where values are rounded to bf16 (spec 1.7)
# --------------------------------------------------------------------------------------------
class Numerics:
    """Shared, mutable numeric policy; every module holds a reference to the same instance."""

    def __init__(self, mode: str = "fp32"):
        self.set(mode)

    def set(self, mode: str) -> None:
        if mode not in DTYPE_MODES:
            raise ValueError(f"dtype must be one of {DTYPE_MODES}, got {mode!r}")
        self.mode = mode
        # Storage dtype of activations / carry, and dtype of the "fp32" computations
        # (RMSNorm, RoPE, attention softmax, q logits).
        self.act = {"bf16_native": torch.bfloat16, "fp64": torch.float64}.get(mode, torch.float32)
        self.compute = torch.float64 if mode == "fp64" else torch.float32

    def r(self, x: torch.Tensor) -> torch.Tensor:
        """Round the output of an op that the reference stores in bf16."""
        if self.mode == "bf16":
            return x.to(torch.bfloat16).to(torch.float32)
        return x  # fp32: no rounding; bf16_native: the op already produced bf16

    def w(self, p: torch.Tensor) -> torch.Tensor:
        """Per-use cast of an fp32 master weight to the forward dtype (spec 1.4.1)."""
        if self.mode == "fp32":
            return p
        if self.mode == "bf16":
            return p.to(torch.bfloat16).to(torch.float32)
        if self.mode == "fp64":
            return p.double()
        return p.to(torch.bfloat16)

    def store(self, x32: torch.Tensor) -> torch.Tensor:
        """Store an fp32-computed result (RMSNorm, RoPE, attention) in activation precision."""
        if self.mode == "bf16":
            return x32.to(torch.bfloat16).to(torch.float32)
        return x32.to(self.act)


# --------------------------------------------------------------------------------------------
# Initialization (spec 1.2)
# --------------------------------------------------------------------------------------------
def trunc_normal_init_(tensor: torch.Tensor, std: float = 1.0, lower: float = -2.0,
                       upper: float = 2.0) -> torch.Tensor:
    """JAX-style truncated normal whose *actual* std equals `std` (truncation at +-2 sigma).

    Draw u ~ U(erf(lower/sqrt2), erf(upper/sqrt2)), map through erfinv*sqrt2 (inverse CDF),
    scale by the compensated std so the truncated distribution has std `std`, then clip to
    guard against erfinv rounding at the interval ends. The values are drawn in fp32 and then
    rounded to the tensor dtype (the reference draws bf16 buffers directly in bf16; only the
    distribution can be matched anyway, spec 1.2).
    """
    with torch.no_grad():
        if std == 0:
            return tensor.zero_()
        sqrt2 = math.sqrt(2.0)
        a = math.erf(lower / sqrt2)
        b = math.erf(upper / sqrt2)
        z = (b - a) / 2
        c = (2 * math.pi) ** -0.5
        pdf_u = c * math.exp(-0.5 * lower ** 2)
        pdf_l = c * math.exp(-0.5 * upper ** 2)
        comp_std = std / math.sqrt(1 - (upper * pdf_u - lower * pdf_l) / z - ((pdf_u - pdf_l) / z) ** 2)
        x = torch.empty(tensor.shape, dtype=torch.float32).uniform_(a, b)
        x.erfinv_().mul_(sqrt2 * comp_std).clip_(lower * comp_std, upper * comp_std)
        tensor.copy_(x.to(tensor.dtype))
    return tensor


# --------------------------------------------------------------------------------------------
# Layers (spec 1.4)
# --------------------------------------------------------------------------------------------
class CastedLinear(nn.Module):
    """y = x W^T (+ b); W stored fp32 [out, in], LeCun truncated-normal init (spec 1.2, 1.4.1)."""

    def __init__(self, num: Numerics, in_features: int, out_features: int, bias: bool):
        super().__init__()
        self.num = num
        self.weight = nn.Parameter(trunc_normal_init_(torch.empty(out_features, in_features),
                                                      std=1.0 / math.sqrt(in_features)))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.num
        b = n.w(self.bias) if self.bias is not None else None
        # bf16 inputs, fp32 accumulation, one rounding of the output (spec 1.7 "matmuls").
        return n.r(F.linear(x, n.w(self.weight), b))


class CastedEmbedding(nn.Module):
    def __init__(self, num: Numerics, num_embeddings: int, dim: int, init_std: float):
        super().__init__()
        self.num = num
        self.embedding_weight = nn.Parameter(trunc_normal_init_(torch.empty(num_embeddings, dim), std=init_std))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # The table is cast to bf16 *before* the lookup (spec 1.3), so looked-up rows are bf16.
        return F.embedding(ids, self.num.w(self.embedding_weight))


class SparsePuzzleEmbedding(nn.Module):
    """`CastedSparseEmbedding` (spec 3.5): the table is a persistent *buffer* (not a parameter,
    so it is excluded from num_params and from AdamATan2), trained by SignSGD through a
    per-batch leaf tensor `local_weights` that receives the gradient."""

    def __init__(self, num: Numerics, num_embeddings: int, dim: int):
        super().__init__()
        self.num = num
        self.register_buffer("weights", torch.zeros(num_embeddings, dim), persistent=True)  # init_std=0
        self.local_weights: Optional[torch.Tensor] = None
        self.local_ids: Optional[torch.Tensor] = None

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self.num.w(self.weights[ids.long()])
        if not torch.is_grad_enabled():
            # No-grad pass in training mode (the target-Q forward): same values, and the leaf
            # of the differentiated pass must be kept for the optimizer.
            return self.num.w(self.weights[ids.long()])
        # Training: a fresh leaf holding copies of the touched rows; its .grad feeds SignSGD.
        # (The reference copies into a persistent leaf buffer `local_weights`; values and
        # gradients are identical.)
        self.local_weights = self.weights[ids.long()].detach().clone().requires_grad_(True)
        self.local_ids = ids.detach().clone()
        return self.num.w(self.local_weights)

    def reset_local(self) -> None:
        self.local_weights = None
        self.local_ids = None


def rms_norm(x: torch.Tensor, eps: float, num: Numerics) -> torch.Tensor:
    """Parameter-free RMSNorm computed in fp32, stored in activation precision (spec 1.4.2)."""
    x32 = x.to(num.compute)
    y = x32 * torch.rsqrt(x32.square().mean(-1, keepdim=True) + eps)
    return num.store(y)


def rope_tables(head_dim: int, length: int, theta: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Half-split (GPT-NeoX) RoPE tables [length, head_dim] in fp32 (spec 1.4.3)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    t = torch.arange(length, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    """Non-causal MHA without mask (spec 1.4.4). qkv rows: Q heads, then K heads, then V heads."""

    def __init__(self, num: Numerics, hidden: int, num_heads: int):
        super().__init__()
        self.num = num
        self.num_heads = num_heads
        self.head_dim = hidden // num_heads
        self.qkv_proj = CastedLinear(num, hidden, 3 * num_heads * self.head_dim, bias=False)
        self.o_proj = CastedLinear(num, num_heads * self.head_dim, hidden, bias=False)

    def forward(self, x: torch.Tensor, cos_sin: Optional[Tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        B, L, _ = x.shape
        H, D = self.num_heads, self.head_dim
        qkv = self.qkv_proj(x).view(B, L, 3 * H, D)
        q, k, v = qkv[:, :, :H], qkv[:, :, H:2 * H], qkv[:, :, 2 * H:]
        if cos_sin is not None:
            # RoPE in fp32 on all head dims, result stored bf16 (spec 1.4.3 / 1.7).
            cos, sin = cos_sin
            cos, sin = cos[:L].unsqueeze(-2), sin[:L].unsqueeze(-2)   # broadcast over heads
            cdt = self.num.compute
            cos, sin = cos.to(cdt), sin.to(cdt)
            q32, k32 = q.to(cdt), k.to(cdt)
            q = self.num.store(q32 * cos + _rotate_half(q32) * sin)
            k = self.num.store(k32 * cos + _rotate_half(k32) * sin)
        # [B, L, H, D] -> [B, H, L, D] (the transposes #54 forgot, spec 7).
        q, k, v = (t.transpose(1, 2).to(self.num.compute) for t in (q, k, v))
        # flash-attn semantics: fp32 scores/softmax/accumulation, scale 1/sqrt(D), output
        # rounded once to the forward dtype.
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(D))
        o = torch.matmul(torch.softmax(scores, dim=-1), v)
        o = self.num.store(o).transpose(1, 2).reshape(B, L, H * D)   # head-major features h*D+d
        return self.o_proj(o)


class SwiGLU(nn.Module):
    """gate/up from one fused projection (torch.chunk order: gate first), spec 1.4.5."""

    def __init__(self, num: Numerics, hidden: int, inter: int):
        super().__init__()
        self.num = num
        self.gate_up_proj = CastedLinear(num, hidden, 2 * inter, bias=False)
        self.down_proj = CastedLinear(num, inter, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        return self.down_proj(self.num.r(self.num.r(F.silu(gate)) * up))


class Block(nn.Module):
    """Post-norm transformer block (spec 1.4.6)."""

    def __init__(self, num: Numerics, cfg: HRMConfig):
        super().__init__()
        self.num = num
        self.eps = cfg.rms_norm_eps
        self.self_attn = Attention(num, cfg.hidden_size, cfg.num_heads)
        self.mlp = SwiGLU(num, cfg.hidden_size, cfg.intermediate_size)

    def forward(self, h: torch.Tensor, cos_sin) -> torch.Tensor:
        h = rms_norm(self.num.r(h + self.self_attn(h, cos_sin)), self.eps, self.num)
        h = rms_norm(self.num.r(h + self.mlp(h)), self.eps, self.num)
        return h


class ReasoningModule(nn.Module):
    """H_level / L_level: one input-injection add, then the blocks (spec 1.4.7)."""

    def __init__(self, num: Numerics, cfg: HRMConfig, n_layers: int):
        super().__init__()
        self.num = num
        self.layers = nn.ModuleList([Block(num, cfg) for _ in range(n_layers)])

    def forward(self, z: torch.Tensor, injection: torch.Tensor, cos_sin) -> torch.Tensor:
        h = self.num.r(z + injection)
        for layer in self.layers:
            h = layer(h, cos_sin)
        return h


# --------------------------------------------------------------------------------------------
# Inner model: one ACT segment (spec 1.3, 1.5, 1.6)
# --------------------------------------------------------------------------------------------
class HRMInner(nn.Module):
    def __init__(self, num: Numerics, cfg: HRMConfig):
        super().__init__()
        self.num = num
        self.cfg = cfg
        D = cfg.hidden_size
        self.embed_scale = math.sqrt(D)
        embed_std = 1.0 / self.embed_scale

        # Construction order = reference order (keeps the RNG stream and state-dict order alike).
        self.embed_tokens = CastedEmbedding(num, cfg.vocab_size, D, init_std=embed_std)
        self.lm_head = CastedLinear(num, D, cfg.vocab_size, bias=False)
        self.q_head = CastedLinear(num, D, 2, bias=True)
        if cfg.puzzle_emb_ndim > 0:
            self.puzzle_emb = SparsePuzzleEmbedding(num, cfg.num_puzzle_identifiers, cfg.puzzle_emb_ndim)
        if cfg.pos_encodings == "rope":
            cos, sin = rope_tables(cfg.head_dim, cfg.total_len, cfg.rope_theta)
            # Non-persistent: not part of checkpoints (spec 6.2).
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        else:
            self.embed_pos = CastedEmbedding(num, cfg.total_len, D, init_std=embed_std)
        self.H_level = ReasoningModule(num, cfg, cfg.h_layers)
        self.L_level = ReasoningModule(num, cfg, cfg.l_layers)
        # Initial states: bf16 persistent buffers, trunc normal std 1, never trained (spec 1.2).
        self.register_buffer("H_init", trunc_normal_init_(torch.empty(D, dtype=torch.bfloat16), std=1.0))
        self.register_buffer("L_init", trunc_normal_init_(torch.empty(D, dtype=torch.bfloat16), std=1.0))
        # Q head: zero weights, bias -5 so the model starts "continue"-leaning (spec 1.2).
        with torch.no_grad():
            self.q_head.weight.zero_()
            self.q_head.bias.fill_(-5.0)
        # Optional call trace ("L"/"H" per module call) used by tests of the update order.
        self.call_trace: Optional[List[str]] = None

    # ---- spec 1.3 ----
    def input_embeddings(self, inputs: torch.Tensor, puzzle_ids: torch.Tensor) -> torch.Tensor:
        cfg, n = self.cfg, self.num
        e = self.embed_tokens(inputs.long())
        if cfg.puzzle_emb_ndim > 0:
            pe = self.puzzle_emb(puzzle_ids)
            pad = cfg.puzzle_emb_len * cfg.hidden_size - pe.shape[-1]
            if pad > 0:
                pe = F.pad(pe, (0, pad))
            # Puzzle token(s) FIRST: position 0 is the puzzle token.
            e = torch.cat((pe.view(-1, cfg.puzzle_emb_len, cfg.hidden_size).to(e.dtype), e), dim=-2)
        if cfg.pos_encodings == "learned":
            # 1/sqrt(2) keeps the forward variance; the constant is the reference's literal.
            e = n.r(0.707106781 * n.r(e + n.w(self.embed_pos.embedding_weight)))
        return n.r(self.embed_scale * e)

    def cos_sin(self):
        return (self.rope_cos, self.rope_sin) if self.cfg.pos_encodings == "rope" else None

    # ---- spec 1.6 ----
    def empty_carry(self, batch_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
        # The reference uses torch.empty; zeros keep runs deterministic (always reset first).
        shape = (batch_size, self.cfg.total_len, self.cfg.hidden_size)
        return torch.zeros(shape, dtype=self.num.act), torch.zeros(shape, dtype=self.num.act)

    def reset_carry(self, flag: torch.Tensor, carry: Tuple[torch.Tensor, torch.Tensor]):
        f = flag.view(-1, 1, 1)
        z_H = torch.where(f, self.H_init.to(self.num.act), carry[0].to(self.num.act))
        z_L = torch.where(f, self.L_init.to(self.num.act), carry[1].to(self.num.act))
        return z_H, z_L

    def _L(self, z_L, inj, cs):
        if self.call_trace is not None:
            self.call_trace.append("L")
        return self.L_level(z_L, inj, cs)

    def _H(self, z_H, z_L, cs):
        if self.call_trace is not None:
            self.call_trace.append("H")
        return self.H_level(z_H, z_L, cs)

    # ---- spec 1.5 ----
    def forward(self, carry: Tuple[torch.Tensor, torch.Tensor], inputs: torch.Tensor,
                puzzle_ids: torch.Tensor):
        cfg, n = self.cfg, self.num
        cs = self.cos_sin()
        x = self.input_embeddings(inputs, puzzle_ids)  # with grad
        z_H, z_L = carry
        N, T = cfg.h_cycles, cfg.l_cycles
        with torch.no_grad():
            for i in range(N):
                for j in range(T):
                    if not (i == N - 1 and j == T - 1):
                        # injection (z_H + x) is formed (and rounded) first, then z_L + inj.
                        z_L = self._L(z_L, n.r(z_H + x), cs)
                if i != N - 1:
                    z_H = self._H(z_H, z_L, cs)
        # 1-step gradient: only the final L and H calls are differentiated.
        z_L = self._L(z_L, n.r(z_H + x), cs)
        z_H = self._H(z_H, z_L, cs)
        new_carry = (z_H.detach(), z_L.detach())
        P = cfg.puzzle_emb_len
        logits = self.lm_head(z_H)[:, P:]
        q = self.q_head(z_H[:, 0]).to(n.compute)   # Q head reads position 0 (puzzle token)
        return new_carry, logits, q[..., 0], q[..., 1]


# --------------------------------------------------------------------------------------------
# ACT wrapper (spec 2.1, 2.2)
# --------------------------------------------------------------------------------------------
@dataclass
class Carry:
    z_H: torch.Tensor
    z_L: torch.Tensor
    steps: torch.Tensor                 # int32 [B]
    halted: torch.Tensor                # bool  [B]
    current_data: Dict[str, torch.Tensor] = field(default_factory=dict)


class HRM(nn.Module):
    def __init__(self, cfg: HRMConfig, dtype: str = "fp32"):
        super().__init__()
        self.cfg = cfg
        self.num = Numerics(dtype)
        self.inner = HRMInner(self.num, cfg)

    # numeric mode switch (shared by all submodules)
    def set_dtype(self, dtype: str) -> "HRM":
        self.num.set(dtype)
        return self

    @property
    def dtype_mode(self) -> str:
        return self.num.mode

    def num_params(self) -> int:
        # spec 1.8: parameters only; puzzle_emb.weights, H_init, L_init are buffers.
        return sum(p.numel() for p in self.parameters())

    def initial_carry(self, batch: Dict[str, torch.Tensor]) -> Carry:
        B = batch["inputs"].shape[0]
        z_H, z_L = self.inner.empty_carry(B)
        return Carry(z_H=z_H, z_L=z_L,
                     steps=torch.zeros(B, dtype=torch.int32),
                     halted=torch.ones(B, dtype=torch.bool),     # everything starts halted
                     current_data={k: torch.zeros_like(v) for k, v in batch.items()})

    def forward(self, carry: Carry, batch: Dict[str, torch.Tensor],
                generator: Optional[torch.Generator] = None) -> Tuple[Carry, Dict[str, torch.Tensor]]:
        cfg = self.cfg
        z_H, z_L = self.inner.reset_carry(carry.halted, (carry.z_H, carry.z_L))
        steps = torch.where(carry.halted, torch.zeros_like(carry.steps), carry.steps)
        # Only halted rows take the new batch's data (spec 2.2).
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
                halted = halted | (q_halt > q_cont)
                # Exploration: w.p. p force a minimum of U{2..M} segments (spec 2.2).
                explore = torch.rand(q_halt.shape, generator=generator) < cfg.halt_exploration_prob
                min_halt = explore.to(torch.int32) * torch.randint(
                    2, cfg.halt_max_steps + 1, steps.shape, generator=generator, dtype=torch.int32)
                halted = halted & (steps >= min_halt)
                # Bootstrap target: a second full inner forward on the new carry, same data.
                _, _, nq_halt, nq_cont = self.inner((nz_H, nz_L), data["inputs"], data["puzzle_identifiers"])
                outputs["target_q_continue"] = torch.sigmoid(
                    torch.where(is_last, nq_halt, torch.maximum(nq_halt, nq_cont)))
        return Carry(nz_H, nz_L, steps, halted, data), outputs


@torch.no_grad()
def run_eval_segments(model: HRM, inputs: torch.Tensor, puzzle_ids: torch.Tensor,
                      n_segments: int, record: Tuple[int, ...] = ()) -> Dict[int, Dict[str, torch.Tensor]]:
    """Eval rollout from the initial carry (spec 2.2 eval branch / 5.1): returns the outputs
    after each 1-based segment index listed in `record` (and after the last one)."""
    was_training = model.training
    model.eval()
    batch = {"inputs": inputs, "labels": torch.zeros_like(inputs), "puzzle_identifiers": puzzle_ids}
    carry = model.initial_carry(batch)
    out: Dict[int, Dict[str, torch.Tensor]] = {}
    for s in range(1, n_segments + 1):
        carry, o = model(carry, batch)
        if s in record or s == n_segments:
            out[s] = {k: v.detach().to(model.num.compute).clone() for k, v in o.items()}
            out[s]["halted"] = carry.halted.clone()
    model.train(was_training)
    return out


# --------------------------------------------------------------------------------------------
# Losses (spec 2.3)
# --------------------------------------------------------------------------------------------
def _stablemax_s(x: torch.Tensor, epsilon: float = 1e-30) -> torch.Tensor:
    return torch.where(x < 0, 1 / (1 - x + epsilon), x + 1)


def log_stablemax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    s = _stablemax_s(x)
    return torch.log(s / torch.sum(s, dim=dim, keepdim=True))


def stablemax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor,
                            ignore_index: int = IGNORE_LABEL_ID) -> torch.Tensor:
    """Per-token stablemax CE in float64 (spec 2.3); 0 at ignored tokens."""
    logp = log_stablemax(logits.to(torch.float64), dim=-1)
    valid = labels != ignore_index
    safe = torch.where(valid, labels, torch.zeros_like(labels)).long()
    picked = torch.gather(logp, -1, safe.unsqueeze(-1)).squeeze(-1)
    return -torch.where(valid, picked, torch.zeros_like(picked))


def softmax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor,
                          ignore_index: int = IGNORE_LABEL_ID) -> torch.Tensor:
    """Per-token softmax CE in fp32 (spec 2.3); 0 at ignored tokens."""
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.long().reshape(-1),
                           ignore_index=ignore_index, reduction="none").view(labels.shape)


LOSS_FNS = {"stablemax_cross_entropy": stablemax_cross_entropy,
            "softmax_cross_entropy": softmax_cross_entropy}


def act_loss(carry: Carry, outputs: Dict[str, torch.Tensor], loss_type: str = "stablemax_cross_entropy"):
    """ACTLossHead (spec 2.3/2.4). Returns (total loss, metrics dict). Labels come from the
    carry's current data (rows that did not halt keep their old example)."""
    labels = carry.current_data["labels"]
    logits = outputs["logits"]
    with torch.no_grad():
        mask = labels != IGNORE_LABEL_ID
        counts = mask.sum(-1)
        divisor = counts.clamp_min(1).unsqueeze(-1)
        is_correct = mask & (torch.argmax(logits, dim=-1) == labels)
        seq_is_correct = is_correct.sum(-1) == counts
        valid = carry.halted & (counts > 0)
        metrics = {
            "count": valid.sum(),
            "accuracy": torch.where(valid, (is_correct.float() / divisor).sum(-1), torch.zeros(())).sum(),
            "exact_accuracy": (valid & seq_is_correct).sum(),
            "q_halt_accuracy": (valid & ((outputs["q_halt_logits"] >= 0) == seq_is_correct)).sum(),
            "steps": torch.where(valid, carry.steps, torch.zeros_like(carry.steps)).sum(),
        }
    lm_loss = (LOSS_FNS[loss_type](logits, labels) / divisor).sum()
    q_halt_loss = F.binary_cross_entropy_with_logits(
        outputs["q_halt_logits"], seq_is_correct.to(outputs["q_halt_logits"].dtype), reduction="sum")
    q_cont_loss = torch.zeros((), dtype=torch.float32)
    if "target_q_continue" in outputs:
        q_cont_loss = F.binary_cross_entropy_with_logits(
            outputs["q_continue_logits"], outputs["target_q_continue"], reduction="sum")
    metrics.update(lm_loss=lm_loss.detach(), q_halt_loss=q_halt_loss.detach(),
                   q_continue_loss=q_cont_loss.detach())
    return lm_loss + 0.5 * (q_halt_loss + q_cont_loss), metrics


# --------------------------------------------------------------------------------------------
# Optimizers and schedule (spec 3.3, 3.4, 3.5)
# --------------------------------------------------------------------------------------------
def _f32(x: float) -> float:
    """Round a Python float (double) to the nearest fp32 value."""
    return float(torch.tensor(x, dtype=torch.float32))


def _lerp_fma(v0: torch.Tensor, v1: torch.Tensor, t: float) -> torch.Tensor:
    """fp32 lerp exactly as the adam-atan2 kernel: fma(t, v1, fma(-t, v0, v0)).

    Each fma is evaluated in float64 and rounded once to fp32. Products of two fp32 numbers are
    exact in float64, and the sum is rounded once to 53 bits and then to 24; that double rounding
    differs from a true fma only in rare ties, far below any parity tolerance.
    """
    d0, d1 = v0.double(), v1.double()
    inner = (d0 - t * d0).float().double()
    return (t * d1 + inner).float()


class AdamATan2(torch.optim.Optimizer):
    """imoneoi/adam-atan2 semantics (spec 3.3): decoupled lr-scaled decay first, bias
    correction of m *outside* atan2, no eps, no a/b constants; fp32 state, float32 step."""

    def __init__(self, params, lr: float = 1e-4, betas=(0.9, 0.95), weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

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
                    st["step"] = torch.zeros((), dtype=torch.float32)
                    st["exp_avg"] = torch.zeros_like(p)
                    st["exp_avg_sq"] = torch.zeros_like(p)
                st["step"] += 1                      # incremented before the update
                t = float(st["step"])
                # Bias corrections computed in double, used as fp32.
                bc1 = _f32(1.0 - beta1 ** t)
                bc2_sqrt = _f32(math.sqrt(_f32(1.0 - beta2 ** t)))
                g = p.grad.float()
                p.mul_(_f32(1.0 - lr * wd))          # decoupled decay, applied first
                st["exp_avg"].copy_(_lerp_fma(st["exp_avg"], g, _f32(1.0 - beta1)))
                st["exp_avg_sq"].copy_(_lerp_fma(st["exp_avg_sq"], g * g, _f32(1.0 - beta2)))
                denom = st["exp_avg_sq"].sqrt() / bc2_sqrt
                step_size = _f32(lr / bc1)
                p.sub_(step_size * torch.atan2(st["exp_avg"], denom))


@torch.no_grad()
def sparse_embedding_signsgd_(weights: torch.Tensor, local_grad: torch.Tensor, local_ids: torch.Tensor,
                              lr: float, weight_decay: float) -> None:
    """CastedSparseEmbeddingSignSGD (spec 3.5), single process: sum duplicate-id gradients,
    then for the touched rows only w = w*(1 - lr*wd) - lr*sign(G)."""
    uniq, inv = local_ids.long().unique(return_inverse=True)
    D = local_grad.shape[-1]
    G = torch.zeros(uniq.shape[0], D, dtype=local_grad.dtype)
    G.scatter_add_(0, inv.unsqueeze(-1).expand(-1, D), local_grad)
    p = weights[uniq]
    p.mul_(1.0 - lr * weight_decay).add_(torch.sign(G), alpha=-lr)
    weights[uniq] = p


def lr_schedule(step: int, base_lr: float, warmup_steps: int, total_steps: int,
                min_ratio: float = 1.0) -> float:
    """cosine_schedule_with_warmup_lr_lambda (spec 3.4). The first step uses step=1."""
    if step < warmup_steps:
        return base_lr * float(step) / float(max(1, warmup_steps))
    progress = float(step - warmup_steps) / float(max(1, total_steps - warmup_steps))
    return base_lr * (min_ratio + max(0.0, (1 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))))


@dataclass
class TrainHParams:
    lr: float = 1e-4
    puzzle_emb_lr: float = 1e-4
    weight_decay: float = 1.0
    puzzle_emb_weight_decay: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.95
    warmup_steps: int = 2000
    total_steps: int = 26040
    lr_min_ratio: float = 1.0
    global_batch_size: int = 768
    loss_type: str = "stablemax_cross_entropy"


def make_optimizer(model: HRM, hp: TrainHParams) -> AdamATan2:
    return AdamATan2(model.parameters(), lr=0.0, betas=(hp.beta1, hp.beta2), weight_decay=hp.weight_decay)


def train_step(model: HRM, carry: Carry, batch: Dict[str, torch.Tensor], opt: AdamATan2,
               step: int, hp: TrainHParams, generator: Optional[torch.Generator] = None):
    """One reference training step (pretrain.py train_batch, spec 3.1): forward one ACT segment
    in training mode (incl. the target-Q pass), loss / global_batch_size, backward, then
    AdamATan2 on all parameters and SignSGD on the puzzle-embedding rows, both with the
    scheduled lr for `step` (1-based). Returns (new carry, metrics, lr, puzzle_lr)."""
    model.train()
    inner = model.inner
    if hasattr(inner, "puzzle_emb"):
        inner.puzzle_emb.reset_local()
    new_carry, outputs = model(carry, batch, generator=generator)
    loss, metrics = act_loss(new_carry, outputs, hp.loss_type)
    opt.zero_grad(set_to_none=True)
    (loss / hp.global_batch_size).backward()

    lr = lr_schedule(step, hp.lr, hp.warmup_steps, hp.total_steps, hp.lr_min_ratio)
    plr = lr_schedule(step, hp.puzzle_emb_lr, hp.warmup_steps, hp.total_steps, hp.lr_min_ratio)
    if hasattr(inner, "puzzle_emb") and inner.puzzle_emb.local_weights is not None \
            and inner.puzzle_emb.local_weights.grad is not None:
        sparse_embedding_signsgd_(inner.puzzle_emb.weights, inner.puzzle_emb.local_weights.grad,
                                  inner.puzzle_emb.local_ids, plr, hp.puzzle_emb_weight_decay)
    for g in opt.param_groups:
        g["lr"] = lr
    opt.step()
    metrics["loss"] = loss.detach()
    return new_carry, metrics, outputs, lr, plr


# --------------------------------------------------------------------------------------------
# Checkpoint helpers (spec 6.2)
# --------------------------------------------------------------------------------------------
def strip_reference_prefix(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """`_orig_mod.model.inner.X` / `model.inner.X` -> `inner.X`."""
    out = {}
    for k, v in state_dict.items():
        for pre in ("_orig_mod.", "model."):
            if k.startswith(pre):
                k = k[len(pre):]
        out[k] = v
    return out


def export_state_dict(model: HRM) -> Dict[str, torch.Tensor]:
    """Bare keys in reference order (H_init, L_init, embed_tokens, lm_head, q_head, puzzle_emb,
    embed_pos, H_level..., L_level...): fp32 weights, bf16 H_init/L_init."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
