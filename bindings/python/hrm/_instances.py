"""Instances of plugin classes: Encoder (a task), Model (with ModelState) and Policy.

Ownership: every object owns one C handle and frees it in close() (also called by `with` and by
the garbage collector). An instance used by a session or a model state is only marked closed by
close(); the C object is freed when the last user lets go, so Python can never free memory that C
code still uses. Any use after close() raises hrm.ClosedError.
"""
from __future__ import annotations

import ctypes
import enum
import threading
from collections import namedtuple
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union
from ctypes import byref, c_double, c_int32, c_size_t, c_uint64, c_void_p

from . import _abi, _lib, _tensor, _toml
from ._errors import ClosedError, InvalidArgumentError, UnsupportedError


class Kind(enum.IntEnum):
    MODEL = _abi.HRM_KIND_MODEL
    ENCODER = _abi.HRM_KIND_ENCODER
    POLICY = _abi.HRM_KIND_POLICY


class Level(enum.IntEnum):
    L = _abi.HRM_LEVEL_L   # the fast, low-level module
    H = _abi.HRM_LEVEL_H   # the slow, high-level module


class Precision(enum.IntEnum):
    FP32 = _abi.HRM_PRECISION_FP32
    BF16 = _abi.HRM_PRECISION_BF16
    INT8 = _abi.HRM_PRECISION_INT8   # inference only: int8 linears (docs/kernels.md)


class Caps(enum.IntFlag):
    SOLVE = _abi.HRM_ENCODER_CAN_SOLVE
    GENERATE = _abi.HRM_ENCODER_CAN_GENERATE
    AUGMENT = _abi.HRM_ENCODER_CAN_AUGMENT
    RENDER = _abi.HRM_ENCODER_CAN_RENDER
    MASK = _abi.HRM_ENCODER_CAN_MASK


class RenderFormat(enum.IntEnum):
    TEXT = _abi.HRM_RENDER_TEXT
    ANSI = _abi.HRM_RENDER_ANSI
    SVG = _abi.HRM_RENDER_SVG


EncoderSpec = namedtuple("EncoderSpec", "caps seq_len vocab_size pad_id ignore_label_id num_puzzle_identifiers "
                                        "num_augmentations")
ModelSpec = namedtuple("ModelSpec", "default_precision seq_len prefix_len vocab_size hidden_size "
                                    "num_puzzle_identifiers h_cycles l_cycles halt_max_steps n_params "
                                    "flops_per_segment config")
PolicySpec = namedtuple("PolicySpec", "needs min_segments max_segments n_starts start_noise")
SolveStats = namedtuple("SolveStats", "solutions rating")
Encoded = namedtuple("Encoded", "tokens labels puzzle_id")
EncodedBatch = namedtuple("EncodedBatch", "tokens labels has_labels puzzle_ids")
Readout = namedtuple("Readout", "logits predictions q")


# Instance text: str, or bytes (returned as bytes where the input was bytes). Tensors ("Any" below)
# are NumPy arrays when NumPy is installed, else nested lists.
Text = Union[str, bytes]


def precision_of(value):
    """A Precision from None (the model's default: returns None), an int or "fp32"/"bf16"/"int8"."""
    if value is None:
        return None
    return _lib.choice(Precision, value, "precision")


