"""Minimal safetensors reader/writer (the `safetensors` package is not installed here).

File layout (https://github.com/huggingface/safetensors, "Format" section):
    [8 bytes]  u64 little-endian N = length of the JSON header in bytes
    [N bytes]  UTF-8 JSON: {"__metadata__": {str: str}, "<name>": {"dtype": "F32"|"BF16"|...,
               "shape": [...], "data_offsets": [begin, end]}, ...}; offsets are relative to the
               first byte after the header. We pad the header with trailing spaces so that the
               data section starts at an 8-byte aligned offset (the reference writer does this).
    [...]      raw little-endian tensor data, C order, back to back.

Only the dtypes the HRM checkpoints need are supported: F32, BF16, F64, I32, I64, U8, BOOL.
BF16 tensors are moved through numpy as their raw uint16 bit patterns (numpy has no bfloat16).
"""
from __future__ import annotations

import json
import struct
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch

# torch dtype -> (safetensors dtype string, numpy dtype used for the raw bytes)
_TORCH_TO_ST = {
    torch.float32: ("F32", np.dtype("<f4")),
    torch.float64: ("F64", np.dtype("<f8")),
    torch.bfloat16: ("BF16", np.dtype("<u2")),
    torch.int32: ("I32", np.dtype("<i4")),
    torch.int64: ("I64", np.dtype("<i8")),
    torch.uint8: ("U8", np.dtype("u1")),
    torch.bool: ("BOOL", np.dtype("u1")),
}
_ST_TO_TORCH = {v[0]: (k, v[1]) for k, v in _TORCH_TO_ST.items()}


def _tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        # Reinterpret the 16-bit payload; numpy cannot represent bf16 directly.
        arr = t.view(torch.int16).numpy().view(np.uint16)
    elif t.dtype == torch.bool:
        arr = t.numpy().astype(np.uint8)
    else:
        arr = t.numpy()
    _, np_dt = _TORCH_TO_ST[t.dtype]
    return np.ascontiguousarray(arr.astype(np_dt, copy=False)).tobytes()


def save_file(tensors: Mapping[str, torch.Tensor], path: str,
              metadata: Optional[Dict[str, str]] = None) -> None:
    """Write `tensors` (insertion order is kept for the data layout) to `path`."""
    header: "OrderedDict[str, object]" = OrderedDict()
    if metadata:
        # The format requires a str->str map.
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if t.dtype not in _TORCH_TO_ST:
            raise TypeError(f"unsupported dtype {t.dtype} for tensor {name}")
        b = _tensor_bytes(t)
        header[name] = {
            "dtype": _TORCH_TO_ST[t.dtype][0],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(b)],
        }
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad so that 8 + len(header) is a multiple of 8 (aligned data section).
    pad = (-(8 + len(hjson))) % 8
    hjson += b" " * pad
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def load_file(path: str) -> Tuple["OrderedDict[str, torch.Tensor]", Dict[str, str]]:
    """Read a safetensors file written by any conforming writer; returns (tensors, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    metadata = header.pop("__metadata__", {}) or {}
    out: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    # Preserve data order (dict order in the JSON may differ from data order).
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        tdt, np_dt = _ST_TO_TORCH[info["dtype"]]
        b0, b1 = info["data_offsets"]
        arr = np.frombuffer(data[base + b0: base + b1], dtype=np_dt).reshape(info["shape"]).copy()
        if tdt == torch.bfloat16:
            t = torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
        elif tdt == torch.bool:
            t = torch.from_numpy(arr.astype(bool))
        else:
            t = torch.from_numpy(arr)
        out[name] = t
    return out, metadata
