/*
 * abi_layout.c - prints, as JSON, what the C compiler says about every struct the Python bindings
 * mirror (bindings/python/hrm/_abi.py): sizeof, _Alignof and the offset of each member, plus the
 * constants the bindings copy. tests/test_abi.py compares it with ctypes, so a header change that
 * the mirrors do not follow fails a test instead of corrupting memory at run time.
 *
 * When a struct gains a member, add a MEMBER line here and the field in _abi.py.
 */
#include <hrm/hrm.h>

#include <stddef.h>
#include <stdio.h>

static int g_first_struct = 1;
static int g_first_member;

static void begin(const char *name, size_t size, size_t align) {
    printf("%s\n    \"%s\": {\"size\": %zu, \"align\": %zu, \"members\": {", g_first_struct ? "" : ",", name, size, align);
    g_first_struct = 0;
    g_first_member = 1;
}

static void member(const char *name, size_t offset) {
    printf("%s\"%s\": %zu", g_first_member ? "" : ", ", name, offset);
    g_first_member = 0;
}

static void constant(const char *name, long long value, int last) {
    printf("\n    \"%s\": %lld%s", name, value, last ? "" : ",");
}

#define BEGIN(type) begin(#type, sizeof(type), _Alignof(type))
#define MEMBER(type, m) member(#m, offsetof(type, m))
#define END() printf("}}")
#define CONSTANT(c) constant(#c, (long long)(c), 0)
#define LAST_CONSTANT(c) constant(#c, (long long)(c), 1)