# ---- Bytes in and out ---------------------------------------------------------------------------
def as_bytes(value, name="instance"):
    """Instance text as UTF-8 bytes (str is encoded; bytes-like objects are taken as they are)."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError("%s must be str or bytes, not %s" % (name, type(value).__name__))


def blob_of(data):
    """An hrm_blob borrowing `data` (bytes): the caller keeps data alive while the blob is used."""
    return _abi.Blob(ctypes.cast(ctypes.c_char_p(data), c_void_p), len(data))


def take_blob(blob):
    """Copy a host-allocated blob that a plugin returned into a str and free it."""
    try:
        return ctypes.string_at(blob.data, blob.size).decode("utf-8") if blob.data else ""
    finally:
        _lib.lib().hrm_free(blob.data)


# ---- Instances ----------------------------------------------------------------------------------
class Instance(_lib.Closing):
    """An instance of a plugin class (base of Encoder, Model and Policy)."""

    _kind = None   # set by subclasses
    _open_attr = "_handle"

    def __init__(self, handle, keepalive, vtable_getter):
        self._handle = handle
        # The runtime's log callback: plugins may log until their last instance is freed, after
        # the runtime itself is gone (docs/c-api.md, "Lifetimes").
        self._keepalive = keepalive
        self._users = 0
        self._closed = False
        self._lock = threading.Lock()
        self._vtable = vtable_getter(handle)
        desc = self._vtable.contents.desc.contents
        self.id = desc.id.decode("utf-8")
        self.name = desc.name.decode("utf-8")

    # -- lifetime ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the instance. Deferred while a session or model state still uses it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            free_now = self._users == 0
        if free_now:
            self._free()

    def _free(self):
        handle, self._handle, self._vtable = self._handle, None, None
        if handle:
            _lib.lib().hrm_instance_free(handle)

    def _acquire(self):
        """Called by a user (session, model state) that needs the C object to stay alive."""
        with self._lock:
            if self._closed:
                raise ClosedError("%s %r is closed" % (self._kind, self.name))
            self._users += 1

    def _release(self):
        with self._lock:
            self._users -= 1
            free_now = self._closed and self._users == 0
        if free_now:
            self._free()

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self):
        return "<hrm.%s %r%s>" % (type(self).__name__, self.name, " closed" if self._closed else "")

    # -- helpers for subclasses -------------------------------------------------------------------
    def _vt(self):
        """The vtable as (struct, pointer) for calling slots; raises ClosedError after close()."""
        vt = self._vtable
        if self._closed or vt is None:
            raise ClosedError("%s %r is closed" % (self._kind, self.name))
        return vt.contents, vt

    @property
    def handle(self) -> int:
        """The hrm_instance* (an int), for passing to C code of your own."""
        if self._closed:
            raise ClosedError("%s %r is closed" % (self._kind, self.name))
        return self._handle


class Encoder(Instance):
    """A task: splits files into instances, encodes them into tokens, decodes and verifies
    solutions; optionally an exact solver, a generator, augmentations and pictures."""

    _kind = "encoder"

    def __init__(self, handle, keepalive):
        super().__init__(handle, keepalive, _lib.lib().hrm_instance_encoder)
        vt, p = self._vt()
        s = _abi.sized(_abi.EncoderSpec)
        _lib.check(vt.get_spec(p, byref(s)))
        self.spec = EncoderSpec(Caps(s.caps), s.seq_len, s.vocab_size, s.pad_id, s.ignore_label_id,
                                s.num_puzzle_identifiers, s.num_augmentations)

    def _optional(self, slot):
        vt, p = self._vt()
        fn = getattr(vt, slot)
        if not fn:
            raise UnsupportedError("encoder %r has no %s (optional; caps: %s)" % (self.name, slot, self.spec.caps))
        return fn, p

    def split(self, text: Text) -> List[Text]:
        """The instances in a file's text (blank lines, comments and headers skipped), as a list of
        str (or bytes, when text is bytes). Splitting does not validate: encode does."""
        vt, p = self._vt()
        data = as_bytes(text, "text")
        blob = blob_of(data)
        base = blob.data or 0
        offset = c_size_t(0)
        out = []
        while True:
            record = _abi.Blob()
            _lib.check(vt.split(p, byref(blob), byref(offset), byref(record)))
            if not record.data:
                break
            start = record.data - base
            piece = data[start:start + record.size]
            out.append(piece.decode("utf-8") if isinstance(text, str) else piece)
        return out

    def encode(self, instance: Text) -> Encoded:
        """Tokens [seq_len] of one instance, its labels [seq_len] (None when the instance carries no
        solution) and its puzzle identifier."""
        vt, p = self._vt()
        data = as_bytes(instance)
        s = self.spec.seq_len
        tokens = _tensor.Buffer(_abi.HRM_DTYPE_I32, (s,))
        labels = _tensor.Buffer(_abi.HRM_DTYPE_I32, (s,))
        has_labels, puzzle_id = c_int32(0), c_int32(0)
        _lib.check(vt.encode(p, byref(blob_of(data)), byref(tokens.view), byref(labels.view), byref(has_labels),
                             byref(puzzle_id)))
        return Encoded(tokens.value(), labels.value() if has_labels.value else None, puzzle_id.value)

    def encode_batch(self, instances: Iterable[Text]) -> EncodedBatch:
        """encode() for many instances at once: tokens [N, seq_len], labels [N, seq_len] (rows of
        instances without a solution are left zero), has_labels [N] and puzzle_ids [N]."""
        vt, p = self._vt()
        data = [as_bytes(x) for x in _list_of_instances(instances)]
        n, s = len(data), self.spec.seq_len
        tokens = _tensor.Buffer(_abi.HRM_DTYPE_I32, (n, s))
        labels = _tensor.Buffer(_abi.HRM_DTYPE_I32, (n, s))
        puzzle_ids = _tensor.Buffer(_abi.HRM_DTYPE_I32, (n,))
        has = []
        for i, d in enumerate(data):
            t, keep_t = tokens.row_view(i)
            l, keep_l = labels.row_view(i)
            has_labels, puzzle_id = c_int32(0), c_int32(0)
            _lib.check(vt.encode(p, byref(blob_of(d)), byref(t), byref(l), byref(has_labels), byref(puzzle_id)))
            has.append(bool(has_labels.value))
            puzzle_ids._storage[i] = puzzle_id.value
        return EncodedBatch(tokens.value(), labels.value(), has, puzzle_ids.value())

    def decode(self, instance: Text, predictions: Any) -> str:
        """The solution, in the task's format, that predicted tokens [seq_len] stand for."""
        vt, p = self._vt()
        data = as_bytes(instance)
        pred = _tensor.Input(predictions, _abi.HRM_DTYPE_I32, "predictions")
        out = _abi.Blob()
        _lib.check(vt.decode(p, byref(blob_of(data)), byref(pred.view), byref(out)))
        return take_blob(out)

    def _verify(self, instance, solution):
        vt, p = self._vt()
        inst, sol = as_bytes(instance), as_bytes(solution, "solution")
        valid, score = c_int32(0), c_double(0.0)
        _lib.check(vt.verify(p, byref(blob_of(inst)), byref(blob_of(sol)), byref(valid), byref(score)))
        return bool(valid.value), score.value

    def verify(self, instance: Text, solution: Text) -> bool:
        """True if the task accepts solution for instance. A wrong solution is False; a malformed
        instance raises."""
        return self._verify(instance, solution)[0]

    def score(self, instance: Text, solution: Text) -> float:
        """The solution's quality where the task has one (1.0 = optimal), else 1.0 or 0.0."""
        return self._verify(instance, solution)[1]

    def solve(self, instance: Text) -> str:
        """The exact solution from the task's own solver (the oracle)."""
        return self.solve_with_stats(instance)[0]

    def solve_with_stats(self, instance: Text) -> Tuple[str, SolveStats]:
        """(solution, SolveStats(solutions, rating)): solutions is capped at 2 (2 = not unique)."""
        fn, p = self._optional("solve")
        data = as_bytes(instance)
        out = _abi.Blob()
        stats = _abi.sized(_abi.SolveStats)
        _lib.check(fn(p, byref(blob_of(data)), byref(out), byref(stats)))
        return take_blob(out), SolveStats(stats.solutions, stats.rating)

    def generate(self, seed: int, options: "str | Dict[str, Any] | None" = None) -> str:
        """A new instance with its solution, deterministic in seed; options is TOML text or a dict
        (e.g. a difficulty)."""
        fn, p = self._optional("generate")
        text = _toml.dumps(options) if isinstance(options, dict) else options
        out = _abi.Blob()
        seed = _lib.integer(seed, "seed", c_uint64)
        _lib.check(fn(p, seed, _lib.text(text), byref(out)))
        return take_blob(out)

    def augment(self, tokens: Any, augmentation: int, inverse: bool = False) -> Any:
        """Augmentation `augmentation` (0 = identity), or its inverse, of every row of tokens
        [N, seq_len]; returns a new [N, seq_len] array."""
        fn, p = self._optional("augment")
        src = _tensor.Input(tokens, _abi.HRM_DTYPE_I32, "tokens")
        dst = _tensor.Buffer(_abi.HRM_DTYPE_I32, src.shape)
        augmentation = _lib.integer(augmentation, "augmentation", c_uint64)
        _lib.check(fn(p, augmentation, 1 if inverse else 0, byref(src.view), byref(dst.view)))
        return dst.value()

    def output_mask(self, instance: Text) -> Any:
        """The valid output tokens of instance, [seq_len, vocab_size] of 0/1 (uint8): the argmax of a
        model's logits over the allowed tokens always decodes (optional; caps MASK, API 2)."""
        vt, p = self._vt()
        # A plugin built against API 1 has a shorter table: the member must not be read then.
        if vt.api_version < 2 or vt.struct_size < _abi.Encoder.output_mask.offset + ctypes.sizeof(c_void_p) \
                or not self.spec.caps & Caps.MASK:
            raise UnsupportedError("encoder %r has no output_mask (optional; caps: %s)" % (self.name, self.spec.caps))
        fn, p = self._optional("output_mask")
        data = as_bytes(instance)
        mask = _tensor.Buffer(_abi.HRM_DTYPE_U8, (self.spec.seq_len, self.spec.vocab_size))
        _lib.check(fn(p, byref(blob_of(data)), byref(mask.view)))
        return mask.value()

    def render(self, instance: Text, solution: Optional[Text] = None, format: "str | int" = "text") -> str:
        """A picture of instance (and solution): format "text", "ansi" or "svg"."""
        fn, p = self._optional("render")
        fmt = _lib.choice(RenderFormat, format, "format")
        inst = as_bytes(instance)
        sol = as_bytes(solution, "solution") if solution is not None else None
        out = _abi.Blob()
        _lib.check(fn(p, byref(blob_of(inst)), byref(blob_of(sol)) if sol is not None else None, int(fmt),
                      byref(out)))
        return take_blob(out)


