"""Instances of plugin classes: Encoder (a task), Model (with ModelState) and Policy.

Ownership: every object owns one C handle and frees it in close() (also called by `with` and by
the garbage collector). An instance used by a session or a model state is only marked closed by
close(); the C object is freed when the last user lets go, so Python can never free memory that C
code still uses. Any use after close() raises hrm.ClosedError.
"""
import ctypes
import enum
import threading
from collections import namedtuple
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


class Caps(enum.IntFlag):
    SOLVE = _abi.HRM_ENCODER_CAN_SOLVE
    GENERATE = _abi.HRM_ENCODER_CAN_GENERATE
    AUGMENT = _abi.HRM_ENCODER_CAN_AUGMENT
    RENDER = _abi.HRM_ENCODER_CAN_RENDER


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


def precision_of(value):
    """A Precision from None (the model's default: returns None), an int or "fp32"/"bf16"."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return Precision[value.upper()]
        except KeyError:
            raise InvalidArgumentError("precision must be 'fp32' or 'bf16', not %r" % value) from None
    return Precision(value)


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
    def close(self):
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
    def closed(self):
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
    def handle(self):
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

    def split(self, text):
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

    def encode(self, instance):
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

    def encode_batch(self, instances):
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

    def decode(self, instance, predictions):
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

    def verify(self, instance, solution):
        """True if the task accepts solution for instance. A wrong solution is False; a malformed
        instance raises."""
        return self._verify(instance, solution)[0]

    def score(self, instance, solution):
        """The solution's quality where the task has one (1.0 = optimal), else 1.0 or 0.0."""
        return self._verify(instance, solution)[1]

    def solve(self, instance):
        """The exact solution from the task's own solver (the oracle)."""
        return self.solve_with_stats(instance)[0]

    def solve_with_stats(self, instance):
        """(solution, SolveStats(solutions, rating)): solutions is capped at 2 (2 = not unique)."""
        fn, p = self._optional("solve")
        data = as_bytes(instance)
        out = _abi.Blob()
        stats = _abi.sized(_abi.SolveStats)
        _lib.check(fn(p, byref(blob_of(data)), byref(out), byref(stats)))
        return take_blob(out), SolveStats(stats.solutions, stats.rating)

    def generate(self, seed, options=None):
        """A new instance with its solution, deterministic in seed; options is TOML text or a dict
        (e.g. a difficulty)."""
        fn, p = self._optional("generate")
        text = _toml.dumps(options) if isinstance(options, dict) else options
        out = _abi.Blob()
        _lib.check(fn(p, c_uint64(seed), _lib.text(text), byref(out)))
        return take_blob(out)

    def augment(self, tokens, augmentation, inverse=False):
        """Augmentation `augmentation` (0 = identity), or its inverse, of every row of tokens
        [N, seq_len]; returns a new [N, seq_len] array."""
        fn, p = self._optional("augment")
        src = _tensor.Input(tokens, _abi.HRM_DTYPE_I32, "tokens")
        dst = _tensor.Buffer(_abi.HRM_DTYPE_I32, src.shape)
        _lib.check(fn(p, c_uint64(augmentation), 1 if inverse else 0, byref(src.view), byref(dst.view)))
        return dst.value()

    def render(self, instance, solution=None, format="text"):
        """A picture of instance (and solution): format "text", "ansi" or "svg"."""
        fn, p = self._optional("render")
        fmt = RenderFormat[format.upper()] if isinstance(format, str) else RenderFormat(format)
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

    def __init__(self, handle, keepalive):
        super().__init__(handle, keepalive, _lib.lib().hrm_instance_model)
        vt, p = self._vt()
        s = _abi.sized(_abi.ModelSpec)
        _lib.check(vt.get_spec(p, byref(s)))
        self.spec = ModelSpec(Precision(s.default_precision), s.seq_len, s.prefix_len, s.vocab_size,
                              s.hidden_size, s.num_puzzle_identifiers, s.h_cycles, s.l_cycles, s.halt_max_steps,
                              s.n_params, s.flops_per_segment, (s.config or b"").decode("utf-8"))

    @property
    def config(self):
        """The model's full TOML config."""
        return self.spec.config

    def state(self, batch, precision=None):
        """A ModelState of `batch` rows; precision None = the model's default."""
        return ModelState(self, batch, precision_of(precision))


class ModelState(_lib.Closing):
    """The mutable part of a model run: carry, inputs and scratch of `batch` rows.

    One segment is: h_cycles times (l_cycles updates of L, then one of H), then readout();
    segment() does exactly that. Calls on one state are serialised by a lock (the C side requires
    it); different states may run in parallel threads."""

    _open_attr = "_state"

    def __init__(self, model, batch, precision=None):
        if batch < 1:
            raise InvalidArgumentError("batch must be >= 1, not %d" % batch)
        self.model = model
        self.batch = int(batch)
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

    def reset(self, mask=None, noise_std=0.0, row_seeds=None):
        """Restart the rows selected by mask ([batch] bools; None = all) from the initial carry,
        optionally perturbed by Gaussian noise seeded per row."""
        m = _tensor.mask_input(mask, self.batch)
        params = None
        if noise_std:
            if row_seeds is None or len(row_seeds) != self.batch:
                raise InvalidArgumentError("noise_std needs row_seeds: one seed per row (%d)" % self.batch)
            seeds = (c_uint64 * self.batch)(*row_seeds)
            params = _abi.sized(_abi.ResetParams)
            params.noise_std = noise_std
            params.row_seeds = ctypes.cast(seeds, ctypes.POINTER(c_uint64))
        self._call("reset", byref(m.view) if m else None, byref(params) if params else None)

    def set_inputs(self, tokens, puzzle_ids=None, mask=None):
        """Set tokens [batch, seq_len] (and puzzle_ids [batch]; None = all 0) of the masked rows."""
        t = _tensor.Input(tokens, _abi.HRM_DTYPE_I32, "tokens")
        ids = _tensor.Input(puzzle_ids, _abi.HRM_DTYPE_I32, "puzzle_ids") if puzzle_ids is not None else None
        m = _tensor.mask_input(mask, self.batch)
        self._call("set_inputs", byref(m.view) if m else None, byref(t.view), byref(ids.view) if ids else None)

    def update(self, level):
        """One update of module level ("L"/"H" or Level) for every row."""
        lv = Level[level.upper()] if isinstance(level, str) else Level(level)
        self._call("update", int(lv))

    def segment(self):
        """One ACT segment of updates in the model's schedule (then call readout())."""
        spec = self.model.spec
        for _ in range(spec.h_cycles):
            for _ in range(spec.l_cycles):
                self.update(Level.L)
            self.update(Level.H)

    def readout(self, logits=True, predictions=True, q=True):
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
