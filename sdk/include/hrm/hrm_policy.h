/*
 * hrm_policy.h - refinement-policy instances: when a row stops refining.
 *
 * After every ACT segment the scheduler hands the policy one observation per active row and the
 * policy answers halt or continue. A policy can ask for more information than the Q values
 * (decoded predictions, the task verifier's verdict) through spec.needs, and can ask the scheduler
 * to run several starts of each instance and then choose among the finished candidates.
 */
#ifndef HRM_POLICY_H
#define HRM_POLICY_H

#include "hrm_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t hrm_policy_needs;
enum {
    HRM_POLICY_NEEDS_PREDICTIONS = 1u << 0,  /* fill prediction_hash every segment */
    HRM_POLICY_NEEDS_VERIFY = 1u << 1        /* decode and verify every segment; fill verified */
};

typedef struct hrm_policy_spec {
    uint32_t struct_size;
    hrm_policy_needs needs;
    int32_t min_segments;       /* the scheduler never asks before this many segments (>= 1) */
    int32_t max_segments;       /* the scheduler halts a row at this many segments regardless */
    int32_t n_starts;           /* runs per instance (multi-start); 1 for single-run policies */
    float start_noise;          /* noise_std of the initial carry of starts 1.. (start 0 is the reference init) */
} hrm_policy_spec;

/* One row after one segment (or one finished candidate, for choose). */
typedef struct hrm_policy_row {
    uint32_t struct_size;
    int32_t segment;            /* segments completed by this row, 1 .. max_segments; 1 = a fresh row */
    int64_t slot;               /* the row's slot in the scheduler, stable while the row lives */
    int32_t start;              /* which start of its instance, 0 .. n_starts-1 */
    int32_t verified;           /* 1 accepted, 0 rejected, -1 not computed */
    float q_halt;               /* halting logits of this segment */
    float q_continue;
    uint64_t prediction_hash;   /* hash of the predicted tokens; 0 if not computed */
} hrm_policy_row;

/* Row i of an array of rows of row_size bytes, copied into *out: members the sender's struct
 * did not have are zero, members it has and this header does not are ignored. */
static inline void hrm_policy_row_get(const hrm_policy_row *rows, size_t row_size, int64_t i, hrm_policy_row *out) {
    const unsigned char *src = (const unsigned char *)rows + (size_t)i * row_size;
    unsigned char *dst = (unsigned char *)out;
    size_t k, n = row_size < sizeof(hrm_policy_row) ? row_size : sizeof(hrm_policy_row);
    for (k = 0; k < sizeof(hrm_policy_row); ++k) dst[k] = k < n ? src[k] : 0;
}

typedef struct hrm_policy_state hrm_policy_state;   /* opaque, defined by the plugin */

typedef struct hrm_policy {
    uint32_t struct_size;
    uint32_t api_version;
    const hrm_descriptor *desc;
    void *plugin_data;

    /* [thread-safe] Fill *out (caller sets out->struct_size). */
    hrm_status *(HRM_ABI *get_spec)(const struct hrm_policy *self, hrm_policy_spec *out);
    /* [thread-safe] Per-run memory for up to n_slots concurrent rows; freed with state_free. */
    hrm_status *(HRM_ABI *state_create)(const struct hrm_policy *self, int64_t n_slots, hrm_policy_state **out);
    /* [thread-safe, not concurrently with calls on the same state] Accepts NULL. */
    void (HRM_ABI *state_free)(const struct hrm_policy *self, hrm_policy_state *state);
    /* [state-serial] For each of n rows set halt[i] = 1 (stop) or 0 (continue). A row with
     * segment == 1 is new in its slot: forget what the slot remembered. rows is an array of n
     * elements of row_size bytes (sizeof(hrm_policy_row) as the scheduler was compiled): read
     * them with hrm_policy_row_get so rows may grow. Borrowed for the call. */
    hrm_status *(HRM_ABI *decide)(const struct hrm_policy *self, hrm_policy_state *state, int64_t n,
                                  const hrm_policy_row *rows, size_t row_size, uint8_t *halt);
    /* [thread-safe] Optional (NULL when n_starts == 1): pick the answer among the n finished
     * candidates of one instance (their final rows, row_size bytes each, as for decide);
     * *chosen receives an index < n. */
    hrm_status *(HRM_ABI *choose)(const struct hrm_policy *self, int64_t n, const hrm_policy_row *candidates,
                                  size_t row_size, int64_t *chosen);

    /* [thread-safe] Optional extension by id, or NULL. */
    const void *(HRM_ABI *get_extension)(const struct hrm_policy *self, const char *id);
    /* [control] Release the instance. Every state must have been freed. */
    void (HRM_ABI *destroy)(const struct hrm_policy *self);
} hrm_policy;

#ifdef __cplusplus
}
#endif

#endif /* HRM_POLICY_H */
