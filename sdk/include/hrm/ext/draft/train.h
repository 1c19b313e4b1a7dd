/*
 * ext/draft/train.h - DRAFT extension: training a model through the ABI.
 *
 * Draft: the id may still change revision before it is declared stable; the [train] engine is its
 * first user. A model that supports training returns this table from
 * get_extension(HRM_EXT_TRAIN). The engine owns the optimizer: it reads gradients from the states,
 * updates the fp32 master values in place through the hrm_param views (writable for models that
 * implement this extension), then calls params_changed.
 *
 * Parameters: the trainable entries of param_get (trainable = 1) are F32 master values and have a
 * gradient (grad_get). The puzzle-embedding table, when the model has one, is the param_get entry
 * named "inner.puzzle_emb.weights" (trainable = 0, F32 [num_puzzle_identifiers, puzzle_emb_ndim]);
 * the engine updates it with the reference's sparse SignSGD from puzzle_grad_get (spec 3.5).
 * Inputs: set_inputs embeds with the current weights, so the engine calls it for every row before
 * each segment (the reference re-embeds on every forward).
 */
#ifndef HRM_EXT_DRAFT_TRAIN_H
#define HRM_EXT_DRAFT_TRAIN_H

#include "../../hrm_model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HRM_EXT_TRAIN "hrm.ext.draft.train/1"

typedef struct hrm_model_train_ext {
    uint32_t struct_size;
    uint32_t api_version;
    /* [state-serial] One ACT segment with the reference's one-step gradient: the recurrence runs
     * without keeping activations except for the last L and H updates (the carry stays detached).
     * Writes logits [batch, S, V] F32 and q [batch, 2] F32 (both required). */
    hrm_status *(HRM_ABI *segment_forward)(const hrm_model *self, hrm_state *state, hrm_tensor *logits,
                                           hrm_tensor *q);
    /* [state-serial] Back-propagate d(loss)/d(logits) [batch, S, V] F32 and d(loss)/d(q) [batch, 2]
     * F32 of the last segment_forward, ACCUMULATING into the state's gradient buffers. */
    hrm_status *(HRM_ABI *segment_backward)(const hrm_model *self, hrm_state *state, const hrm_tensor *dlogits,
                                            const hrm_tensor *dq);
    /* [state-serial] Zero the state's gradient buffers. */
    hrm_status *(HRM_ABI *grad_zero)(const hrm_model *self, hrm_state *state);
    /* [state-serial] View of the gradient of trainable parameter index (same numbering as
     * param_get), owned by the state, valid until the next call on it. */
    hrm_status *(HRM_ABI *grad_get)(const hrm_model *self, hrm_state *state, int64_t index, hrm_tensor *out);
    /* [state-serial] Gradient of the puzzle-embedding rows of the state's rows: [batch, D] F32 view,
     * owned by the state (the sparse SignSGD update needs only these rows). */
    hrm_status *(HRM_ABI *puzzle_grad_get)(const hrm_model *self, hrm_state *state, hrm_tensor *out);
    /* [control] Master values changed in place: rebuild derived copies (bf16 packs). No state may be
     * stepped concurrently. */
    hrm_status *(HRM_ABI *params_changed)(const hrm_model *self);

    /* Draft addition for the training engine (sdk/train): the ACT bootstrap target of the reference
     * (spec 2.2) is a second forward on the NEW carry that must not advance the training carry, and
     * an exact resume needs the carry in the checkpoint. Both are served by views of the carry. */
    /* [thread-safe] Number of carry tensors of every state (HRM: 2, z_H and z_L). */
    int64_t (HRM_ABI *carry_count)(const hrm_model *self);
    /* [state-serial] Carry tensor index (< carry_count) of the state, all rows, dim 0 = batch, in
     * the state's precision (HRM: [batch, P+S, D] F32 or BF16), into *out (caller sets
     * out->struct_size; trainable = 0, name e.g. "z_H"). The view is owned by the state, WRITABLE,
     * and valid until the next call on the state. Writing it sets the carry: a state whose rows are
     * reset once and then get a copied carry and set_inputs continues exactly like the source. */
    hrm_status *(HRM_ABI *carry_get)(const hrm_model *self, hrm_state *state, int64_t index, hrm_param *out);

    /* Draft addition for models whose ACT differs from the reference HRM's Q-learning (TRM). Readers
     * check struct_size before using it; absent or NULL means 0. */
    /* [thread-safe] HRM_TRAIN_* flags of the instance (below). */
    uint32_t (HRM_ABI *train_flags)(const hrm_model *self);
} hrm_model_train_ext;

/* train_flags bits. */
enum {
    /* The model has a halting head only (TRM's no_ACT_continue): readout and segment_forward write
     * q_continue = 0, so the halting rule q_halt > q_continue is q_halt > 0; the engine computes no
     * bootstrap target and no continue loss, and the model ignores dq[:, 1]. */
    HRM_TRAIN_NO_Q_CONTINUE = 1u
};

#ifdef __cplusplus
}
#endif

#endif /* HRM_EXT_DRAFT_TRAIN_H */
