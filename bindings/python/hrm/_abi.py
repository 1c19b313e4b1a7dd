"""ctypes mirrors of the public C structs and constants of hrm ABI major 1 (sdk/include/hrm/*.h).

Every struct here must match the C layout byte for byte: tests/test_abi.py compares sizeof,
alignment and every member offset with what the C compiler says (tests/abi_layout.c), so a change
of a header cannot silently break the bindings. When the C API appends a member (a new API
version), append it here too and to abi_layout.c.

Function-pointer members of the vtables are typed with their real signatures: the bindings call
them directly. Pointers to opaque C objects (statuses, runtimes, instances, states) are c_void_p.
"""
import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char_p, c_double, c_float, c_int32, c_int64,
                    c_size_t, c_uint8, c_uint32, c_uint64, c_void_p)

ABI_MAJOR = 1      # the ABI major these mirrors describe (HRM_ABI_MAJOR)
API_VERSION = 2    # the last API version whose appended members are mirrored (HRM_API_VERSION)

# ---- Constants (anonymous enums in the headers; frozen by tests/abi/layout_v1.c) -----------------
HRM_OK = 0
HRM_E_INVALID_ARG = 1
HRM_E_NOT_FOUND = 2
HRM_E_UNSUPPORTED = 3
HRM_E_VERSION = 4
HRM_E_PLUGIN = 5
HRM_E_IO = 6
HRM_E_FORMAT = 7
HRM_E_OUT_OF_MEMORY = 8
HRM_E_CANCELLED = 9
HRM_E_INTERNAL = 10

HRM_LOG_DEBUG, HRM_LOG_INFO, HRM_LOG_WARN, HRM_LOG_ERROR = 0, 1, 2, 3

HRM_DTYPE_I32 = (0 << 8) | 32
HRM_DTYPE_I64 = (0 << 8) | 64
HRM_DTYPE_U8 = (1 << 8) | 8
HRM_DTYPE_F32 = (2 << 8) | 32
HRM_DTYPE_F64 = (2 << 8) | 64
HRM_DTYPE_BF16 = (4 << 8) | 16

HRM_DEVICE_CPU = 1
HRM_MAX_DIMS = 8

HRM_KIND_MODEL, HRM_KIND_ENCODER, HRM_KIND_POLICY = 1, 2, 3
HRM_LEVEL_L, HRM_LEVEL_H = 0, 1
HRM_PRECISION_FP32, HRM_PRECISION_BF16, HRM_PRECISION_INT8 = 0, 1, 2

HRM_ENCODER_CAN_SOLVE = 1 << 0
HRM_ENCODER_CAN_GENERATE = 1 << 1
HRM_ENCODER_CAN_AUGMENT = 1 << 2
HRM_ENCODER_CAN_RENDER = 1 << 3
HRM_ENCODER_CAN_MASK = 1 << 4      # since API 2

HRM_RENDER_TEXT, HRM_RENDER_ANSI, HRM_RENDER_SVG = 0, 1, 2

HRM_POLICY_NEEDS_PREDICTIONS = 1 << 0
HRM_POLICY_NEEDS_VERIFY = 1 << 1

# Opaque handles and statuses travel as plain pointers.
status_p = c_void_p


# ---- hrm_base.h ----------------------------------------------------------------------------------
class Tensor(Structure):
    _fields_ = [
        ("data", c_void_p),
        ("dtype", c_int32),
        ("ndim", c_int32),
        ("shape", POINTER(c_int64)),
        ("strides", POINTER(c_int64)),
        ("device", c_int32),
        ("device_id", c_int32),
        ("byte_offset", c_uint64),
    ]


class Blob(Structure):
    _fields_ = [("data", c_void_p), ("size", c_size_t)]


class Descriptor(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("kind", c_int32),
        ("id", c_char_p),
        ("name", c_char_p),
        ("version", c_char_p),
        ("vendor", c_char_p),
        ("description", c_char_p),
        ("url", c_char_p),
        ("features", POINTER(c_char_p)),
    ]


class InstanceParams(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("reserved", c_uint32),
        ("config", c_char_p),
        ("weights", c_char_p),
        ("seed", c_uint64),
    ]


