/*
 * reverse_task.c - the example plugin: a complete hrm plugin in plain C11, written against the
 * public headers only. Copy it to start your own (README.md next to this file walks through it).
 *
 * One shared library provides two kinds of class:
 *   encoder "reverse" (org.hrm-sdk.examples.reverse)  a toy task: an instance is a line of up to
 *       `length` digits, optionally followed by ",<solution>"; the solution is the digits reversed.
 *       "123,321" is a solved instance, "123" an unsolved one.
 *   policy "example-fixed" (org.hrm-sdk.examples.fixed)  halts every row after `segments` ACT
 *       segments. (Short names must be unique per kind among installed plugins: the SDK's own
 *       policies already have a "fixed".)
 *
 * Both read their options from the instance's TOML config (hrm_instance_params.config); only
 * `key = integer` lines are understood here, which is all these two need.
 *
 * Rules every function below follows (docs/c-api.md has them all):
 * - never crash on bad input: check every pointer and tensor, return a status made with
 *   host->status_create that says what is wrong and where;
 * - on failure leave out-parameters untouched;
 * - memory handed to the host (decoded solutions) comes from host->alloc; the host frees it;
 * - no mutable globals except the init counter: every instance keeps its own data.
 */
#include <hrm/hrm_encoder.h>
#include <hrm/hrm_plugin.h>
#include <hrm/hrm_policy.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_ID "org.hrm-sdk.examples.reverse"
#define PLUGIN_VERSION "1.0.0"
#define MAX_LENGTH 64 /* upper bound of the `length` option */

/* ---- Small helpers ------------------------------------------------------------------------------ */

static hrm_status *fail(const hrm_host *host, hrm_code code, const char *message) {
    return host->status_create(host, code, message);
}

/* Copy a filled struct into the caller's, writing no more than the caller's struct_size says it
 * has (an older caller has a shorter struct) and keeping that struct_size. Both start with it. */
static void copy_sized(void *dst, const void *src, size_t src_size) {
    uint32_t dst_size;
    memcpy(&dst_size, dst, sizeof dst_size);
    memcpy(dst, src, dst_size < src_size ? dst_size : src_size);
    memcpy(dst, &dst_size, sizeof dst_size);
}

/* Read `key = <integer>` from TOML text (NULL = defaults). Returns 1 and sets *value (default_value
 * when the key is absent), or 0 if the value is not an integer in [min, max]. */
static int config_int(const char *config, const char *key, long default_value, long min, long max, long *value) {
    size_t key_len = strlen(key);
    const char *line = config;
    *value = default_value;
    while (line && *line) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') ++p;
        if (strncmp(p, key, key_len) == 0) {
            p += key_len;
            while (*p == ' ' || *p == '\t') ++p;
            if (*p == '=') {
                char *end;
                long v = strtol(p + 1, &end, 10);
                while (*end == ' ' || *end == '\t' || *end == '\r') ++end;
                if (end == p + 1 || (*end != '\n' && *end != '\0' && *end != '#') || v < min || v > max) return 0;
                *value = v;
            }
        }
        line = strchr(line, '\n');
        if (line) ++line;
    }
    return 1;
}

/* The first key of TOML text (NULL = none) other than `known`, copied into unknown[size]: a
 * misspelt option must be refused, not silently ignored. Returns 1 when every key is known. */
