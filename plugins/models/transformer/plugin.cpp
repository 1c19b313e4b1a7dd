// The plain-transformer baseline of the ARC Prize HRM analysis behind hrm_model.h: one stack of
// HRM's post-norm blocks, one pass per ACT segment, the carry z_H kept across segments with the
// input injected (docs/models-trm.md, "The transformer baseline"). The model itself is the shared
// core (plugins/models/common); this file only names the class and exports the entry point.
#include "hrm/hrm_plugin.hpp"

#include "glue.hpp"

namespace {

constexpr const char *kPluginId = "org.hrm-sdk.plugin.model-transformer";
constexpr const char *kVersion = "1.0.0";

const char *const kFeatures[] = {"arch:transformer", "dtype:fp32", "dtype:bf16", nullptr};
// One class; a table so the shared factory helpers (hrm_plugin.hpp) serve it.
const hrm_descriptor kClasses[] = {{
    sizeof(hrm_descriptor), HRM_KIND_MODEL, "org.hrm-sdk.model.transformer", "transformer", kVersion, "hrm-sdk",
    "Plain post-norm transformer with HRM's budget, one pass per ACT segment (ablation baseline), fp32 and bf16",
    "https://arcprize.org/blog/hrm-analysis", kFeatures}};

hrm_status *HRM_ABI factory_create(const hrm_factory *, const char *id, const hrm_host *host,
                                   const hrm_instance_params *params, const void **out) {
    return hrm::models::core::create_instance(&kClasses[0], "transformer", id, host, params, out);
}

const hrm_factory kFactory = {sizeof(hrm_factory),
                              HRM_API_VERSION,
                              nullptr,
                              hrm::plugin::class_count<kClasses>,
                              hrm::plugin::class_descriptor<kClasses>,
                              factory_create};

}  // namespace

HRM_PLUGIN_DEFINE_ENTRY(kPluginId, kVersion, HRM_FACTORY_MODEL, kFactory)
