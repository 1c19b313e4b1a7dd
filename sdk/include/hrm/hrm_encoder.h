/*
 * hrm_encoder.h - task-encoder instances: everything that knows a task's format.
 *
 * An instance is the text (or bytes) of one puzzle in the task's own format, optionally with its
 * solution (e.g. a sudoku-extreme CSV line): split() cuts a file into instances, encode() turns
 * one into model tokens (and labels when it carries a solution), decode() turns predicted tokens
 * back into a solution in the task's format, verify() checks a solution. Optional slots (solve,
 * generate, augment, render, output_mask) may be NULL; get_spec's caps says which are present.
 *
 * encode, decode, verify, solve, generate, augment, render and output_mask are pure functions of
 * their inputs: [thread-safe]. Error statuses for bad instances name the problem and the position.
 */
#ifndef HRM_ENCODER_H
#define HRM_ENCODER_H

#include "hrm_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t hrm_encoder_caps;
enum {
    HRM_ENCODER_CAN_SOLVE = 1u << 0,    /* solve: an exact oracle */
    HRM_ENCODER_CAN_GENERATE = 1u << 1, /* generate: seeded instances with solutions */
    HRM_ENCODER_CAN_AUGMENT = 1u << 2,  /* augment: invertible, validity-preserving transforms */
    HRM_ENCODER_CAN_RENDER = 1u << 3,   /* render: terminal and SVG pictures */
    HRM_ENCODER_CAN_MASK = 1u << 4      /* output_mask: the valid output tokens (since API 2) */
};

typedef struct hrm_encoder_spec {
    uint32_t struct_size;
    hrm_encoder_caps caps;
    int64_t seq_len;                 /* S: tokens per instance */
    int64_t vocab_size;              /* V */
    int32_t pad_id;                  /* token of padding (reference: 0) */
    int32_t ignore_label_id;         /* label value that is not scored (reference: 0), or -1 for none */
    int64_t num_puzzle_identifiers;  /* 1 for tasks with one shared puzzle embedding */
    int64_t num_augmentations;       /* distinct augmentations (0 = unbounded / seeded) */
} hrm_encoder_spec;

typedef struct hrm_solve_stats {
    uint32_t struct_size;
    int32_t reserved;
    int64_t solutions;               /* solutions found, capped at 2 (2 = not unique) */
    double rating;                   /* difficulty: search effort (nodes, guesses) of the oracle */
} hrm_solve_stats;

typedef int32_t hrm_render_format;
enum { HRM_RENDER_TEXT = 0, HRM_RENDER_ANSI = 1, HRM_RENDER_SVG = 2 };

