/*
 * layout_v1.c - FROZEN layout of every public struct of ABI major 1 on x86_64 (LP64, System V).
 *
 * If an assert here fires, a change moved or resized something that compiled plugins and bindings
 * (Python ctypes mirrors) depend on: that is an ABI break. Undo it, or append the new member at
 * the end of the struct (size-tagged structs only), bump HRM_API_VERSION and ADD lines for it
 * here; never edit an existing line. New structs get new lines.
 *
 * Compiled as C11 by tests/abi (the build is the test); also run as a program that prints a line.
 */
#include <hrm/hrm.h>
#include <hrm/ext/draft/train.h>

#include <stddef.h>
#include <stdio.h>

#if !defined(__x86_64__) || !defined(__LP64__)
#  error "layout_v1.c records the x86_64 layout; add a file for other targets"
#endif

#define LAYOUT_SIZE(type, size, align)                                            \
    _Static_assert(sizeof(type) == (size), #type ": size changed (ABI break)");   \
    _Static_assert(_Alignof(type) == (align), #type ": alignment changed (ABI break)")
#define LAYOUT_MEMBER(type, member, offset) \
    _Static_assert(offsetof(type, member) == (offset), #type "." #member ": offset changed (ABI break)")

/* The version macros of ABI major 1. */
_Static_assert(HRM_ABI_MAJOR == 1, "HRM_ABI_MAJOR changed: write layout_v2.c");
_Static_assert(HRM_ABI_MAJOR_MIN >= 1 && HRM_ABI_MAJOR_MIN <= HRM_ABI_MAJOR, "bad HRM_ABI_MAJOR_MIN");
_Static_assert(HRM_API_VERSION >= 1, "HRM_API_VERSION only grows");

/* Enum-valued fields are int32_t, never an enum type: their constants are frozen too. */
_Static_assert(HRM_OK == 0 && HRM_E_INVALID_ARG == 1 && HRM_E_NOT_FOUND == 2 && HRM_E_UNSUPPORTED == 3 &&
                   HRM_E_VERSION == 4 && HRM_E_PLUGIN == 5 && HRM_E_IO == 6 && HRM_E_FORMAT == 7 &&
                   HRM_E_OUT_OF_MEMORY == 8 && HRM_E_CANCELLED == 9 && HRM_E_INTERNAL == 10,
               "status codes changed");
_Static_assert(HRM_KIND_MODEL == 1 && HRM_KIND_ENCODER == 2 && HRM_KIND_POLICY == 3, "kinds changed");
_Static_assert(HRM_DTYPE_I32 == 32 && HRM_DTYPE_I64 == 64 && HRM_DTYPE_U8 == 264 && HRM_DTYPE_F32 == 544 &&
                   HRM_DTYPE_F64 == 576 && HRM_DTYPE_BF16 == 1040,
               "dtype codes changed (they are DLPack's)");
_Static_assert(HRM_LOG_DEBUG == 0 && HRM_LOG_INFO == 1 && HRM_LOG_WARN == 2 && HRM_LOG_ERROR == 3, "log levels changed");
_Static_assert(HRM_MAX_DIMS == 8, "HRM_MAX_DIMS changed");
_Static_assert(HRM_DEVICE_CPU == 1, "device codes changed (they are DLPack's)");
_Static_assert(HRM_LEVEL_L == 0 && HRM_LEVEL_H == 1, "levels changed");
_Static_assert(HRM_PRECISION_FP32 == 0 && HRM_PRECISION_BF16 == 1, "precisions changed");
_Static_assert(HRM_PRECISION_INT8 == 2, "precisions changed (INT8 appended in API 1)");
_Static_assert(HRM_ENCODER_CAN_SOLVE == 1 && HRM_ENCODER_CAN_GENERATE == 2 && HRM_ENCODER_CAN_AUGMENT == 4 &&
                   HRM_ENCODER_CAN_RENDER == 8,
               "encoder caps changed");
_Static_assert(HRM_ENCODER_CAN_MASK == 16, "encoder caps changed");   /* since API 2 */
_Static_assert(HRM_RENDER_TEXT == 0 && HRM_RENDER_ANSI == 1 && HRM_RENDER_SVG == 2, "render formats changed");
_Static_assert(HRM_POLICY_NEEDS_PREDICTIONS == 1 && HRM_POLICY_NEEDS_VERIFY == 2, "policy needs changed");

/* hrm_tensor (hrm_base.h) */
LAYOUT_SIZE(hrm_tensor, 48, 8);
LAYOUT_MEMBER(hrm_tensor, data, 0);
LAYOUT_MEMBER(hrm_tensor, dtype, 8);
LAYOUT_MEMBER(hrm_tensor, ndim, 12);
LAYOUT_MEMBER(hrm_tensor, shape, 16);
LAYOUT_MEMBER(hrm_tensor, strides, 24);
LAYOUT_MEMBER(hrm_tensor, device, 32);
LAYOUT_MEMBER(hrm_tensor, device_id, 36);
LAYOUT_MEMBER(hrm_tensor, byte_offset, 40);

/* hrm_blob (hrm_base.h) */
LAYOUT_SIZE(hrm_blob, 16, 8);
LAYOUT_MEMBER(hrm_blob, data, 0);
LAYOUT_MEMBER(hrm_blob, size, 8);

/* hrm_descriptor (hrm_base.h) */
LAYOUT_SIZE(hrm_descriptor, 64, 8);
LAYOUT_MEMBER(hrm_descriptor, struct_size, 0);
LAYOUT_MEMBER(hrm_descriptor, kind, 4);
LAYOUT_MEMBER(hrm_descriptor, id, 8);
LAYOUT_MEMBER(hrm_descriptor, name, 16);
LAYOUT_MEMBER(hrm_descriptor, version, 24);
LAYOUT_MEMBER(hrm_descriptor, vendor, 32);
LAYOUT_MEMBER(hrm_descriptor, description, 40);
LAYOUT_MEMBER(hrm_descriptor, url, 48);
LAYOUT_MEMBER(hrm_descriptor, features, 56);

/* hrm_instance_params (hrm_base.h) */
LAYOUT_SIZE(hrm_instance_params, 32, 8);
LAYOUT_MEMBER(hrm_instance_params, struct_size, 0);
LAYOUT_MEMBER(hrm_instance_params, reserved, 4);
LAYOUT_MEMBER(hrm_instance_params, config, 8);
LAYOUT_MEMBER(hrm_instance_params, weights, 16);
LAYOUT_MEMBER(hrm_instance_params, seed, 24);

/* hrm_host (hrm_plugin.h) */
LAYOUT_SIZE(hrm_host, 64, 8);
LAYOUT_MEMBER(hrm_host, struct_size, 0);
LAYOUT_MEMBER(hrm_host, api_version, 4);
LAYOUT_MEMBER(hrm_host, host_data, 8);
LAYOUT_MEMBER(hrm_host, status_create, 16);
LAYOUT_MEMBER(hrm_host, log, 24);
LAYOUT_MEMBER(hrm_host, alloc, 32);
LAYOUT_MEMBER(hrm_host, free, 40);
LAYOUT_MEMBER(hrm_host, parallel_for, 48);
LAYOUT_MEMBER(hrm_host, get_extension, 56);

/* hrm_loader_info (hrm_plugin.h) */
LAYOUT_SIZE(hrm_loader_info, 24, 8);
LAYOUT_MEMBER(hrm_loader_info, struct_size, 0);
LAYOUT_MEMBER(hrm_loader_info, abi_major_min, 4);
LAYOUT_MEMBER(hrm_loader_info, abi_major_max, 8);
LAYOUT_MEMBER(hrm_loader_info, api_version, 12);
LAYOUT_MEMBER(hrm_loader_info, host, 16);

/* hrm_plugin_info (hrm_plugin.h) */
LAYOUT_SIZE(hrm_plugin_info, 56, 8);
LAYOUT_MEMBER(hrm_plugin_info, struct_size, 0);
LAYOUT_MEMBER(hrm_plugin_info, abi_major, 4);
LAYOUT_MEMBER(hrm_plugin_info, api_version, 8);
LAYOUT_MEMBER(hrm_plugin_info, reserved, 12);
LAYOUT_MEMBER(hrm_plugin_info, plugin_id, 16);
LAYOUT_MEMBER(hrm_plugin_info, plugin_version, 24);
LAYOUT_MEMBER(hrm_plugin_info, init, 32);
LAYOUT_MEMBER(hrm_plugin_info, deinit, 40);
LAYOUT_MEMBER(hrm_plugin_info, get_factory, 48);

/* hrm_factory (hrm_plugin.h) */
LAYOUT_SIZE(hrm_factory, 40, 8);
LAYOUT_MEMBER(hrm_factory, struct_size, 0);
LAYOUT_MEMBER(hrm_factory, api_version, 4);
LAYOUT_MEMBER(hrm_factory, factory_data, 8);
LAYOUT_MEMBER(hrm_factory, count, 16);
LAYOUT_MEMBER(hrm_factory, get_descriptor, 24);
LAYOUT_MEMBER(hrm_factory, create, 32);

/* hrm_model_spec (hrm_model.h) */
LAYOUT_SIZE(hrm_model_spec, 88, 8);
LAYOUT_MEMBER(hrm_model_spec, struct_size, 0);
LAYOUT_MEMBER(hrm_model_spec, default_precision, 4);
LAYOUT_MEMBER(hrm_model_spec, seq_len, 8);
LAYOUT_MEMBER(hrm_model_spec, prefix_len, 16);
LAYOUT_MEMBER(hrm_model_spec, vocab_size, 24);
LAYOUT_MEMBER(hrm_model_spec, hidden_size, 32);
LAYOUT_MEMBER(hrm_model_spec, num_puzzle_identifiers, 40);
LAYOUT_MEMBER(hrm_model_spec, h_cycles, 48);
LAYOUT_MEMBER(hrm_model_spec, l_cycles, 52);
LAYOUT_MEMBER(hrm_model_spec, halt_max_steps, 56);
LAYOUT_MEMBER(hrm_model_spec, reserved, 60);
LAYOUT_MEMBER(hrm_model_spec, n_params, 64);
LAYOUT_MEMBER(hrm_model_spec, flops_per_segment, 72);
LAYOUT_MEMBER(hrm_model_spec, config, 80);

/* hrm_reset_params (hrm_model.h) */
LAYOUT_SIZE(hrm_reset_params, 16, 8);
LAYOUT_MEMBER(hrm_reset_params, struct_size, 0);
LAYOUT_MEMBER(hrm_reset_params, noise_std, 4);
LAYOUT_MEMBER(hrm_reset_params, row_seeds, 8);

/* hrm_param (hrm_model.h) */
LAYOUT_SIZE(hrm_param, 64, 8);
LAYOUT_MEMBER(hrm_param, struct_size, 0);
LAYOUT_MEMBER(hrm_param, trainable, 4);
LAYOUT_MEMBER(hrm_param, name, 8);
LAYOUT_MEMBER(hrm_param, tensor, 16);

/* hrm_model (hrm_model.h) */
LAYOUT_SIZE(hrm_model, 112, 8);
LAYOUT_MEMBER(hrm_model, struct_size, 0);
LAYOUT_MEMBER(hrm_model, api_version, 4);
LAYOUT_MEMBER(hrm_model, desc, 8);
LAYOUT_MEMBER(hrm_model, plugin_data, 16);
LAYOUT_MEMBER(hrm_model, get_spec, 24);
LAYOUT_MEMBER(hrm_model, state_create, 32);
LAYOUT_MEMBER(hrm_model, state_free, 40);
LAYOUT_MEMBER(hrm_model, reset, 48);
LAYOUT_MEMBER(hrm_model, set_inputs, 56);
LAYOUT_MEMBER(hrm_model, update, 64);
LAYOUT_MEMBER(hrm_model, readout, 72);
LAYOUT_MEMBER(hrm_model, param_count, 80);
LAYOUT_MEMBER(hrm_model, param_get, 88);
LAYOUT_MEMBER(hrm_model, get_extension, 96);
LAYOUT_MEMBER(hrm_model, destroy, 104);

/* hrm_encoder_spec (hrm_encoder.h) */
LAYOUT_SIZE(hrm_encoder_spec, 48, 8);
LAYOUT_MEMBER(hrm_encoder_spec, struct_size, 0);
LAYOUT_MEMBER(hrm_encoder_spec, caps, 4);
LAYOUT_MEMBER(hrm_encoder_spec, seq_len, 8);
LAYOUT_MEMBER(hrm_encoder_spec, vocab_size, 16);
LAYOUT_MEMBER(hrm_encoder_spec, pad_id, 24);
LAYOUT_MEMBER(hrm_encoder_spec, ignore_label_id, 28);
LAYOUT_MEMBER(hrm_encoder_spec, num_puzzle_identifiers, 32);
LAYOUT_MEMBER(hrm_encoder_spec, num_augmentations, 40);

/* hrm_solve_stats (hrm_encoder.h) */
LAYOUT_SIZE(hrm_solve_stats, 24, 8);
LAYOUT_MEMBER(hrm_solve_stats, struct_size, 0);
LAYOUT_MEMBER(hrm_solve_stats, reserved, 4);
LAYOUT_MEMBER(hrm_solve_stats, solutions, 8);
LAYOUT_MEMBER(hrm_solve_stats, rating, 16);

/* hrm_encoder (hrm_encoder.h) */
/* 112 through API 1 (destroy ends there); API 2 appended output_mask. */
LAYOUT_SIZE(hrm_encoder, 120, 8);
LAYOUT_MEMBER(hrm_encoder, struct_size, 0);
LAYOUT_MEMBER(hrm_encoder, api_version, 4);
LAYOUT_MEMBER(hrm_encoder, desc, 8);
LAYOUT_MEMBER(hrm_encoder, plugin_data, 16);
LAYOUT_MEMBER(hrm_encoder, get_spec, 24);
LAYOUT_MEMBER(hrm_encoder, split, 32);
LAYOUT_MEMBER(hrm_encoder, encode, 40);
LAYOUT_MEMBER(hrm_encoder, decode, 48);
LAYOUT_MEMBER(hrm_encoder, verify, 56);
LAYOUT_MEMBER(hrm_encoder, solve, 64);
LAYOUT_MEMBER(hrm_encoder, generate, 72);
LAYOUT_MEMBER(hrm_encoder, augment, 80);
LAYOUT_MEMBER(hrm_encoder, render, 88);
LAYOUT_MEMBER(hrm_encoder, get_extension, 96);
LAYOUT_MEMBER(hrm_encoder, destroy, 104);
LAYOUT_MEMBER(hrm_encoder, output_mask, 112);   /* since API 2 */

/* hrm_policy_spec (hrm_policy.h) */
LAYOUT_SIZE(hrm_policy_spec, 24, 4);
LAYOUT_MEMBER(hrm_policy_spec, struct_size, 0);
LAYOUT_MEMBER(hrm_policy_spec, needs, 4);
LAYOUT_MEMBER(hrm_policy_spec, min_segments, 8);
LAYOUT_MEMBER(hrm_policy_spec, max_segments, 12);
LAYOUT_MEMBER(hrm_policy_spec, n_starts, 16);
LAYOUT_MEMBER(hrm_policy_spec, start_noise, 20);

/* hrm_policy_row (hrm_policy.h) */
LAYOUT_SIZE(hrm_policy_row, 40, 8);
LAYOUT_MEMBER(hrm_policy_row, struct_size, 0);
LAYOUT_MEMBER(hrm_policy_row, segment, 4);
LAYOUT_MEMBER(hrm_policy_row, slot, 8);
LAYOUT_MEMBER(hrm_policy_row, start, 16);
LAYOUT_MEMBER(hrm_policy_row, verified, 20);
LAYOUT_MEMBER(hrm_policy_row, q_halt, 24);
LAYOUT_MEMBER(hrm_policy_row, q_continue, 28);
LAYOUT_MEMBER(hrm_policy_row, prediction_hash, 32);

/* hrm_policy (hrm_policy.h) */
LAYOUT_SIZE(hrm_policy, 80, 8);
LAYOUT_MEMBER(hrm_policy, struct_size, 0);
LAYOUT_MEMBER(hrm_policy, api_version, 4);
LAYOUT_MEMBER(hrm_policy, desc, 8);
LAYOUT_MEMBER(hrm_policy, plugin_data, 16);
LAYOUT_MEMBER(hrm_policy, get_spec, 24);
LAYOUT_MEMBER(hrm_policy, state_create, 32);
LAYOUT_MEMBER(hrm_policy, state_free, 40);
LAYOUT_MEMBER(hrm_policy, decide, 48);
LAYOUT_MEMBER(hrm_policy, choose, 56);
LAYOUT_MEMBER(hrm_policy, get_extension, 64);
LAYOUT_MEMBER(hrm_policy, destroy, 72);

/* hrm_runtime_params (hrm.h) */
LAYOUT_SIZE(hrm_runtime_params, 40, 8);
LAYOUT_MEMBER(hrm_runtime_params, struct_size, 0);
LAYOUT_MEMBER(hrm_runtime_params, n_threads, 4);
LAYOUT_MEMBER(hrm_runtime_params, plugin_path, 8);
LAYOUT_MEMBER(hrm_runtime_params, log_fn, 16);
LAYOUT_MEMBER(hrm_runtime_params, log_user_data, 24);
LAYOUT_MEMBER(hrm_runtime_params, log_level, 32);
LAYOUT_MEMBER(hrm_runtime_params, reserved, 36);

/* hrm_plugin_record (hrm.h) */
LAYOUT_SIZE(hrm_plugin_record, 40, 8);
LAYOUT_MEMBER(hrm_plugin_record, struct_size, 0);
LAYOUT_MEMBER(hrm_plugin_record, api_version, 4);
LAYOUT_MEMBER(hrm_plugin_record, abi_major, 8);
LAYOUT_MEMBER(hrm_plugin_record, reserved, 12);
LAYOUT_MEMBER(hrm_plugin_record, id, 16);
LAYOUT_MEMBER(hrm_plugin_record, version, 24);
LAYOUT_MEMBER(hrm_plugin_record, path, 32);

/* hrm_session_params (hrm.h) */
LAYOUT_SIZE(hrm_session_params, 40, 8);
LAYOUT_MEMBER(hrm_session_params, struct_size, 0);
LAYOUT_MEMBER(hrm_session_params, n_threads, 4);
LAYOUT_MEMBER(hrm_session_params, batch_size, 8);
LAYOUT_MEMBER(hrm_session_params, shard_size, 16);
LAYOUT_MEMBER(hrm_session_params, precision, 24);
LAYOUT_MEMBER(hrm_session_params, reserved, 28);
LAYOUT_MEMBER(hrm_session_params, seed, 32);

/* hrm_result (hrm.h) */
LAYOUT_SIZE(hrm_result, 56, 8);
LAYOUT_MEMBER(hrm_result, struct_size, 0);
LAYOUT_MEMBER(hrm_result, segments, 4);
LAYOUT_MEMBER(hrm_result, solution, 8);
LAYOUT_MEMBER(hrm_result, q_halt, 24);
LAYOUT_MEMBER(hrm_result, q_continue, 28);
LAYOUT_MEMBER(hrm_result, verified, 32);
LAYOUT_MEMBER(hrm_result, start, 36);
LAYOUT_MEMBER(hrm_result, error, 40);
LAYOUT_MEMBER(hrm_result, seconds, 48);

/* hrm_model_train_ext (ext/draft/train.h; a draft: it grows by appending, readers check struct_size) */
LAYOUT_SIZE(hrm_model_train_ext, 80, 8);
LAYOUT_MEMBER(hrm_model_train_ext, struct_size, 0);
LAYOUT_MEMBER(hrm_model_train_ext, api_version, 4);
LAYOUT_MEMBER(hrm_model_train_ext, segment_forward, 8);
LAYOUT_MEMBER(hrm_model_train_ext, segment_backward, 16);
LAYOUT_MEMBER(hrm_model_train_ext, grad_zero, 24);
LAYOUT_MEMBER(hrm_model_train_ext, grad_get, 32);
LAYOUT_MEMBER(hrm_model_train_ext, puzzle_grad_get, 40);
LAYOUT_MEMBER(hrm_model_train_ext, params_changed, 48);
LAYOUT_MEMBER(hrm_model_train_ext, carry_count, 56);
LAYOUT_MEMBER(hrm_model_train_ext, carry_get, 64);
LAYOUT_MEMBER(hrm_model_train_ext, train_flags, 72);
_Static_assert(HRM_TRAIN_NO_Q_CONTINUE == 1, "train_flags bits changed");

int main(void) {
    printf("hrm ABI %d, API %d: layout v1 holds\n", HRM_ABI_MAJOR, HRM_API_VERSION);
    return 0;
}