class Policy(Instance):
    """A refinement policy: decides after each segment whether a row halts."""

    _kind = "policy"

    def __init__(self, handle, keepalive):
        super().__init__(handle, keepalive, _lib.lib().hrm_instance_policy)
        vt, p = self._vt()
        s = _abi.sized(_abi.PolicySpec)
        _lib.check(vt.get_spec(p, byref(s)))
        self.spec = PolicySpec(s.needs, s.min_segments, s.max_segments, s.n_starts, s.start_noise)


class Model(Instance):
    """A reasoning model. Its weights are immutable; everything that changes lives in states
    (model.state(batch)), so several states may be stepped from different threads."""

    _kind = "model"
    path: Optional[str] = None          # the checkpoint it was loaded from (set by Runtime.model)
    task_config: Optional[str] = None   # the [task] table stored with it, as TOML text

    def __init__(self, handle, keepalive):
        super().__init__(handle, keepalive, _lib.lib().hrm_instance_model)
        vt, p = self._vt()
        s = _abi.sized(_abi.ModelSpec)
        _lib.check(vt.get_spec(p, byref(s)))
        self.spec = ModelSpec(Precision(s.default_precision), s.seq_len, s.prefix_len, s.vocab_size,
                              s.hidden_size, s.num_puzzle_identifiers, s.h_cycles, s.l_cycles, s.halt_max_steps,
                              s.n_params, s.flops_per_segment, (s.config or b"").decode("utf-8"))

    @property
    def config(self) -> str:
        """The model's full TOML config."""
        return self.spec.config

    def state(self, batch: int, precision: "str | int | None" = None) -> "ModelState":
        """A ModelState of `batch` rows; precision None = the model's default."""
        return ModelState(self, batch, precision_of(precision))