static int config_keys_known(const char *config, const char *known, char *unknown, size_t size) {
    const char *line = config;
    while (line && *line) {
        const char *p = line, *end;
        size_t n;
        while (*p == ' ' || *p == '\t') ++p;
        end = p;
        while (*end && *end != '=' && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r' && *end != '#') ++end;
        n = (size_t)(end - p);
        if (n > 0 && !(n == strlen(known) && strncmp(p, known, n) == 0)) {
            snprintf(unknown, size, "%.*s", (int)n, p);
            return 0;
        }
        line = strchr(line, '\n');
        if (line) ++line;
    }
    return 1;
}

/* A compact CPU tensor of dtype I32 and shape [n]; returns its data or NULL. */
static int32_t *i32_vector(const hrm_tensor *t, int64_t n) {
    if (!t || !t->data || t->device != HRM_DEVICE_CPU || t->dtype != HRM_DTYPE_I32 || t->ndim != 1 ||
        t->shape[0] != n || (t->strides && t->strides[0] != 1))
        return NULL;
    return (int32_t *)((char *)t->data + t->byte_offset);
}

/* A compact CPU tensor of dtype U8 and shape [rows, cols]; returns its data or NULL. */
static uint8_t *u8_matrix(const hrm_tensor *t, int64_t rows, int64_t cols) {
    if (!t || !t->data || t->device != HRM_DEVICE_CPU || t->dtype != HRM_DTYPE_U8 || t->ndim != 2 ||
        t->shape[0] != rows || t->shape[1] != cols || (t->strides && (t->strides[0] != cols || t->strides[1] != 1)))
        return NULL;
    return (uint8_t *)((char *)t->data + t->byte_offset);
}

/* ---- Plugin lifetime ---------------------------------------------------------------------------- */

/* init may be called more than once (several runtimes, or hosts that load a library twice): count. */
static atomic_int g_init_count;

/* [control] Called after negotiation. Nothing to set up here; a real plugin could check CPU
 * features and refuse (log why through host->log, then return false). */
static bool HRM_ABI plugin_init(const hrm_host *host, const char *plugin_path) {
    char line[512];
    if (atomic_fetch_add(&g_init_count, 1) == 0) {
        snprintf(line, sizeof line, "initialised from %s", plugin_path);
        host->log(host, HRM_LOG_DEBUG, line);
    }
    return true;
}

/* [control] Balances init; the host unloads the library only after the last deinit. */
static void HRM_ABI plugin_deinit(void) { atomic_fetch_sub(&g_init_count, 1); }

/* ---- Encoder "reverse" -------------------------------------------------------------------------- */

typedef struct reverse_encoder {
    hrm_encoder vtable;   /* what the host sees; vtable.plugin_data points back at this struct */
    const hrm_host *host; /* valid until destroy */
    int64_t length;       /* seq_len: digits per instance, at most */
} reverse_encoder;

static const reverse_encoder *encoder_of(const hrm_encoder *self) { return (const reverse_encoder *)self->plugin_data; }

/* A parsed instance. */
typedef struct reverse_instance {
    int64_t n;                    /* number of puzzle digits */
    int32_t digits[MAX_LENGTH];   /* puzzle digits, 0..9 */
    int has_solution;
    int32_t solution[MAX_LENGTH]; /* solution digits when has_solution */
} reverse_instance;

/* Parse "DIGITS" or "DIGITS,DIGITS" (trailing whitespace allowed). On error returns a status that
 * names the problem and its byte position. */
static hrm_status *parse_instance(const reverse_encoder *enc, const hrm_blob *instance, reverse_instance *out) {
    char message[160];
    const char *text;
    size_t size, i;
    int64_t *count;
    int32_t *dst;
    if (!instance || (!instance->data && instance->size)) return fail(enc->host, HRM_E_INVALID_ARG, "instance is NULL");
    text = (const char *)instance->data;
    size = instance->size;
    while (size && (text[size - 1] == ' ' || text[size - 1] == '\t' || text[size - 1] == '\r' || text[size - 1] == '\n'))
        --size;
    out->n = 0;
    out->has_solution = 0;
    count = &out->n;
    dst = out->digits;
    int64_t solution_n = 0;
    for (i = 0; i < size; ++i) {
        char c = text[i];
        if (c == ',' && !out->has_solution) {
            out->has_solution = 1;
            count = &solution_n;
            dst = out->solution;
            continue;
        }
        if (c < '0' || c > '9') {
            snprintf(message, sizeof message, "reverse: unexpected character '%c' at byte %zu (expected a digit)", c, i);
            return fail(enc->host, HRM_E_FORMAT, message);
        }
        if (*count >= enc->length) {
            snprintf(message, sizeof message, "reverse: more than %lld digits at byte %zu", (long long)enc->length, i);
            return fail(enc->host, HRM_E_FORMAT, message);
        }
        dst[(*count)++] = c - '0';
    }
    if (out->n == 0) return fail(enc->host, HRM_E_FORMAT, "reverse: empty instance (expected digits at byte 0)");
    if (out->has_solution && solution_n != out->n) {
        snprintf(message, sizeof message, "reverse: the solution has %lld digits, the puzzle %lld", (long long)solution_n,
                 (long long)out->n);
        return fail(enc->host, HRM_E_FORMAT, message);
    }
    return NULL;
}

/* [thread-safe] Fill *out: seq_len = length, vocabulary PAD(0) + digits 0..9 as 1..10. */
static hrm_status *HRM_ABI encoder_get_spec(const hrm_encoder *self, hrm_encoder_spec *out) {
    const reverse_encoder *enc = encoder_of(self);
    hrm_encoder_spec spec;
    if (!out || out->struct_size < sizeof(uint32_t)) return fail(enc->host, HRM_E_INVALID_ARG, "get_spec: out is NULL or its struct_size unset");
    memset(&spec, 0, sizeof spec);
    spec.struct_size = sizeof spec;
    spec.caps = HRM_ENCODER_CAN_SOLVE | HRM_ENCODER_CAN_MASK;
    spec.seq_len = enc->length;
    spec.vocab_size = 11;
    spec.pad_id = 0;
    spec.ignore_label_id = 0;
    spec.num_puzzle_identifiers = 1;
    spec.num_augmentations = 0;
    copy_sized(out, &spec, sizeof spec);
    return NULL;
}

/* [thread-safe] Next non-blank line that is not a '#' comment, as a slice of text. */
static hrm_status *HRM_ABI encoder_split(const hrm_encoder *self, const hrm_blob *text, size_t *offset,
                                         hrm_blob *record) {
    const char *data;
    size_t pos;
    if (!text || !offset || !record || (!text->data && text->size))
        return fail(encoder_of(self)->host, HRM_E_INVALID_ARG, "split: text, offset or record is NULL");
    data = (const char *)text->data;
    for (pos = *offset; pos < text->size;) {
        size_t start = pos, end, first;
        while (pos < text->size && data[pos] != '\n') ++pos;
        end = pos;
        if (pos < text->size) ++pos; /* past the newline */
        if (end > start && data[end - 1] == '\r') --end;
        for (first = start; first < end && (data[first] == ' ' || data[first] == '\t'); ++first) {}
        if (first == end || data[first] == '#') continue;
        record->data = data + start;
        record->size = end - start;
        *offset = pos;
        return NULL;
    }
    record->data = NULL;
    record->size = 0;
    *offset = text->size;
    return NULL;
}

/* [thread-safe] tokens[i] = digit + 1 for the puzzle digits, 0 (PAD) after them; labels the same
 * for the solution, written only when the instance has one. */
static hrm_status *HRM_ABI encoder_encode(const hrm_encoder *self, const hrm_blob *instance, hrm_tensor *tokens,
                                          hrm_tensor *labels, int32_t *has_labels, int32_t *puzzle_id) {
    const reverse_encoder *enc = encoder_of(self);
    reverse_instance inst;
    int32_t *tok = i32_vector(tokens, enc->length);
    int32_t *lab = labels ? i32_vector(labels, enc->length) : NULL;
    hrm_status *status;
    int64_t i;
    if (!tok) return fail(enc->host, HRM_E_INVALID_ARG, "encode: tokens must be a CPU I32 tensor of shape [seq_len]");
    if (labels && !lab) return fail(enc->host, HRM_E_INVALID_ARG, "encode: labels must be a CPU I32 tensor of shape [seq_len]");
    if ((status = parse_instance(enc, instance, &inst)) != NULL) return status;
    for (i = 0; i < enc->length; ++i) tok[i] = i < inst.n ? inst.digits[i] + 1 : 0;
    if (lab && inst.has_solution)
        for (i = 0; i < enc->length; ++i) lab[i] = i < inst.n ? inst.solution[i] + 1 : 0;
    if (has_labels) *has_labels = lab && inst.has_solution;
    if (puzzle_id) *puzzle_id = 0;
    return NULL;
}

/* Put n bytes into a host-allocated blob (plus a NUL so hosts may print it). */
static hrm_status *make_blob(const hrm_host *host, const char *bytes, size_t n, hrm_blob *out) {
    char *p = (char *)host->alloc(host, n + 1);
    if (!p) return fail(host, HRM_E_OUT_OF_MEMORY, "reverse: out of memory");
    memcpy(p, bytes, n);
    p[n] = '\0';
    out->data = p;
    out->size = n;
    return NULL;
}

/* [thread-safe] The first n predicted tokens (n = the instance's digit count) as digits; a token
 * that is not a digit becomes '?', so a wrong prediction still decodes (verify rejects it). */
static hrm_status *HRM_ABI encoder_decode(const hrm_encoder *self, const hrm_blob *instance,
                                          const hrm_tensor *predictions, hrm_blob *solution) {
    const reverse_encoder *enc = encoder_of(self);
    reverse_instance inst;
    char text[MAX_LENGTH];
    const int32_t *pred = i32_vector(predictions, enc->length);
    hrm_status *status;
    int64_t i;
    if (!pred) return fail(enc->host, HRM_E_INVALID_ARG, "decode: predictions must be a CPU I32 tensor of shape [seq_len]");
    if (!solution) return fail(enc->host, HRM_E_INVALID_ARG, "decode: solution is NULL");
    if ((status = parse_instance(enc, instance, &inst)) != NULL) return status;
    for (i = 0; i < inst.n; ++i) text[i] = pred[i] >= 1 && pred[i] <= 10 ? (char)('0' + pred[i] - 1) : '?';
    return make_blob(enc->host, text, (size_t)inst.n, solution);
}

/* [thread-safe] Accept exactly the reversed digits. A wrong solution is not an error. */
static hrm_status *HRM_ABI encoder_verify(const hrm_encoder *self, const hrm_blob *instance, const hrm_blob *solution,
                                          int32_t *valid, double *score) {
    const reverse_encoder *enc = encoder_of(self);
    reverse_instance inst;
    hrm_status *status;
    int32_t ok;
    int64_t i;
    if (!solution || (!solution->data && solution->size) || !valid)
        return fail(enc->host, HRM_E_INVALID_ARG, "verify: solution or valid is NULL");
    if ((status = parse_instance(enc, instance, &inst)) != NULL) return status;
    ok = solution->size == (size_t)inst.n;
    for (i = 0; ok && i < inst.n; ++i) ok = ((const char *)solution->data)[i] == '0' + inst.digits[inst.n - 1 - i];
    *valid = ok;
    if (score) *score = ok;
    return NULL;
}

/* [thread-safe] The oracle: reverse the digits. The solution is always unique. */
static hrm_status *HRM_ABI encoder_solve(const hrm_encoder *self, const hrm_blob *instance, hrm_blob *solution,
                                         hrm_solve_stats *stats) {
    const reverse_encoder *enc = encoder_of(self);
    reverse_instance inst;
    char text[MAX_LENGTH];
    hrm_status *status;
    int64_t i;
    if (!solution) return fail(enc->host, HRM_E_INVALID_ARG, "solve: solution is NULL");
    if ((status = parse_instance(enc, instance, &inst)) != NULL) return status;
    for (i = 0; i < inst.n; ++i) text[i] = (char)('0' + inst.digits[inst.n - 1 - i]);
    if ((status = make_blob(enc->host, text, (size_t)inst.n, solution)) != NULL) return status;
    if (stats) {
        hrm_solve_stats s;
        memset(&s, 0, sizeof s);
        s.struct_size = sizeof s;
        s.solutions = 1;
        s.rating = (double)inst.n; /* effort: one step per digit */
        if (stats->struct_size >= sizeof(uint32_t)) copy_sized(stats, &s, sizeof s);
    }
    return NULL;
}

/* [thread-safe] Optional slot (since API 2, HRM_ENCODER_CAN_MASK): the valid output tokens. A
 * solution has a digit (tokens 1..10) where the puzzle has one and PAD after it, so hosts pick the
 * best digit there even when the model's top logit is PAD. */
static hrm_status *HRM_ABI encoder_output_mask(const hrm_encoder *self, const hrm_blob *instance, hrm_tensor *mask) {
    const reverse_encoder *enc = encoder_of(self);
    reverse_instance inst;
    uint8_t *m = u8_matrix(mask, enc->length, 11);
    hrm_status *status;
    int64_t i, v;
    if (!m)
        return fail(enc->host, HRM_E_INVALID_ARG, "output_mask: mask must be a CPU U8 tensor of shape [seq_len, 11]");
    if ((status = parse_instance(enc, instance, &inst)) != NULL) return status;
    for (i = 0; i < enc->length; ++i)
        for (v = 0; v < 11; ++v) m[i * 11 + v] = i < inst.n ? v >= 1 : v == 0;
    return NULL;
}

/* [thread-safe] No extensions. */
static const void *HRM_ABI encoder_get_extension(const hrm_encoder *self, const char *id) {
    (void)self;
    (void)id;
    return NULL;
}

/* [control] Free what create allocated. */
static void HRM_ABI encoder_destroy(const hrm_encoder *self) { free(self->plugin_data); }

/* ---- Policy "example-fixed" --------------------------------------------------------------------- */

typedef struct fixed_policy {
    hrm_policy vtable;
    const hrm_host *host;
    int32_t segments; /* halt after this many segments */
} fixed_policy;

/* The policy keeps no per-row memory; the state only records how many slots the host asked for,
 * to check decide's arguments. */
struct hrm_policy_state {
    int64_t n_slots;
};

static const fixed_policy *policy_of(const hrm_policy *self) { return (const fixed_policy *)self->plugin_data; }

/* [thread-safe] Run exactly `segments` segments, one start per instance. */
static hrm_status *HRM_ABI policy_get_spec(const hrm_policy *self, hrm_policy_spec *out) {
    const fixed_policy *pol = policy_of(self);
    hrm_policy_spec spec;
    if (!out || out->struct_size < sizeof(uint32_t)) return fail(pol->host, HRM_E_INVALID_ARG, "get_spec: out is NULL or its struct_size unset");
    memset(&spec, 0, sizeof spec);
    spec.struct_size = sizeof spec;
    spec.needs = 0;
    spec.min_segments = 1;
    spec.max_segments = pol->segments;
    spec.n_starts = 1;
    spec.start_noise = 0.0f;
    copy_sized(out, &spec, sizeof spec);
    return NULL;
}

/* [thread-safe] State for up to n_slots rows. */
static hrm_status *HRM_ABI policy_state_create(const hrm_policy *self, int64_t n_slots, hrm_policy_state **out) {
    const fixed_policy *pol = policy_of(self);
    hrm_policy_state *state;
    if (!out || n_slots < 1) return fail(pol->host, HRM_E_INVALID_ARG, "state_create: out is NULL or n_slots < 1");
    state = (hrm_policy_state *)malloc(sizeof *state);
    if (!state) return fail(pol->host, HRM_E_OUT_OF_MEMORY, "fixed: out of memory");
    state->n_slots = n_slots;
    *out = state;
    return NULL;
}

/* [thread-safe, not concurrently with calls on the same state] Accepts NULL. */
static void HRM_ABI policy_state_free(const hrm_policy *self, hrm_policy_state *state) {
    (void)self;
    free(state);
}

/* [state-serial] halt[i] = 1 once row i has run `segments` segments. */
static hrm_status *HRM_ABI policy_decide(const hrm_policy *self, hrm_policy_state *state, int64_t n,
                                         const hrm_policy_row *rows, size_t row_size, uint8_t *halt) {
    const fixed_policy *pol = policy_of(self);
    hrm_policy_row row;
    int64_t i;
    if (!state || n < 0 || n > state->n_slots || (n > 0 && (!rows || !halt)))
        return fail(pol->host, HRM_E_INVALID_ARG, "decide: NULL state, rows or halt, or n outside [0, n_slots]");
    /* rows may come from a scheduler built with a longer or shorter hrm_policy_row: read each
     * through hrm_policy_row_get, never as rows[i]. */
    for (i = 0; i < n; ++i) {
        hrm_policy_row_get(rows, row_size, i, &row);
        halt[i] = row.segment >= pol->segments;
    }
    return NULL;
}

/* [thread-safe] No extensions. */
static const void *HRM_ABI policy_get_extension(const hrm_policy *self, const char *id) {
    (void)self;
    (void)id;
    return NULL;
}

/* [control] Free what create allocated (the host has freed every state before). */
static void HRM_ABI policy_destroy(const hrm_policy *self) { free(self->plugin_data); }

/* ---- Descriptors and factories ------------------------------------------------------------------ */

static const char *const k_encoder_features[] = {"task:reverse", "oracle", NULL};
static const char *const k_policy_features[] = {"policy:fixed", NULL};

/* Owned by the plugin, valid until deinit (static storage here). */
static const hrm_descriptor k_encoder_desc = {
    sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.examples.reverse", "reverse", PLUGIN_VERSION,
    "hrm-sdk", "Toy task: reverse a line of digits (example plugin)", "", k_encoder_features};
static const hrm_descriptor k_policy_desc = {
    sizeof(hrm_descriptor), HRM_KIND_POLICY, "org.hrm-sdk.examples.fixed", "example-fixed", PLUGIN_VERSION,
    "hrm-sdk", "Halt every row after a fixed number of segments (example plugin)", "", k_policy_features};

/* [thread-safe] Each factory here makes one class; factory_data points at its descriptor. */
static uint32_t HRM_ABI factory_count(const hrm_factory *self) {
    (void)self;
    return 1;
}

/* [thread-safe] Descriptor of class index, or NULL past the end. */
static const hrm_descriptor *HRM_ABI factory_descriptor(const hrm_factory *self, uint32_t index) {
    return index == 0 ? (const hrm_descriptor *)self->factory_data : NULL;
}

/* [thread-safe] Create a reverse encoder. Options: length = 1..64 (default 16). */
static hrm_status *HRM_ABI encoder_factory_create(const hrm_factory *self, const char *id, const hrm_host *host,
                                                  const hrm_instance_params *params, const void **out) {
    reverse_encoder *enc;
    long length;
    char key[64], message[128];
    (void)self;
    if (!id || strcmp(id, k_encoder_desc.id) != 0 || !out) return fail(host, HRM_E_NOT_FOUND, "reverse: unknown class id");
    if (!config_keys_known(params ? params->config : NULL, "length", key, sizeof key)) {
        snprintf(message, sizeof message, "reverse: unknown option '%s' (the one option is 'length')", key);
        return fail(host, HRM_E_INVALID_ARG, message);
    }
    if (!config_int(params ? params->config : NULL, "length", 16, 1, MAX_LENGTH, &length))
        return fail(host, HRM_E_INVALID_ARG, "reverse: option 'length' must be an integer in [1, 64]");
    enc = (reverse_encoder *)calloc(1, sizeof *enc);
    if (!enc) return fail(host, HRM_E_OUT_OF_MEMORY, "reverse: out of memory");
    enc->host = host;
    enc->length = length;
    enc->vtable.struct_size = sizeof(hrm_encoder);
    enc->vtable.api_version = HRM_API_VERSION;
    enc->vtable.desc = &k_encoder_desc;
    enc->vtable.plugin_data = enc;
    enc->vtable.get_spec = encoder_get_spec;
    enc->vtable.split = encoder_split;
    enc->vtable.encode = encoder_encode;
    enc->vtable.decode = encoder_decode;
    enc->vtable.verify = encoder_verify;
    enc->vtable.solve = encoder_solve;
    enc->vtable.generate = NULL; /* optional slots this task does not implement */
    enc->vtable.augment = NULL;
    enc->vtable.render = NULL;
    enc->vtable.get_extension = encoder_get_extension;
    enc->vtable.destroy = encoder_destroy;
    enc->vtable.output_mask = encoder_output_mask; /* since API 2: older hosts never read it */
    *out = &enc->vtable;
    return NULL;
}

/* [thread-safe] Create a fixed policy. Options: segments = 1..1024 (default 4). */
static hrm_status *HRM_ABI policy_factory_create(const hrm_factory *self, const char *id, const hrm_host *host,
                                                 const hrm_instance_params *params, const void **out) {
    fixed_policy *pol;
    long segments;
    char key[64], message[128];
    (void)self;
    if (!id || strcmp(id, k_policy_desc.id) != 0 || !out) return fail(host, HRM_E_NOT_FOUND, "fixed: unknown class id");
    if (!config_keys_known(params ? params->config : NULL, "segments", key, sizeof key)) {
        snprintf(message, sizeof message, "fixed: unknown option '%s' (the one option is 'segments')", key);
        return fail(host, HRM_E_INVALID_ARG, message);
    }
    if (!config_int(params ? params->config : NULL, "segments", 4, 1, 1024, &segments))
        return fail(host, HRM_E_INVALID_ARG, "fixed: option 'segments' must be an integer in [1, 1024]");
    pol = (fixed_policy *)calloc(1, sizeof *pol);
    if (!pol) return fail(host, HRM_E_OUT_OF_MEMORY, "fixed: out of memory");
    pol->host = host;
    pol->segments = (int32_t)segments;
    pol->vtable.struct_size = sizeof(hrm_policy);
    pol->vtable.api_version = HRM_API_VERSION;
    pol->vtable.desc = &k_policy_desc;
    pol->vtable.plugin_data = pol;
    pol->vtable.get_spec = policy_get_spec;
    pol->vtable.state_create = policy_state_create;
    pol->vtable.state_free = policy_state_free;
    pol->vtable.decide = policy_decide;
    pol->vtable.choose = NULL; /* one start per instance: nothing to choose */
    pol->vtable.get_extension = policy_get_extension;
    pol->vtable.destroy = policy_destroy;
    *out = &pol->vtable;
    return NULL;
}

static const hrm_factory k_encoder_factory = {sizeof(hrm_factory), HRM_API_VERSION, (void *)&k_encoder_desc,
                                              factory_count, factory_descriptor, encoder_factory_create};
static const hrm_factory k_policy_factory = {sizeof(hrm_factory), HRM_API_VERSION, (void *)&k_policy_desc,
                                             factory_count, factory_descriptor, policy_factory_create};

/* [thread-safe] The factory for factory_id, or NULL: this plugin has no model factory. */
static const hrm_factory *HRM_ABI plugin_get_factory(const char *factory_id) {
    if (!factory_id) return NULL;
    if (strcmp(factory_id, HRM_FACTORY_ENCODER) == 0) return &k_encoder_factory;
    if (strcmp(factory_id, HRM_FACTORY_POLICY) == 0) return &k_policy_factory;
    return NULL;
}

/* ---- The one exported symbol -------------------------------------------------------------------- */

/* Pick ABI major 1 if the loader offers it and fill *out. Without a usable loader_info there is no
 * host to make a status with: return NULL leaving *out unfilled (abi_major 0), which the loader
 * reports as a refusal. */
HRM_PLUGIN_ENTRY hrm_status *HRM_ABI hrm_plugin_negotiate(const hrm_loader_info *loader, hrm_plugin_info *out) {
    if (!loader || !out || loader->struct_size < sizeof(hrm_loader_info) || !loader->host) return NULL;
    if (loader->abi_major_min > HRM_ABI_MAJOR || loader->abi_major_max < HRM_ABI_MAJOR)
        return fail(loader->host, HRM_E_VERSION, "reverse: this plugin speaks ABI major 1 only");
    if (out->struct_size < sizeof(hrm_plugin_info))
        return fail(loader->host, HRM_E_VERSION, "reverse: hrm_plugin_info is smaller than this plugin needs");
    out->abi_major = HRM_ABI_MAJOR;
    out->api_version = HRM_API_VERSION;
    out->plugin_id = PLUGIN_ID;
    out->plugin_version = PLUGIN_VERSION;
    out->init = plugin_init;
    out->deinit = plugin_deinit;
    out->get_factory = plugin_get_factory;
    return NULL;
}
