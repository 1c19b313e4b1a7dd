/*
 * hrm.h - the host-facing C API of libhrm: statuses, the runtime, plugin loading and enumeration,
 * and instances of plugin classes. Applications, the `hrm` runner and the Python bindings use it.
 *
 * Rules (docs/c-api.md has the full text):
 * - Fallible functions return hrm_status*: NULL on success; on failure out-parameters are
 *   untouched and the status is the only thing to free (hrm_status_free).
 * - Every pointer says who owns it. "Borrowed" means valid for the call only.
 * - Thread tags as in hrm_plugin.h. A runtime is [control] while loading plugins; once loading is
 *   done, its queries and hrm_instance_create are [thread-safe].
 * - Structs that may grow carry struct_size first and are initialised with their *_init function.
 */
#ifndef HRM_H
#define HRM_H

#include "hrm_base.h"
#include "hrm_plugin.h"
#include "hrm_model.h"
#include "hrm_encoder.h"
#include "hrm_policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ----------------------------------------------------------------------------- */

/* [thread-safe] HRM_API_VERSION of the library (may be newer than the header you compiled with). */
HRM_API uint32_t hrm_api_version(void);
/* [thread-safe] HRM_ABI_MAJOR of the library. */
HRM_API uint32_t hrm_abi_major(void);
/* [thread-safe] Release version, "0.1.0"; static storage. */
HRM_API const char *hrm_version_string(void);

/* ---- Statuses ------------------------------------------------------------------------------ */

/* [thread-safe] HRM_OK for NULL. */
HRM_API hrm_code hrm_status_code(const hrm_status *status);
/* [thread-safe] UTF-8 message owned by the status ("" for NULL). */
HRM_API const char *hrm_status_message(const hrm_status *status);
/* [thread-safe] Free a status; accepts NULL. */
HRM_API void hrm_status_free(hrm_status *status);
/* [thread-safe] Make a status (message copied); for hosts that forward errors through callbacks. */
HRM_API hrm_status *hrm_status_create(hrm_code code, const char *message);
/* [thread-safe] Short name of a code: "invalid argument". */
HRM_API const char *hrm_code_name(hrm_code code);

/* [thread-safe] Free memory that a plugin returned through the host allocator (hrm_blob data from
 * decode, solve, generate, render). Accepts NULL. */
HRM_API void hrm_free(void *ptr);

/* ---- Runtime ------------------------------------------------------------------------------- */

typedef struct hrm_runtime hrm_runtime;   /* opaque */

/* Log sink: called from any thread, concurrently; message is borrowed for the call. */
typedef void(HRM_ABI *hrm_log_fn)(hrm_log_level level, const char *message, void *user_data);

typedef struct hrm_runtime_params {
    uint32_t struct_size;
    int32_t n_threads;          /* worker threads for the scheduler; 0 = all cores */
    const char *plugin_path;    /* ':'-separated folders searched first by hrm_runtime_load_default; may be NULL */
    hrm_log_fn log_fn;          /* NULL = write warnings and errors to stderr */
    void *log_user_data;
    hrm_log_level log_level;    /* messages below this level are dropped; default HRM_LOG_INFO */
    int32_t reserved;
} hrm_runtime_params;

/* [thread-safe] Fill *params with defaults; size = sizeof(hrm_runtime_params) as you compiled it. */
HRM_API void hrm_runtime_params_init(hrm_runtime_params *params, size_t size);
/* [thread-safe] Create a runtime (params borrowed; NULL = defaults). *out owned by the caller,
 * released with hrm_runtime_free. No plugin is loaded yet. */
HRM_API HRM_NODISCARD hrm_status *hrm_runtime_create(const hrm_runtime_params *params, hrm_runtime **out);
/* [control] Free a runtime; accepts NULL. Instances created from it stay valid (each keeps its
 * plugin library loaded) and must still be freed. */
HRM_API void hrm_runtime_free(hrm_runtime *runtime);

/* [control] Load one plugin library by path. Fails, naming the file and the reason, for a file that
 * is not a shared library, a missing entry symbol, an ABI major out of range, a duplicate plugin
 * id, or a plugin whose init fails; the runtime is unchanged then. */