class ModelState(_lib.Closing):
    """The mutable part of a model run: carry, inputs and scratch of `batch` rows.

    One segment is: h_cycles times (l_cycles updates of L, then one of H), then readout();
    segment() does exactly that. Calls on one state are serialised by a lock (the C side requires
    it); different states may run in parallel threads."""

    _open_attr = "_state"

    def __init__(self, model, batch, precision=None):
        batch = _lib.integer(batch, "batch", ctypes.c_int64)
        if batch < 1:
            raise InvalidArgumentError("batch must be >= 1, not %d" % batch)
        self.model = model
        self.batch = batch
        self.precision = model.spec.default_precision if precision is None else precision
        self._lock = threading.Lock()
        self._state = None
        model._acquire()   # the model may not be destroyed while a state exists
        try:
            vt, p = model._vt()
            out = c_void_p()
            _lib.check(vt.state_create(p, self.batch, int(self.precision), byref(out)))
            self._state = out.value
        except BaseException:
            model._release()
            raise

    def close(self):
        with self._lock:
            state, self._state = self._state, None
            if state is None:
                return
            vt, p = self.model._vtable.contents, self.model._vtable
            vt.state_free(p, state)
        self.model._release()

    def _call(self, slot, *args):
        with self._lock:
            if self._state is None:
                raise ClosedError("this model state is closed")
            vt, p = self.model._vtable.contents, self.model._vtable
            _lib.check(getattr(vt, slot)(p, self._state, *args))

    def reset(self, mask: Any = None, noise_std: float = 0.0, row_seeds: Optional[Iterable[int]] = None) -> None:
        """Restart the rows selected by mask ([batch] bools; None = all) from the initial carry,
        optionally perturbed by Gaussian noise seeded per row."""
        m = _tensor.mask_input(mask, self.batch)
        params = None
        if noise_std:
            if row_seeds is None or len(row_seeds) != self.batch:
                raise InvalidArgumentError("noise_std needs row_seeds: one seed per row (%d)" % self.batch)
            seeds = (c_uint64 * self.batch)(*(_lib.integer(x, "row_seeds[]", c_uint64) for x in row_seeds))
            params = _abi.sized(_abi.ResetParams)
            params.noise_std = noise_std
            params.row_seeds = ctypes.cast(seeds, ctypes.POINTER(c_uint64))
        self._call("reset", byref(m.view) if m else None, byref(params) if params else None)

    def set_inputs(self, tokens: Any, puzzle_ids: Any = None, mask: Any = None) -> None:
        """Set tokens [batch, seq_len] (and puzzle_ids [batch]; None = all 0) of the masked rows."""
        t = _tensor.Input(tokens, _abi.HRM_DTYPE_I32, "tokens")
        ids = _tensor.Input(puzzle_ids, _abi.HRM_DTYPE_I32, "puzzle_ids") if puzzle_ids is not None else None
        m = _tensor.mask_input(mask, self.batch)
        self._call("set_inputs", byref(m.view) if m else None, byref(t.view), byref(ids.view) if ids else None)

    def update(self, level: "str | Level") -> None:
        """One update of module level ("L"/"H" or Level) for every row."""
        lv = _lib.choice(Level, level, "level")
        self._call("update", int(lv))

    def segment(self) -> None:
        """One ACT segment of updates in the model's schedule (then call readout())."""
        spec = self.model.spec
        for _ in range(spec.h_cycles):
            for _ in range(spec.l_cycles):
                self.update(Level.L)
            self.update(Level.H)

    def readout(self, logits: bool = True, predictions: bool = True, q: bool = True) -> Readout:
        """Current outputs: logits [batch, seq_len, vocab] float32, predictions [batch, seq_len]
        int32 (argmax), q [batch, 2] float32 (q_halt, q_continue). The C side writes them straight
        into the returned arrays. Unrequested outputs are None."""
        spec = self.model.spec
        b, s, v = self.batch, spec.seq_len, spec.vocab_size
        lo = _tensor.Buffer(_abi.HRM_DTYPE_F32, (b, s, v)) if logits else None
        pr = _tensor.Buffer(_abi.HRM_DTYPE_I32, (b, s)) if predictions else None
        qs = _tensor.Buffer(_abi.HRM_DTYPE_F32, (b, 2)) if q else None
        self._call("readout", *(byref(x.view) if x else None for x in (lo, pr, qs)))
        return Readout(*(x.value() if x else None for x in (lo, pr, qs)))


def _list_of_instances(instances):
    # A str is iterable too, and solving its characters one by one is never what was meant.
    if isinstance(instances, (str, bytes)):
        raise TypeError("expected a list of instances, got a single %s" % type(instances).__name__)
    return list(instances)
