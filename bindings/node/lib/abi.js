'use strict';
// koffi mirrors of the C structs and constants of hrm ABI major 1 (sdk/include/hrm/*.h) that the
// package uses. Each must match the C layout byte for byte: test/abi.test.js compares every size,
// alignment and member offset with what the C compiler says (bindings/python/tests/abi_layout.c),
// so a header change these mirrors do not follow fails the tests. Function pointers of the
// vtables are plain pointers here; lib/native.js calls them with their prototypes.
const koffi = require('./koffi');

const ABI_MAJOR = 1;    // HRM_ABI_MAJOR these mirrors describe
const API_VERSION = 2;  // the last API version whose appended members are mirrored

const constants = {
  HRM_OK: 0, HRM_E_INVALID_ARG: 1, HRM_E_NOT_FOUND: 2, HRM_E_UNSUPPORTED: 3, HRM_E_VERSION: 4,
  HRM_E_PLUGIN: 5, HRM_E_IO: 6, HRM_E_FORMAT: 7, HRM_E_OUT_OF_MEMORY: 8, HRM_E_CANCELLED: 9,
  HRM_E_INTERNAL: 10,
  HRM_LOG_DEBUG: 0, HRM_LOG_INFO: 1, HRM_LOG_WARN: 2, HRM_LOG_ERROR: 3,
  HRM_DTYPE_I32: (0 << 8) | 32,
  HRM_DEVICE_CPU: 1,
  HRM_KIND_MODEL: 1, HRM_KIND_ENCODER: 2, HRM_KIND_POLICY: 3,
  HRM_PRECISION_FP32: 0, HRM_PRECISION_BF16: 1, HRM_PRECISION_INT8: 2,
  HRM_ENCODER_CAN_SOLVE: 1 << 0, HRM_ENCODER_CAN_GENERATE: 1 << 1, HRM_ENCODER_CAN_AUGMENT: 1 << 2,
  HRM_ENCODER_CAN_RENDER: 1 << 3, HRM_ENCODER_CAN_MASK: 1 << 4,
  HRM_RENDER_TEXT: 0, HRM_RENDER_ANSI: 1, HRM_RENDER_SVG: 2,
};

const fn = 'void *';   // a function pointer member

const structs = {};
function struct(name, members) {
  structs[name] = koffi.struct(name, members);
  return structs[name];
}

// hrm_base.h
const Tensor = struct('hrm_tensor', {
  data: 'void *', dtype: 'int32_t', ndim: 'int32_t', shape: 'void *', strides: 'void *',
  device: 'int32_t', device_id: 'int32_t', byte_offset: 'uint64_t',
});
const Blob = struct('hrm_blob', { data: 'void *', size: 'size_t' });
const Descriptor = struct('hrm_descriptor', {
  struct_size: 'uint32_t', kind: 'int32_t', id: 'const char *', name: 'const char *',
  version: 'const char *', vendor: 'const char *', description: 'const char *', url: 'const char *',
  features: 'void *',
});
const InstanceParams = struct('hrm_instance_params', {
  struct_size: 'uint32_t', reserved: 'uint32_t', config: 'const char *', weights: 'const char *', seed: 'uint64_t',
});

// hrm.h
const RuntimeParams = struct('hrm_runtime_params', {
  struct_size: 'uint32_t', n_threads: 'int32_t', plugin_path: 'const char *', log_fn: fn,
  log_user_data: 'void *', log_level: 'int32_t', reserved: 'int32_t',
});
const PluginRecord = struct('hrm_plugin_record', {
  struct_size: 'uint32_t', api_version: 'uint32_t', abi_major: 'uint32_t', reserved: 'uint32_t',
  id: 'const char *', version: 'const char *', path: 'const char *',
});
const SessionParams = struct('hrm_session_params', {
  struct_size: 'uint32_t', n_threads: 'int32_t', batch_size: 'int64_t', shard_size: 'int64_t',
  precision: 'int32_t', reserved: 'int32_t', seed: 'uint64_t',
});
const Result = struct('hrm_result', {
  struct_size: 'uint32_t', segments: 'int32_t', solution: Blob, q_halt: 'float', q_continue: 'float',
  verified: 'int32_t', start: 'int32_t', error: 'void *', seconds: 'double',
});