HRM_API HRM_NODISCARD hrm_status *hrm_runtime_load_plugin(hrm_runtime *runtime, const char *path);
/* [control] Load every "*.so" in dir (not recursive, in name order). A library that fails is
 * skipped with a logged warning and the others still load; the call fails only if dir cannot be
 * read. *n_loaded (may be NULL) receives the number loaded. */
HRM_API HRM_NODISCARD hrm_status *hrm_runtime_load_dir(hrm_runtime *runtime, const char *dir, int32_t *n_loaded);
/* [control] Load from the search path: params.plugin_path, then $HRM_PLUGIN_PATH (':'-separated),
 * then the install folder of libhrm's plugins. Never the current directory implicitly. Folders that
 * do not exist are skipped; a plugin id already loaded from an earlier folder wins, and the later
 * duplicate is skipped with a debug message. */
HRM_API HRM_NODISCARD hrm_status *hrm_runtime_load_default(hrm_runtime *runtime, int32_t *n_loaded);

/* A loaded plugin library. */
typedef struct hrm_plugin_record {
    uint32_t struct_size;
    uint32_t api_version;       /* what the plugin was compiled with */
    uint32_t abi_major;         /* what it negotiated */
    uint32_t reserved;
    const char *id;             /* owned by the runtime, valid until hrm_runtime_free */
    const char *version;
    const char *path;           /* absolute path of the library */
} hrm_plugin_record;

/* [thread-safe] Number of loaded plugin libraries. */
HRM_API int32_t hrm_runtime_plugin_count(const hrm_runtime *runtime);
/* [thread-safe] Library index (< plugin_count) into *out (caller sets out->struct_size). */
HRM_API HRM_NODISCARD hrm_status *hrm_runtime_plugin(const hrm_runtime *runtime, int32_t index,
                                                     hrm_plugin_record *out);
/* [thread-safe] Number of classes (descriptors) over all loaded plugins, all kinds. */
HRM_API int32_t hrm_runtime_class_count(const hrm_runtime *runtime);
/* [thread-safe] Descriptor of class index, owned by its plugin, valid until hrm_runtime_free;
 * *plugin_index (may be NULL) receives the index of the library that provides it. NULL if out of range. */
HRM_API const hrm_descriptor *hrm_runtime_class(const hrm_runtime *runtime, int32_t index, int32_t *plugin_index);

/* ---- Instances --------------------------------------------------------------------------------- */

typedef struct hrm_instance hrm_instance;   /* opaque: one plugin object plus a hold on its library */

/* [thread-safe] Create an instance of the class of `kind` whose id, or short name, is id_or_name
 * (params borrowed; NULL = defaults). *out owned by the caller, released with hrm_instance_free. */
HRM_API HRM_NODISCARD hrm_status *hrm_instance_create(hrm_runtime *runtime, hrm_kind kind, const char *id_or_name,
                                                      const hrm_instance_params *params, hrm_instance **out);
/* [control] Destroy the plugin object and drop the hold on its library; accepts NULL. */
HRM_API void hrm_instance_free(hrm_instance *instance);
/* [thread-safe] The instance's kind. */
HRM_API hrm_kind hrm_instance_kind(const hrm_instance *instance);
/* [thread-safe] The plugin vtable, or NULL if the instance is of another kind. Owned by the
 * instance; call its slots under the thread rules of its header. */
HRM_API const hrm_model *hrm_instance_model(const hrm_instance *instance);
HRM_API const hrm_encoder *hrm_instance_encoder(const hrm_instance *instance);
HRM_API const hrm_policy *hrm_instance_policy(const hrm_instance *instance);

/* ---- Decoding logits (since API 2) --------------------------------------------------------------
 * A model's readout (hrm_model.h) takes the argmax over the whole vocabulary, so a cell can come out
 * as a token the task never accepts there (PAD inside the grid, a changed given). Sessions avoid that
 * for encoders with an output mask (hrm_encoder.h output_mask): they read logits and take the argmax
 * over the allowed tokens with this function's rule. Hosts that run a model themselves call it. */

/* [thread-safe] predictions[n, s] = the token v with the largest logits[n, s, v] among those the mask
 * allows (mask[n, s, v] != 0, or mask[s, v] for every row), first max wins; NaN never beats a number.
 * mask NULL allows every token: the plain readout rule. Shapes: logits [N, S, V] F32, mask [N, S, V]
 * or [S, V] U8, predictions [N, S] I32 (or logits [S, V], mask [S, V], predictions [S]); compact CPU
 * tensors, all borrowed, predictions caller-allocated. Fails naming the first position whose mask
 * allows no token (predictions untouched then). */
