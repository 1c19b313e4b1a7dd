/*
 * hrm_model.h - reasoning-model instances (HRM, TRM, transformer baselines).
 *
 * The model exposes its recurrence as single steps; the SDK's scheduler drives the loops. One ACT
 * segment of a state is:
 *     for h in 0 .. h_cycles-1:
 *         for l in 0 .. l_cycles-1:  update(HRM_LEVEL_L)
 *         update(HRM_LEVEL_H)
 *     readout(...)
 * which for HRM is the reference order L,L,H,L,L,H (2x2 cycles). Between segments the state keeps
 * its carry; rows restart from the initial state only through reset().
 *
 * Weights are immutable after create; all mutable data lives in hrm_state, so different states of
 * one model may be stepped concurrently by different threads.
 */
#ifndef HRM_MODEL_H
#define HRM_MODEL_H

#include "hrm_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t hrm_level;
enum { HRM_LEVEL_L = 0, HRM_LEVEL_H = 1 };   /* fast (low) and slow (high) module */

typedef int32_t hrm_precision;
enum {
    HRM_PRECISION_FP32 = 0,   /* reference mode: fp32 everywhere */
    HRM_PRECISION_BF16 = 1,   /* the reference's forward dtype: bf16 storage, fp32 accumulation */
    HRM_PRECISION_INT8 = 2    /* appended constant (docs/c-api.md changelog): inference only, int8 weights
                               * per output channel, int8 activations per row, int32 accumulation, fp32
                               * between the products (docs/kernels.md). A model without it, and the
                               * training extension, refuse it with HRM_E_UNSUPPORTED. */
};

/* What a model consumes and produces. Filled by get_spec. */
typedef struct hrm_model_spec {
    uint32_t struct_size;
    hrm_precision default_precision;
    int64_t seq_len;                 /* S: task tokens per instance */
    int64_t prefix_len;              /* P: puzzle-embedding positions in front of the tokens */
    int64_t vocab_size;              /* V */
    int64_t hidden_size;
    int64_t num_puzzle_identifiers;  /* rows of the puzzle-embedding table (ids must be < this) */
    int32_t h_cycles;                /* recurrence schedule of one segment (see above) */
    int32_t l_cycles;
    int32_t halt_max_steps;          /* the reference's segment budget (evaluation runs exactly this) */
    int32_t reserved;
    int64_t n_params;                /* trainable parameters, puzzle embedding excluded (reference count) */
    double flops_per_segment;        /* forward FLOPs of one segment of one instance */
    const char *config;              /* the model's full TOML config; owned by the model, valid until destroy */
} hrm_model_spec;

/* Optional per-row perturbation of the initial state (multi-start refinement). */
typedef struct hrm_reset_params {
    uint32_t struct_size;
    float noise_std;                 /* Gaussian noise added to the initial carry; 0 = reference init */
    const uint64_t *row_seeds;       /* [batch] seeds, one per row, borrowed for the call; may be NULL if noise_std == 0 */
} hrm_reset_params;

/* A named parameter (or persistent buffer) of the model, for checkpointing and inspection. */
typedef struct hrm_param {
    uint32_t struct_size;
    int32_t trainable;               /* 1 for parameters, 0 for buffers (H_init, puzzle_emb.weights) */
    const char *name;                /* reference state-dict key, "inner." prefix kept: "inner.H_init" */
    hrm_tensor tensor;               /* view of the stored values (fp32 or bf16); owned by the model, valid until destroy */
} hrm_param;

typedef struct hrm_state hrm_state;  /* opaque, defined by the plugin: carry, inputs, scratch */

typedef struct hrm_model {
    uint32_t struct_size;
    uint32_t api_version;
    const hrm_descriptor *desc;      /* owned by the plugin */
    void *plugin_data;

    /* [thread-safe] Fill *out (caller sets out->struct_size). */
    hrm_status *(HRM_ABI *get_spec)(const struct hrm_model *self, hrm_model_spec *out);

    /* [thread-safe] A state of `batch` rows computing in `precision`. Rows start un-initialised:
     * call reset and set_inputs before the first update. Freed with state_free. */
    hrm_status *(HRM_ABI *state_create)(const struct hrm_model *self, int64_t batch, hrm_precision precision,
                                        hrm_state **out);
    /* [thread-safe, but not concurrently with calls on the same state] Accepts NULL. */
    void (HRM_ABI *state_free)(const struct hrm_model *self, hrm_state *state);

    /* [state-serial] Restart the rows whose mask byte is non-zero (mask: [batch] U8, NULL = all rows)
     * from the initial carry (H_init / L_init), optionally perturbed (params may be NULL). */
    hrm_status *(HRM_ABI *reset)(const struct hrm_model *self, hrm_state *state, const hrm_tensor *mask,
                                 const hrm_reset_params *params);
    /* [state-serial] Set the inputs of the masked rows (mask NULL = all): tokens [batch, S] I32 in
     * [0, V), puzzle_ids [batch] I32 (NULL = all zero). The model embeds them here. */
    hrm_status *(HRM_ABI *set_inputs)(const struct hrm_model *self, hrm_state *state, const hrm_tensor *mask,
                                      const hrm_tensor *tokens, const hrm_tensor *puzzle_ids);
    /* [state-serial] One update of one module for every row of the state. */
    hrm_status *(HRM_ABI *update)(const struct hrm_model *self, hrm_state *state, hrm_level level);
    /* [state-serial] Read the current outputs of every row into caller-allocated tensors; each may be
     * NULL: logits [batch, S, V] F32, predictions (argmax, first max wins) [batch, S] I32,
     * q [batch, 2] F32 as (q_halt, q_continue) logits. A model without a continue head (TRM) writes
     * q_continue = 0, so "halt when q_halt > q_continue" is its rule q_halt > 0. */
    hrm_status *(HRM_ABI *readout)(const struct hrm_model *self, hrm_state *state, hrm_tensor *logits,
                                   hrm_tensor *predictions, hrm_tensor *q);

    /* [thread-safe] Number of entries param_get serves. */
    int64_t (HRM_ABI *param_count)(const struct hrm_model *self);
    /* [thread-safe] Entry index (< param_count) into *out (caller sets out->struct_size). */
    hrm_status *(HRM_ABI *param_get)(const struct hrm_model *self, int64_t index, hrm_param *out);

    /* [thread-safe] Optional extension by id, or NULL. Known ids: HRM_EXT_TRAIN (ext/draft/train.h). */
    const void *(HRM_ABI *get_extension)(const struct hrm_model *self, const char *id);
    /* [control] Release the instance. Every state must have been freed. */
    void (HRM_ABI *destroy)(const struct hrm_model *self);
} hrm_model;

/* [state-serial] One ACT segment of every row of state: the schedule at the top of this header,
 * written once so hosts do not re-derive it. Stops at the first failing update. */
static inline hrm_status *hrm_model_run_segment(const hrm_model *model, hrm_state *state, int32_t h_cycles,
                                                int32_t l_cycles) {
    int32_t h, l;
    hrm_status *status = NULL;
    for (h = 0; h < h_cycles; ++h) {
        for (l = 0; l < l_cycles; ++l)
            if ((status = model->update(model, state, HRM_LEVEL_L)) != NULL) return status;
        if ((status = model->update(model, state, HRM_LEVEL_H)) != NULL) return status;
    }
    return NULL;
}

#ifdef __cplusplus
}
#endif

#endif /* HRM_MODEL_H */