# ---- hrm.h ---------------------------------------------------------------------------------------
LOG_FN = CFUNCTYPE(None, c_int32, c_char_p, c_void_p)
PROGRESS_FN = CFUNCTYPE(c_bool, c_int64, c_int64, c_void_p)


class RuntimeParams(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("n_threads", c_int32),
        ("plugin_path", c_char_p),
        ("log_fn", LOG_FN),
        ("log_user_data", c_void_p),
        ("log_level", c_int32),
        ("reserved", c_int32),
    ]


class PluginRecord(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("api_version", c_uint32),
        ("abi_major", c_uint32),
        ("reserved", c_uint32),
        ("id", c_char_p),
        ("version", c_char_p),
        ("path", c_char_p),
    ]


class SessionParams(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("n_threads", c_int32),
        ("batch_size", c_int64),
        ("shard_size", c_int64),
        ("precision", c_int32),
        ("reserved", c_int32),
        ("seed", c_uint64),
    ]


class Result(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("segments", c_int32),
        ("solution", Blob),
        ("q_halt", c_float),
        ("q_continue", c_float),
        ("verified", c_int32),
        ("start", c_int32),
        ("error", status_p),
        ("seconds", c_double),
    ]


# ---- hrm_encoder.h -------------------------------------------------------------------------------
class EncoderSpec(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("caps", c_uint32),
        ("seq_len", c_int64),
        ("vocab_size", c_int64),
        ("pad_id", c_int32),
        ("ignore_label_id", c_int32),
        ("num_puzzle_identifiers", c_int64),
        ("num_augmentations", c_int64),
    ]


class SolveStats(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("reserved", c_int32),
        ("solutions", c_int64),
        ("rating", c_double),
    ]


class Encoder(Structure):
    pass


_enc = POINTER(Encoder)
Encoder._fields_ = [
    ("struct_size", c_uint32),
    ("api_version", c_uint32),
    ("desc", POINTER(Descriptor)),
    ("plugin_data", c_void_p),
    ("get_spec", CFUNCTYPE(status_p, _enc, POINTER(EncoderSpec))),
    ("split", CFUNCTYPE(status_p, _enc, POINTER(Blob), POINTER(c_size_t), POINTER(Blob))),
    ("encode", CFUNCTYPE(status_p, _enc, POINTER(Blob), POINTER(Tensor), POINTER(Tensor), POINTER(c_int32),
                         POINTER(c_int32))),
    ("decode", CFUNCTYPE(status_p, _enc, POINTER(Blob), POINTER(Tensor), POINTER(Blob))),
    ("verify", CFUNCTYPE(status_p, _enc, POINTER(Blob), POINTER(Blob), POINTER(c_int32), POINTER(c_double))),
    ("solve", CFUNCTYPE(status_p, _enc, POINTER(Blob), POINTER(Blob), POINTER(SolveStats))),
    ("generate", CFUNCTYPE(status_p, _enc, c_uint64, c_char_p, POINTER(Blob))),
    ("augment", CFUNCTYPE(status_p, _enc, c_uint64, c_int32, POINTER(Tensor), POINTER(Tensor))),
    ("render", CFUNCTYPE(status_p, _enc, POINTER(Blob), POINTER(Blob), c_int32, POINTER(Blob))),
    ("get_extension", CFUNCTYPE(c_void_p, _enc, c_char_p)),
    ("destroy", CFUNCTYPE(None, _enc)),
    # since API 2: read only when the plugin's api_version >= 2 (Encoder.output_mask checks)
    ("output_mask", CFUNCTYPE(status_p, _enc, POINTER(Blob), POINTER(Tensor))),
]


# ---- hrm_model.h ---------------------------------------------------------------------------------
class ModelSpec(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("default_precision", c_int32),
        ("seq_len", c_int64),
        ("prefix_len", c_int64),
        ("vocab_size", c_int64),
        ("hidden_size", c_int64),
        ("num_puzzle_identifiers", c_int64),
        ("h_cycles", c_int32),
        ("l_cycles", c_int32),
        ("halt_max_steps", c_int32),
        ("reserved", c_int32),
        ("n_params", c_int64),
        ("flops_per_segment", c_double),
        ("config", c_char_p),
    ]


class ResetParams(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("noise_std", c_float),
        ("row_seeds", POINTER(c_uint64)),
    ]