HRM_API HRM_NODISCARD hrm_status *hrm_masked_argmax(const hrm_tensor *logits, const hrm_tensor *mask,
                                                    hrm_tensor *predictions);

/* ---- Sessions: batch solving ------------------------------------------------------------------
 * (Implemented in sdk/sched/, the oneTBB scheduler, compiled into libhrm.)
 * A session runs a model over many instances of a task with continuous batching: batch_size slots
 * are stepped segment by segment (the model's L/H schedule), the policy halts rows one by one,
 * finished rows are decoded and verified and their slots refilled from the queue. Slots are cut
 * into shards of shard_size rows, each its own model state, stepped in parallel on oneTBB. Results
 * do not depend on n_threads, shard_size or batch_size. */

typedef struct hrm_session hrm_session;   /* opaque */

typedef struct hrm_session_params {
    uint32_t struct_size;
    int32_t n_threads;          /* oneTBB workers; 0 = oneTBB's default (all cores) */
    int64_t batch_size;         /* slots in flight; default 64 */
    int64_t shard_size;         /* rows per model state; 0 = batch_size / n_threads */
    hrm_precision precision;    /* HRM_PRECISION_*, or -1 (the init default): the model's default_precision */
    int32_t reserved;
    uint64_t seed;              /* with each instance's bytes, seeds its perturbed multi-start starts */
} hrm_session_params;

/* [thread-safe] Defaults into *params; size = sizeof(hrm_session_params) as you compiled it. */
HRM_API void hrm_session_params_init(hrm_session_params *params, size_t size);

/* [thread-safe] A session over three instances (borrowed: they must outlive the session). The model
 * and encoder must agree on seq_len and vocab_size. *out owned by the caller (hrm_session_free). */
HRM_API HRM_NODISCARD hrm_status *hrm_session_create(const hrm_instance *model, const hrm_instance *encoder,
                                                     const hrm_instance *policy, const hrm_session_params *params,
                                                     hrm_session **out);
/* [control] Accepts NULL. Not while hrm_session_solve runs. */
HRM_API void hrm_session_free(hrm_session *session);

/* The outcome of one instance. Filled by hrm_session_solve; release its owned members with
 * hrm_result_clear. */
typedef struct hrm_result {
    uint32_t struct_size;
    int32_t segments;           /* segments run (of the chosen start) */
    hrm_blob solution;          /* decoded answer in the task's format; owned by the result */
    float q_halt;               /* final halting logits */
    float q_continue;
    int32_t verified;           /* 1 accepted by the task's verifier, 0 rejected, -1 not checkable */
    int32_t start;              /* the start chosen (multi-start), else 0 */
    hrm_status *error;          /* non-NULL when this instance failed (e.g. malformed); owned by the result */
    double seconds;             /* wall time from the row's first segment to its halt */
} hrm_result;

/* [thread-safe] Free the owned members of *result and zero them; accepts NULL. */
HRM_API void hrm_result_clear(hrm_result *result);

/* Progress: called on the solving thread after each segment; return false to cancel. When it is
 * called, the result of every instance counted in `done` is already written (segments > 0 or error
 * set), so a host may read those results there to stream them; it must not clear them before the
 * solve returns. (Not with a result_size larger than this library's hrm_result: those results are
 * copied out at the end.) */
typedef bool(HRM_ABI *hrm_progress_fn)(int64_t done, int64_t total, void *user_data);

/* [instance-serial] Solve n instances (borrowed for the call). results is a caller-allocated array
 * of n elements of result_size bytes each (sizeof(hrm_result) as you compiled it); every element
 * is written, including per-instance errors: one malformed instance fails alone. progress may be
 * NULL. Returns HRM_E_CANCELLED if progress asked to stop (finished results are kept, the others
 * carry a cancelled error). */
HRM_API HRM_NODISCARD hrm_status *hrm_session_solve(hrm_session *session, const hrm_blob *instances, int64_t n,
                                                    hrm_result *results, size_t result_size,
                                                    hrm_progress_fn progress, void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* HRM_H */
