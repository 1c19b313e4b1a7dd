/*
 * hrm_plugin.h - the plugin ABI: host services, load-time negotiation, the one entry symbol and
 * factories. The three kinds of instance live in hrm_model.h, hrm_encoder.h and hrm_policy.h.
 *
 * A plugin is a shared library that exports exactly one symbol, hrm_plugin_negotiate, and links
 * nothing from libhrm: every host service arrives through the hrm_host table.
 *
 * Thread tags used on every function of the plugin ABI:
 *   [thread-safe]     callable from any thread, concurrently.
 *   [control]         at most one thread at a time per instance, and never concurrently with any
 *                     other call on that instance (create, destroy, configuration).
 *   [state-serial]    calls on the same state object never overlap, but may come from different
 *                     OS threads over time (oneTBB work stealing); calls on different states of
 *                     one instance may run concurrently. All mutable data lives in the state.
 *   [instance-serial] calls on the same instance never overlap.
 * No C++ exception, longjmp or abort() may leave any function of this ABI.
 */
#ifndef HRM_PLUGIN_H
#define HRM_PLUGIN_H

#include "hrm_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Host services ------------------------------------------------------------------------------
 * Filled by libhrm, handed to the plugin at negotiation and to every create call. Owned by the
 * host, valid until after the plugin's deinit. Append-only: a slot exists when
 * api_version >= the "since" of the slot; the plugin never calls past host->api_version. */
typedef struct hrm_host {
    uint32_t struct_size;
    uint32_t api_version;   /* HRM_API_VERSION the host was compiled with */
    void *host_data;        /* opaque to the plugin; pass back in each call */

    /* [thread-safe] Create a status with a code and a UTF-8 message (copied). Never returns NULL
     * for code != HRM_OK; the receiver of the status frees it. */
    hrm_status *(HRM_ABI *status_create)(const struct hrm_host *host, hrm_code code, const char *message);
    /* [thread-safe] Log one line (no trailing newline needed). */
    void (HRM_ABI *log)(const struct hrm_host *host, hrm_log_level level, const char *message);
    /* [thread-safe] 64-byte aligned memory, or NULL. Used for blobs returned to the host. */
    void *(HRM_ABI *alloc)(const struct hrm_host *host, size_t size);
    /* [thread-safe] Free memory from alloc; accepts NULL. */
    void (HRM_ABI *free)(const struct hrm_host *host, void *ptr);
    /* [thread-safe] Run task(ctx, i) for i in [0, n_tasks) on the host's oneTBB workers and wait:
     * the workers of the caller's own arena when it runs inside one (a session or a trainer, so their
     * thread count holds), else the runtime's (hrm_runtime_params.n_threads). Returns false without
     * running anything if the host refuses; the plugin then loops serially. */
    bool (HRM_ABI *parallel_for)(const struct hrm_host *host, uint32_t n_tasks,
                                 void (HRM_ABI *task)(void *ctx, uint32_t index), void *ctx);
    /* [thread-safe] Optional host extension by id ("hrm.host.<name>/<rev>"), or NULL. */
    const void *(HRM_ABI *get_extension)(const struct hrm_host *host, const char *id);
} hrm_host;

/* ---- Negotiation --------------------------------------------------------------------------------
 * The loader fills hrm_loader_info and zero-fills hrm_plugin_info with its struct_size set, then
 * calls hrm_plugin_negotiate. The plugin picks an ABI major inside [abi_major_min, abi_major_max]
 * and fills *out, or returns a status (HRM_E_VERSION when no major fits, or when either
 * struct_size is smaller than the plugin needs). The loader then checks struct sizes, the chosen
 * major, that plugin_id is unique, and calls init. */
typedef struct hrm_loader_info {
    uint32_t struct_size;       /* sizeof(hrm_loader_info) as the loader was compiled */
    uint32_t abi_major_min;
    uint32_t abi_major_max;
    uint32_t api_version;       /* the host's HRM_API_VERSION */
    const hrm_host *host;       /* valid until after deinit */
} hrm_loader_info;

typedef struct hrm_plugin_info {
    uint32_t struct_size;       /* set by the loader: how much the plugin may write. A plugin built
                                 * against an older, shorter hrm_plugin_info lowers it to its own
                                 * sizeof; the loader refuses sizes below what it needs. */
    uint32_t abi_major;         /* chosen by the plugin */
    uint32_t api_version;       /* HRM_API_VERSION the plugin was compiled with */
    uint32_t reserved;
    const char *plugin_id;      /* reverse-DNS, unique among loaded plugins; static storage */
    const char *plugin_version; /* "1.0.0"; static storage */
    /* [control] Called once after negotiation (and possibly again by other loaders: keep a
     * count). Return false to refuse loading; log the reason through host->log first. */
    bool (HRM_ABI *init)(const hrm_host *host, const char *plugin_path);
    /* [control] Balances init; the library is unloaded only after the last deinit. */
    void (HRM_ABI *deinit)(void);
    /* [thread-safe] The factory for factory_id (HRM_FACTORY_*), or NULL if this plugin has none.
     * Owned by the plugin, valid until deinit. Valid only between init and deinit. */
    const struct hrm_factory *(HRM_ABI *get_factory)(const char *factory_id);
} hrm_plugin_info;

typedef hrm_status *(HRM_ABI *hrm_plugin_negotiate_fn)(const hrm_loader_info *loader, hrm_plugin_info *out);

#define HRM_PLUGIN_ENTRY_SYMBOL "hrm_plugin_negotiate"

/* The plugin's definition of the entry symbol must be marked HRM_PLUGIN_ENTRY:
 *   HRM_PLUGIN_ENTRY hrm_status *HRM_ABI hrm_plugin_negotiate(const hrm_loader_info *, hrm_plugin_info *) {...} */
#ifdef __cplusplus
#  define HRM_PLUGIN_ENTRY extern "C" HRM_EXPORT
#else
#  define HRM_PLUGIN_ENTRY HRM_EXPORT
#endif

/* ---- Factories ----------------------------------------------------------------------------------
 * One factory shape for the three kinds; the factory id says which kind of object create returns.
 * A published id never changes meaning: a new revision gets a new id ("/2"). */
#define HRM_FACTORY_MODEL "hrm.factory.model/1"      /* create returns const hrm_model *   */
#define HRM_FACTORY_ENCODER "hrm.factory.encoder/1"  /* create returns const hrm_encoder * */
#define HRM_FACTORY_POLICY "hrm.factory.policy/1"    /* create returns const hrm_policy *  */

typedef struct hrm_factory {
    uint32_t struct_size;
    uint32_t api_version;
    void *factory_data;   /* the plugin's */
    /* [thread-safe] Number of classes this factory creates. */
    uint32_t (HRM_ABI *count)(const struct hrm_factory *self);
    /* [thread-safe] Descriptor of class index (< count), owned by the plugin, valid until deinit. */
    const hrm_descriptor *(HRM_ABI *get_descriptor)(const struct hrm_factory *self, uint32_t index);
    /* [thread-safe] Create an instance of class id. host must outlive the instance. params is
     * borrowed for the call. On success *out receives the instance vtable (its kind given by the
     * factory id), owned by the caller and released with its destroy slot. */
    hrm_status *(HRM_ABI *create)(const struct hrm_factory *self, const char *id, const hrm_host *host,
                                  const hrm_instance_params *params, const void **out);
} hrm_factory;

#ifdef __cplusplus
}
#endif

#endif /* HRM_PLUGIN_H */