// hrm_encoder.h
const EncoderSpec = struct('hrm_encoder_spec', {
  struct_size: 'uint32_t', caps: 'uint32_t', seq_len: 'int64_t', vocab_size: 'int64_t', pad_id: 'int32_t',
  ignore_label_id: 'int32_t', num_puzzle_identifiers: 'int64_t', num_augmentations: 'int64_t',
});
const SolveStats = struct('hrm_solve_stats', {
  struct_size: 'uint32_t', reserved: 'int32_t', solutions: 'int64_t', rating: 'double',
});
const Encoder = struct('hrm_encoder', {
  struct_size: 'uint32_t', api_version: 'uint32_t', desc: 'void *', plugin_data: 'void *',
  get_spec: fn, split: fn, encode: fn, decode: fn, verify: fn, solve: fn, generate: fn, augment: fn,
  render: fn, get_extension: fn, destroy: fn,
  output_mask: fn,   // since API 2
});

// hrm_model.h
const ModelSpec = struct('hrm_model_spec', {
  struct_size: 'uint32_t', default_precision: 'int32_t', seq_len: 'int64_t', prefix_len: 'int64_t',
  vocab_size: 'int64_t', hidden_size: 'int64_t', num_puzzle_identifiers: 'int64_t', h_cycles: 'int32_t',
  l_cycles: 'int32_t', halt_max_steps: 'int32_t', reserved: 'int32_t', n_params: 'int64_t',
  flops_per_segment: 'double', config: 'const char *',
});
const Model = struct('hrm_model', {
  struct_size: 'uint32_t', api_version: 'uint32_t', desc: 'void *', plugin_data: 'void *',
  get_spec: fn, state_create: fn, state_free: fn, reset: fn, set_inputs: fn, update: fn, readout: fn,
  param_count: fn, param_get: fn, get_extension: fn, destroy: fn,
});

// hrm_policy.h
const PolicySpec = struct('hrm_policy_spec', {
  struct_size: 'uint32_t', needs: 'uint32_t', min_segments: 'int32_t', max_segments: 'int32_t',
  n_starts: 'int32_t', start_noise: 'float',
});
const Policy = struct('hrm_policy', {
  struct_size: 'uint32_t', api_version: 'uint32_t', desc: 'void *', plugin_data: 'void *',
  get_spec: fn, state_create: fn, state_free: fn, decide: fn, choose: fn, get_extension: fn, destroy: fn,
});

// Prototypes of the vtable slots the package calls. `self` is the vtable pointer itself.
const slots = {
  encoder: {
    get_spec: koffi.proto('void *hrm_encoder_get_spec(void *self, _Inout_ hrm_encoder_spec *spec)'),
    split: koffi.proto('void *hrm_encoder_split(void *self, const hrm_blob *text, _Inout_ size_t *offset, _Out_ hrm_blob *record)'),
    encode: koffi.proto('void *hrm_encoder_encode(void *self, const hrm_blob *instance, hrm_tensor *tokens, hrm_tensor *labels, _Out_ int32_t *has_labels, _Out_ int32_t *puzzle_id)'),
    decode: koffi.proto('void *hrm_encoder_decode(void *self, const hrm_blob *instance, const hrm_tensor *predictions, _Out_ hrm_blob *solution)'),
    verify: koffi.proto('void *hrm_encoder_verify(void *self, const hrm_blob *instance, const hrm_blob *solution, _Out_ int32_t *valid, _Out_ double *score)'),
    solve: koffi.proto('void *hrm_encoder_solve(void *self, const hrm_blob *instance, _Out_ hrm_blob *solution, _Inout_ hrm_solve_stats *stats)'),
    generate: koffi.proto('void *hrm_encoder_generate(void *self, uint64_t seed, const char *options, _Out_ hrm_blob *instance)'),
    render: koffi.proto('void *hrm_encoder_render(void *self, const hrm_blob *instance, const hrm_blob *solution, int32_t format, _Out_ hrm_blob *out)'),
  },
  model: { get_spec: koffi.proto('void *hrm_model_get_spec(void *self, _Inout_ hrm_model_spec *spec)') },
  policy: { get_spec: koffi.proto('void *hrm_policy_get_spec(void *self, _Inout_ hrm_policy_spec *spec)') },
};

const Progress = koffi.proto('bool hrm_progress_fn(int64_t done, int64_t total, void *user_data)');

module.exports = {
  ABI_MAJOR, API_VERSION, constants, structs, slots, Progress,
  Tensor, Blob, Descriptor, InstanceParams, RuntimeParams, PluginRecord, SessionParams, Result,
  EncoderSpec, SolveStats, Encoder, ModelSpec, Model, PolicySpec, Policy,
};