typedef struct hrm_encoder {
    uint32_t struct_size;
    uint32_t api_version;
    const hrm_descriptor *desc;
    void *plugin_data;

    /* [thread-safe] Fill *out (caller sets out->struct_size). */
    hrm_status *(HRM_ABI *get_spec)(const struct hrm_encoder *self, hrm_encoder_spec *out);

    /* [thread-safe] Find the next instance in text at or after *offset, skipping blank lines,
     * comments and headers. On success *record is a slice of text (borrowed from it) and *offset
     * moves past it; at the end of text record->data is NULL and record->size 0. Splitting never
     * validates: a malformed record is still returned, and encode reports what is wrong with it. */
    hrm_status *(HRM_ABI *split)(const struct hrm_encoder *self, const hrm_blob *text, size_t *offset,
                                 hrm_blob *record);
    /* [thread-safe] Encode one instance: tokens [S] I32 (caller-allocated). labels [S] I32 may be
     * NULL; when given, *has_labels (may be NULL) says whether the instance carried a solution and
     * labels were written. puzzle_id (may be NULL) receives the instance's puzzle identifier. */
    hrm_status *(HRM_ABI *encode)(const struct hrm_encoder *self, const hrm_blob *instance, hrm_tensor *tokens,
                                  hrm_tensor *labels, int32_t *has_labels, int32_t *puzzle_id);
    /* [thread-safe] Turn predicted tokens [S] I32 for instance into a solution in the task's format,
     * allocated with the host allocator (*solution owned by the caller). */
    hrm_status *(HRM_ABI *decode)(const struct hrm_encoder *self, const hrm_blob *instance,
                                  const hrm_tensor *predictions, hrm_blob *solution);
    /* [thread-safe] Check a solution of instance: *valid = 1 accepted, 0 rejected; *score (may be
     * NULL) = quality where the task has one (1.0 = optimal), else *valid. A rejected solution is
     * not an error; a malformed instance is. */
    hrm_status *(HRM_ABI *verify)(const struct hrm_encoder *self, const hrm_blob *instance,
                                  const hrm_blob *solution, int32_t *valid, double *score);

    /* [thread-safe] Optional (HRM_ENCODER_CAN_SOLVE). Exact oracle: *solution as decode gives it
     * (host-allocated); stats may be NULL. */
    hrm_status *(HRM_ABI *solve)(const struct hrm_encoder *self, const hrm_blob *instance, hrm_blob *solution,
                                 hrm_solve_stats *stats);
    /* [thread-safe] Optional (HRM_ENCODER_CAN_GENERATE). One instance WITH its solution, in a format
     * encode reads with labels, from seed and options (TOML text, may be NULL: e.g. difficulty). */
    hrm_status *(HRM_ABI *generate)(const struct hrm_encoder *self, uint64_t seed, const char *options,
                                    hrm_blob *instance);
    /* [thread-safe] Optional (HRM_ENCODER_CAN_AUGMENT). Apply augmentation `augmentation` (0 is the
     * identity; others are drawn deterministically from it) or, with inverse != 0, its inverse, to
     * every row of src [N, S] I32 (inputs and labels of one puzzle alike), writing dst [N, S] I32. */
    hrm_status *(HRM_ABI *augment)(const struct hrm_encoder *self, uint64_t augmentation, int32_t inverse,
                                   const hrm_tensor *src, hrm_tensor *dst);
    /* [thread-safe] Optional (HRM_ENCODER_CAN_RENDER). Picture of instance and its solution (may be
     * NULL) in format, host-allocated. */
    hrm_status *(HRM_ABI *render)(const struct hrm_encoder *self, const hrm_blob *instance,
                                  const hrm_blob *solution, hrm_render_format format, hrm_blob *picture);

    /* [thread-safe] Optional extension by id, or NULL. */
    const void *(HRM_ABI *get_extension)(const struct hrm_encoder *self, const char *id);
    /* [control] Release the instance. */
    void (HRM_ABI *destroy)(const struct hrm_encoder *self);

    /* ---- since API 2 (read only through hrm_encoder_output_mask_fn below) ---- */

    /* [thread-safe] Optional (HRM_ENCODER_CAN_MASK). The tokens a solution of instance may hold:
     * writes every element of mask [S, V] U8 (caller-allocated, compact), 1 where token v is a valid
     * output at position s, else 0. Every position allows at least one token: a given cell only its
     * given value, a wall only the wall token, a position outside the puzzle only PAD, and so on.
     * Hosts turn logits into predictions by the argmax over the allowed tokens (hrm_masked_argmax
     * in hrm.h; sessions do it for every row), so decode always gets a readable answer. A malformed
     * instance is an error as in encode; mask is untouched then. */
    hrm_status *(HRM_ABI *output_mask)(const struct hrm_encoder *self, const hrm_blob *instance, hrm_tensor *mask);
} hrm_encoder;

typedef hrm_status *(HRM_ABI *hrm_encoder_output_mask_slot)(const struct hrm_encoder *self, const hrm_blob *instance,
                                                            hrm_tensor *mask);

/* The output_mask slot of encoder, or NULL when it has none: the table is older than API 2 (too
 * small to hold the member, which must then not be read), the slot is NULL, or caps lacks
 * HRM_ENCODER_CAN_MASK. The one place that applies the append-only rule to this slot. */
static inline hrm_encoder_output_mask_slot hrm_encoder_output_mask_fn(const hrm_encoder *encoder,
                                                                      hrm_encoder_caps caps) {
    const size_t end = offsetof(hrm_encoder, output_mask) + sizeof(encoder->output_mask);
    if (!encoder || encoder->api_version < 2 || encoder->struct_size < end) return NULL;
    return (caps & HRM_ENCODER_CAN_MASK) ? encoder->output_mask : NULL;
}

#ifdef __cplusplus
}
#endif

#endif /* HRM_ENCODER_H */
