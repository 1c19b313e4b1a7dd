/*
 * test_plugin.c - one source, many test plugins (Vulkan-loader style): each TEST_* macro builds a
 * library that breaks exactly one rule of the plugin ABI, so the loader tests can check that each
 * is refused with the right code and reason. Without a macro it is a good plugin:
 *   plugin "org.hrm-sdk.test.good" with one policy "org.hrm-sdk.test.good.fixed" whose short name
 *   is "example-fixed", the same as the example's policy, to test ambiguous names. Its
 *   get_extension hands out the hrm_host it was created with (TEST_HOST_EXTENSION) so tests can
 *   call the host services directly, and init/deinit log "test plugin init" / "test plugin deinit"
 *   at INFO.
 *
 * Variants: TEST_NO_ENTRY, TEST_ABI_OUT_OF_RANGE, TEST_REFUSE, TEST_SMALL_INFO, TEST_DUPLICATE_ID,
 * TEST_INIT_FAILS, TEST_WRONG_KIND, TEST_NULL_FACTORY_SLOT, TEST_BAD_VTABLE.
 */
#include <hrm/hrm_plugin.h>
#include <hrm/hrm_policy.h>

#include <stdlib.h>
#include <string.h>

#define TEST_HOST_EXTENSION "org.hrm-sdk.test.host/1"

/* Each variant has its own plugin id (set by CMake), except TEST_DUPLICATE_ID, which reuses the
 * good plugin's, from another file. */
#if !defined(TEST_PLUGIN_ID) || defined(TEST_DUPLICATE_ID)
#  undef TEST_PLUGIN_ID
#  define TEST_PLUGIN_ID "org.hrm-sdk.test.good"
#endif
#define PLUGIN_ID TEST_PLUGIN_ID
#define CLASS_ID TEST_PLUGIN_ID ".fixed"

/* The host of the last init; the tests load each test library into one runtime at a time. */
static const hrm_host *g_host;
static int g_init_count;

static bool HRM_ABI test_init(const hrm_host *host, const char *path) {
    (void)path;
    g_host = host;
    ++g_init_count;
    host->log(host, HRM_LOG_INFO, "test plugin init");
#if defined(TEST_INIT_FAILS)
    host->log(host, HRM_LOG_ERROR, "test plugin refuses to initialise");
    return false;
#else
    return true;
#endif
}

static void HRM_ABI test_deinit(void) {
    if (--g_init_count == 0) g_host->log(g_host, HRM_LOG_INFO, "test plugin deinit");
}

/* ---- The policy: halt at segment 2 ---- */

struct hrm_policy_state {
    int unused;
};

static hrm_status *HRM_ABI get_spec(const hrm_policy *self, hrm_policy_spec *out) {
    (void)self;
    out->min_segments = 1;
    out->max_segments = 2;
    out->n_starts = 1;
    return NULL;
}

static hrm_status *HRM_ABI state_create(const hrm_policy *self, int64_t n_slots, hrm_policy_state **out) {
    (void)self;
    (void)n_slots;
    *out = (hrm_policy_state *)calloc(1, sizeof **out);
    return NULL;
}

static void HRM_ABI state_free(const hrm_policy *self, hrm_policy_state *state) {
    (void)self;
    free(state);
}

static hrm_status *HRM_ABI decide(const hrm_policy *self, hrm_policy_state *state, int64_t n,
                                  const hrm_policy_row *rows, size_t row_size, uint8_t *halt) {
    hrm_policy_row row;
    int64_t i;
    (void)self;
    (void)state;
    for (i = 0; i < n; ++i) {
        hrm_policy_row_get(rows, row_size, i, &row);
        halt[i] = row.segment >= 2;
    }
    return NULL;
}

static const void *HRM_ABI get_extension(const hrm_policy *self, const char *id) {
    return strcmp(id, TEST_HOST_EXTENSION) == 0 ? (const void *)self->plugin_data : NULL;
}

static void HRM_ABI destroy(const hrm_policy *self) { free((void *)self); }

static const hrm_descriptor k_desc = {sizeof(hrm_descriptor),
#if defined(TEST_WRONG_KIND)
                                      HRM_KIND_ENCODER, /* served by the policy factory */
#else
                                      HRM_KIND_POLICY,
#endif
                                      CLASS_ID, "example-fixed", "1.0.0", "hrm-sdk tests", "test policy", "", NULL};

static uint32_t HRM_ABI count(const hrm_factory *self) {
    (void)self;
    return 1;
}

static const hrm_descriptor *HRM_ABI get_descriptor(const hrm_factory *self, uint32_t index) {
    (void)self;
    return index == 0 ? &k_desc : NULL;
}

static hrm_status *HRM_ABI create(const hrm_factory *self, const char *id, const hrm_host *host,
                                  const hrm_instance_params *params, const void **out) {
    hrm_policy *p = (hrm_policy *)calloc(1, sizeof *p);
    (void)self;
    (void)id;
    (void)params;
    if (!p) return host->status_create(host, HRM_E_OUT_OF_MEMORY, "out of memory");
    p->struct_size = sizeof *p;
    p->api_version = HRM_API_VERSION;
    p->desc = &k_desc;
    p->plugin_data = (void *)host;
    p->get_spec = get_spec;
    p->state_create = state_create;
    p->state_free = state_free;
#if !defined(TEST_BAD_VTABLE)
    p->decide = decide; /* left NULL: a required slot missing */
#endif
    p->get_extension = get_extension;
    p->destroy = destroy;
    *out = p;
    return NULL;
}

static const hrm_factory k_factory = {sizeof(hrm_factory), HRM_API_VERSION, NULL, count, get_descriptor,
#if defined(TEST_NULL_FACTORY_SLOT)
                                      NULL
#else
                                      create
#endif
};

static const hrm_factory *HRM_ABI get_factory(const char *factory_id) {
    return strcmp(factory_id, HRM_FACTORY_POLICY) == 0 ? &k_factory : NULL;
}

#if defined(TEST_NO_ENTRY)
/* Exported, but not under the entry symbol's name. */
HRM_EXPORT int hrm_plugin_negotiate_misspelled(void) { return 0; }
#else
HRM_PLUGIN_ENTRY hrm_status *HRM_ABI hrm_plugin_negotiate(const hrm_loader_info *loader, hrm_plugin_info *out) {
#  if defined(TEST_REFUSE)
    return loader->host->status_create(loader->host, HRM_E_VERSION, "test plugin wants ABI major 7");
#  endif
    out->abi_major = HRM_ABI_MAJOR;
#  if defined(TEST_ABI_OUT_OF_RANGE)
    out->abi_major = 99;
#  endif
#  if defined(TEST_SMALL_INFO)
    out->struct_size = 8; /* as if built against a header whose hrm_plugin_info ended early */
#  endif
    (void)loader;
    out->api_version = HRM_API_VERSION;
    out->plugin_id = PLUGIN_ID;
    out->plugin_version = "0.0.1";
    out->init = test_init;
    out->deinit = test_deinit;
    out->get_factory = get_factory;
    return NULL;
}
#endif
