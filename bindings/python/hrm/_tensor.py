"""Tensor exchange between Python and hrm_tensor views, with NumPy when it is installed.

Outputs (encoded tokens, logits, predictions, q values) are written by the C side straight into
memory Python allocated: a Buffer, whose __array_interface__ lets numpy.asarray() wrap it without a
copy. Inputs are passed by pointer too: a C-contiguous NumPy array of the right dtype is used as
is, anything else (other dtypes, nested lists) is converted once.
"""
import ctypes
from ctypes import c_double, c_float, c_int32, c_int64, c_uint8, c_uint16

from . import _abi
from ._errors import InvalidArgumentError

try:  # NumPy is optional: without it tensors come back as (nested) lists.
    import numpy as np
except ImportError:  # pragma: no cover - depends on the interpreter
    np = None

_CTYPE = {
    _abi.HRM_DTYPE_I32: c_int32,
    _abi.HRM_DTYPE_I64: c_int64,
    _abi.HRM_DTYPE_U8: c_uint8,
    _abi.HRM_DTYPE_F32: c_float,
    _abi.HRM_DTYPE_F64: c_double,
    _abi.HRM_DTYPE_BF16: c_uint16,   # raw bits: NumPy has no bfloat16
}
_TYPESTR = {
    _abi.HRM_DTYPE_I32: "<i4",
    _abi.HRM_DTYPE_I64: "<i8",
    _abi.HRM_DTYPE_U8: "|u1",
    _abi.HRM_DTYPE_F32: "<f4",
    _abi.HRM_DTYPE_F64: "<f8",
    _abi.HRM_DTYPE_BF16: "<u2",
}


def numpy_enabled():
    """Whether tensors are returned as NumPy arrays (else as lists)."""
    return np is not None


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _view(address, dtype, shape_array, ndim):
    return _abi.Tensor(address, dtype, ndim, shape_array, None, _abi.HRM_DEVICE_CPU, 0, 0)


class Buffer:
    """A compact row-major block the C side writes into, with its hrm_tensor view (.view).

    numpy.asarray(buffer) shares its memory (array interface, no copy) and keeps it alive."""

    def __init__(self, dtype, shape):
        self.dtype = dtype
        self.shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in self.shape):
            raise InvalidArgumentError("negative dimension in shape %s" % (self.shape,))
        self._storage = (_CTYPE[dtype] * max(1, _product(self.shape)))()   # zero-filled
        self._shape_array = (c_int64 * max(1, len(self.shape)))(*self.shape)
        self.view = _view(ctypes.addressof(self._storage), dtype, self._shape_array, len(self.shape))

    @property
    def address(self):
        return ctypes.addressof(self._storage)

    @property
    def __array_interface__(self):
        return {"version": 3, "shape": self.shape, "typestr": _TYPESTR[self.dtype],
                "data": (self.address, False), "strides": None}

    def row_view(self, index):
        """The hrm_tensor view of row `index` of a [N, ...] buffer (shares memory), as a
        (view, keepalive) pair."""
        inner = self.shape[1:]
        shape_array = (c_int64 * max(1, len(inner)))(*inner)
        offset = index * _product(inner) * ctypes.sizeof(_CTYPE[self.dtype])
        return _view(self.address + offset, self.dtype, shape_array, len(inner)), shape_array

    def tolist(self):
        flat = list(self._storage)[:_product(self.shape)]
        return _nest(flat, self.shape)

    def value(self):
        """What the bindings return: a NumPy array sharing this memory, or nested lists."""
        if np is not None:
            return np.asarray(self)
        return self.tolist()


def _nest(flat, shape):
    if len(shape) <= 1:
        return flat if shape else flat[0]
    step = _product(shape[1:])
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _shape_and_flat(value, name):
    """Shape and row-major elements of nested lists/tuples; rejects ragged nesting."""
    if not isinstance(value, (list, tuple)):
        return (), [value]
    if not value:
        return (0,), []
    parts = [_shape_and_flat(v, name) for v in value]
    inner = parts[0][0]
    if any(shape != inner for shape, _ in parts):
        raise InvalidArgumentError("%s: ragged nesting (rows of different shapes)" % name)
    return (len(value),) + inner, [x for _, flat in parts for x in flat]


class Input:
    """A read-only hrm_tensor view of a caller's value converted to `dtype`: a NumPy array (used
    without a copy when it is already C-contiguous and of that dtype), a Buffer, or (nested)
    lists. The view stays valid while this object lives."""

    def __init__(self, value, dtype, name):
        if isinstance(value, Buffer):
            if value.dtype != dtype:
                raise InvalidArgumentError("%s: expected dtype %s" % (name, _TYPESTR[dtype]))
            self._keep = value
            self.shape = value.shape
            address = value.address
        elif np is not None:
            target = np.dtype(_TYPESTR[dtype])
            # int64 tokens become int32 as expected; float tokens would be truncated silently.
            if isinstance(value, np.ndarray) and not np.can_cast(value.dtype, target, "same_kind"):
                raise InvalidArgumentError("%s: cannot use %s as %s" % (name, value.dtype, target))
            array = np.ascontiguousarray(value, dtype=target)
            self._keep = array
            self.shape = array.shape
            address = array.ctypes.data
        else:
            if hasattr(value, "tolist"):   # array.array, memoryview
                value = value.tolist()
            self.shape, flat = _shape_and_flat(value, name)
            try:
                storage = (_CTYPE[dtype] * max(1, len(flat)))(*flat)
            except TypeError as e:
                raise InvalidArgumentError("%s: %s" % (name, e)) from None
            self._keep = storage
            address = ctypes.addressof(storage)
        if len(self.shape) > _abi.HRM_MAX_DIMS:
            raise InvalidArgumentError("%s: more than %d dimensions" % (name, _abi.HRM_MAX_DIMS))
        self._shape_array = (c_int64 * max(1, len(self.shape)))(*self.shape)
        self.view = _view(address, dtype, self._shape_array, len(self.shape))


def mask_input(mask, batch, name="mask"):
    """A [batch] U8 view of a row mask (bools or 0/1), or None for all rows."""
    if mask is None:
        return None
    m = Input(mask, _abi.HRM_DTYPE_U8, name)
    if m.shape != (batch,):
        raise InvalidArgumentError("%s: expected shape (%d,), got %s" % (name, batch, m.shape))
    return m