int main(void) {
    printf("{\n  \"structs\": {");

    BEGIN(hrm_tensor);
    MEMBER(hrm_tensor, data); MEMBER(hrm_tensor, dtype); MEMBER(hrm_tensor, ndim); MEMBER(hrm_tensor, shape);
    MEMBER(hrm_tensor, strides); MEMBER(hrm_tensor, device); MEMBER(hrm_tensor, device_id);
    MEMBER(hrm_tensor, byte_offset);
    END();

    BEGIN(hrm_blob);
    MEMBER(hrm_blob, data); MEMBER(hrm_blob, size);
    END();

    BEGIN(hrm_descriptor);
    MEMBER(hrm_descriptor, struct_size); MEMBER(hrm_descriptor, kind); MEMBER(hrm_descriptor, id);
    MEMBER(hrm_descriptor, name); MEMBER(hrm_descriptor, version); MEMBER(hrm_descriptor, vendor);
    MEMBER(hrm_descriptor, description); MEMBER(hrm_descriptor, url); MEMBER(hrm_descriptor, features);
    END();

    BEGIN(hrm_instance_params);
    MEMBER(hrm_instance_params, struct_size); MEMBER(hrm_instance_params, reserved);
    MEMBER(hrm_instance_params, config); MEMBER(hrm_instance_params, weights); MEMBER(hrm_instance_params, seed);
    END();

    BEGIN(hrm_runtime_params);
    MEMBER(hrm_runtime_params, struct_size); MEMBER(hrm_runtime_params, n_threads);
    MEMBER(hrm_runtime_params, plugin_path); MEMBER(hrm_runtime_params, log_fn);
    MEMBER(hrm_runtime_params, log_user_data); MEMBER(hrm_runtime_params, log_level);
    MEMBER(hrm_runtime_params, reserved);
    END();

    BEGIN(hrm_plugin_record);
    MEMBER(hrm_plugin_record, struct_size); MEMBER(hrm_plugin_record, api_version);
    MEMBER(hrm_plugin_record, abi_major); MEMBER(hrm_plugin_record, reserved); MEMBER(hrm_plugin_record, id);
    MEMBER(hrm_plugin_record, version); MEMBER(hrm_plugin_record, path);
    END();

    BEGIN(hrm_session_params);
    MEMBER(hrm_session_params, struct_size); MEMBER(hrm_session_params, n_threads);
    MEMBER(hrm_session_params, batch_size); MEMBER(hrm_session_params, shard_size);
    MEMBER(hrm_session_params, precision); MEMBER(hrm_session_params, reserved); MEMBER(hrm_session_params, seed);
    END();

    BEGIN(hrm_result);
    MEMBER(hrm_result, struct_size); MEMBER(hrm_result, segments); MEMBER(hrm_result, solution);
    MEMBER(hrm_result, q_halt); MEMBER(hrm_result, q_continue); MEMBER(hrm_result, verified);
    MEMBER(hrm_result, start); MEMBER(hrm_result, error); MEMBER(hrm_result, seconds);
    END();

    BEGIN(hrm_encoder_spec);
    MEMBER(hrm_encoder_spec, struct_size); MEMBER(hrm_encoder_spec, caps); MEMBER(hrm_encoder_spec, seq_len);
    MEMBER(hrm_encoder_spec, vocab_size); MEMBER(hrm_encoder_spec, pad_id); MEMBER(hrm_encoder_spec, ignore_label_id);
    MEMBER(hrm_encoder_spec, num_puzzle_identifiers); MEMBER(hrm_encoder_spec, num_augmentations);
    END();

    BEGIN(hrm_solve_stats);
    MEMBER(hrm_solve_stats, struct_size); MEMBER(hrm_solve_stats, reserved); MEMBER(hrm_solve_stats, solutions);
    MEMBER(hrm_solve_stats, rating);
    END();

    BEGIN(hrm_encoder);
    MEMBER(hrm_encoder, struct_size); MEMBER(hrm_encoder, api_version); MEMBER(hrm_encoder, desc);
    MEMBER(hrm_encoder, plugin_data); MEMBER(hrm_encoder, get_spec); MEMBER(hrm_encoder, split);
    MEMBER(hrm_encoder, encode); MEMBER(hrm_encoder, decode); MEMBER(hrm_encoder, verify);
    MEMBER(hrm_encoder, solve); MEMBER(hrm_encoder, generate); MEMBER(hrm_encoder, augment);
    MEMBER(hrm_encoder, render); MEMBER(hrm_encoder, get_extension); MEMBER(hrm_encoder, destroy);
    MEMBER(hrm_encoder, output_mask);
    END();

    BEGIN(hrm_model_spec);
    MEMBER(hrm_model_spec, struct_size); MEMBER(hrm_model_spec, default_precision); MEMBER(hrm_model_spec, seq_len);
    MEMBER(hrm_model_spec, prefix_len); MEMBER(hrm_model_spec, vocab_size); MEMBER(hrm_model_spec, hidden_size);
    MEMBER(hrm_model_spec, num_puzzle_identifiers); MEMBER(hrm_model_spec, h_cycles);
    MEMBER(hrm_model_spec, l_cycles); MEMBER(hrm_model_spec, halt_max_steps); MEMBER(hrm_model_spec, reserved);
    MEMBER(hrm_model_spec, n_params); MEMBER(hrm_model_spec, flops_per_segment); MEMBER(hrm_model_spec, config);
    END();

    BEGIN(hrm_reset_params);
    MEMBER(hrm_reset_params, struct_size); MEMBER(hrm_reset_params, noise_std); MEMBER(hrm_reset_params, row_seeds);
    END();

    BEGIN(hrm_param);
    MEMBER(hrm_param, struct_size); MEMBER(hrm_param, trainable); MEMBER(hrm_param, name); MEMBER(hrm_param, tensor);
    END();

    BEGIN(hrm_model);
    MEMBER(hrm_model, struct_size); MEMBER(hrm_model, api_version); MEMBER(hrm_model, desc);
    MEMBER(hrm_model, plugin_data); MEMBER(hrm_model, get_spec); MEMBER(hrm_model, state_create);
    MEMBER(hrm_model, state_free); MEMBER(hrm_model, reset); MEMBER(hrm_model, set_inputs);
    MEMBER(hrm_model, update); MEMBER(hrm_model, readout); MEMBER(hrm_model, param_count);
    MEMBER(hrm_model, param_get); MEMBER(hrm_model, get_extension); MEMBER(hrm_model, destroy);
    END();

    BEGIN(hrm_policy_spec);
    MEMBER(hrm_policy_spec, struct_size); MEMBER(hrm_policy_spec, needs); MEMBER(hrm_policy_spec, min_segments);
    MEMBER(hrm_policy_spec, max_segments); MEMBER(hrm_policy_spec, n_starts); MEMBER(hrm_policy_spec, start_noise);
    END();

    BEGIN(hrm_policy_row);
    MEMBER(hrm_policy_row, struct_size); MEMBER(hrm_policy_row, segment); MEMBER(hrm_policy_row, slot);
    MEMBER(hrm_policy_row, start); MEMBER(hrm_policy_row, verified); MEMBER(hrm_policy_row, q_halt);
    MEMBER(hrm_policy_row, q_continue); MEMBER(hrm_policy_row, prediction_hash);
    END();

    BEGIN(hrm_policy);
    MEMBER(hrm_policy, struct_size); MEMBER(hrm_policy, api_version); MEMBER(hrm_policy, desc);
    MEMBER(hrm_policy, plugin_data); MEMBER(hrm_policy, get_spec); MEMBER(hrm_policy, state_create);
    MEMBER(hrm_policy, state_free); MEMBER(hrm_policy, decide); MEMBER(hrm_policy, choose);
    MEMBER(hrm_policy, get_extension); MEMBER(hrm_policy, destroy);
    END();

    printf("\n  },\n  \"constants\": {");
    CONSTANT(HRM_ABI_MAJOR); CONSTANT(HRM_API_VERSION);
    CONSTANT(HRM_OK); CONSTANT(HRM_E_INVALID_ARG); CONSTANT(HRM_E_NOT_FOUND); CONSTANT(HRM_E_UNSUPPORTED);
    CONSTANT(HRM_E_VERSION); CONSTANT(HRM_E_PLUGIN); CONSTANT(HRM_E_IO); CONSTANT(HRM_E_FORMAT);
    CONSTANT(HRM_E_OUT_OF_MEMORY); CONSTANT(HRM_E_CANCELLED); CONSTANT(HRM_E_INTERNAL);
    CONSTANT(HRM_LOG_DEBUG); CONSTANT(HRM_LOG_INFO); CONSTANT(HRM_LOG_WARN); CONSTANT(HRM_LOG_ERROR);
    CONSTANT(HRM_DTYPE_I32); CONSTANT(HRM_DTYPE_I64); CONSTANT(HRM_DTYPE_U8); CONSTANT(HRM_DTYPE_F32);
    CONSTANT(HRM_DTYPE_F64); CONSTANT(HRM_DTYPE_BF16); CONSTANT(HRM_DEVICE_CPU); CONSTANT(HRM_MAX_DIMS);
    CONSTANT(HRM_KIND_MODEL); CONSTANT(HRM_KIND_ENCODER); CONSTANT(HRM_KIND_POLICY);
    CONSTANT(HRM_LEVEL_L); CONSTANT(HRM_LEVEL_H); CONSTANT(HRM_PRECISION_FP32); CONSTANT(HRM_PRECISION_BF16);
    CONSTANT(HRM_ENCODER_CAN_SOLVE); CONSTANT(HRM_ENCODER_CAN_GENERATE); CONSTANT(HRM_ENCODER_CAN_AUGMENT);
    CONSTANT(HRM_ENCODER_CAN_RENDER); CONSTANT(HRM_RENDER_TEXT); CONSTANT(HRM_RENDER_ANSI);
    CONSTANT(HRM_RENDER_SVG); CONSTANT(HRM_POLICY_NEEDS_PREDICTIONS);
    LAST_CONSTANT(HRM_POLICY_NEEDS_VERIFY);
    printf("\n  }\n}\n");
    return 0;
}