class Param(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("trainable", c_int32),
        ("name", c_char_p),
        ("tensor", Tensor),
    ]


class Model(Structure):
    pass


_mod = POINTER(Model)
Model._fields_ = [
    ("struct_size", c_uint32),
    ("api_version", c_uint32),
    ("desc", POINTER(Descriptor)),
    ("plugin_data", c_void_p),
    ("get_spec", CFUNCTYPE(status_p, _mod, POINTER(ModelSpec))),
    ("state_create", CFUNCTYPE(status_p, _mod, c_int64, c_int32, POINTER(c_void_p))),
    ("state_free", CFUNCTYPE(None, _mod, c_void_p)),
    ("reset", CFUNCTYPE(status_p, _mod, c_void_p, POINTER(Tensor), POINTER(ResetParams))),
    ("set_inputs", CFUNCTYPE(status_p, _mod, c_void_p, POINTER(Tensor), POINTER(Tensor), POINTER(Tensor))),
    ("update", CFUNCTYPE(status_p, _mod, c_void_p, c_int32)),
    ("readout", CFUNCTYPE(status_p, _mod, c_void_p, POINTER(Tensor), POINTER(Tensor), POINTER(Tensor))),
    ("param_count", CFUNCTYPE(c_int64, _mod)),
    ("param_get", CFUNCTYPE(status_p, _mod, c_int64, POINTER(Param))),
    ("get_extension", CFUNCTYPE(c_void_p, _mod, c_char_p)),
    ("destroy", CFUNCTYPE(None, _mod)),
]


# ---- hrm_policy.h --------------------------------------------------------------------------------
class PolicySpec(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("needs", c_uint32),
        ("min_segments", c_int32),
        ("max_segments", c_int32),
        ("n_starts", c_int32),
        ("start_noise", c_float),
    ]


class PolicyRow(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("segment", c_int32),
        ("slot", c_int64),
        ("start", c_int32),
        ("verified", c_int32),
        ("q_halt", c_float),
        ("q_continue", c_float),
        ("prediction_hash", c_uint64),
    ]


class Policy(Structure):
    pass


_pol = POINTER(Policy)
Policy._fields_ = [
    ("struct_size", c_uint32),
    ("api_version", c_uint32),
    ("desc", POINTER(Descriptor)),
    ("plugin_data", c_void_p),
    ("get_spec", CFUNCTYPE(status_p, _pol, POINTER(PolicySpec))),
    ("state_create", CFUNCTYPE(status_p, _pol, c_int64, POINTER(c_void_p))),
    ("state_free", CFUNCTYPE(None, _pol, c_void_p)),
    ("decide", CFUNCTYPE(status_p, _pol, c_void_p, c_int64, POINTER(PolicyRow), c_size_t, POINTER(c_uint8))),
    ("choose", CFUNCTYPE(status_p, _pol, c_int64, POINTER(PolicyRow), c_size_t, POINTER(c_int64))),
    ("get_extension", CFUNCTYPE(c_void_p, _pol, c_char_p)),
    ("destroy", CFUNCTYPE(None, _pol)),
]

# Every mirror by its C name: what tests/test_abi.py checks against tests/abi_layout.c.
MIRRORS = {
    "hrm_tensor": Tensor,
    "hrm_blob": Blob,
    "hrm_descriptor": Descriptor,
    "hrm_instance_params": InstanceParams,
    "hrm_runtime_params": RuntimeParams,
    "hrm_plugin_record": PluginRecord,
    "hrm_session_params": SessionParams,
    "hrm_result": Result,
    "hrm_encoder_spec": EncoderSpec,
    "hrm_solve_stats": SolveStats,
    "hrm_encoder": Encoder,
    "hrm_model_spec": ModelSpec,
    "hrm_reset_params": ResetParams,
    "hrm_param": Param,
    "hrm_model": Model,
    "hrm_policy_spec": PolicySpec,
    "hrm_policy_row": PolicyRow,
    "hrm_policy": Policy,
}


def sized(struct_type):
    """A zeroed instance of struct_type with struct_size set, as the C API wants for out-structs."""
    s = struct_type()
    s.struct_size = ctypes.sizeof(struct_type)
    return s
