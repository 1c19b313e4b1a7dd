// The HRM model plugin: the reference Hierarchical Reasoning Model (sapientinc/HRM hrm_act_v1)
// behind hrm_model.h. The model itself is the shared core (plugins/models/common); this file only
// names the class and exports the entry point.
#include "hrm/hrm_plugin.hpp"

#include "glue.hpp"

namespace {

constexpr const char *kPluginId = "org.hrm-sdk.plugin.model-hrm";
constexpr const char *kVersion = "1.0.0";

const char *const kFeatures[] = {"arch:hrm", "dtype:fp32", "dtype:bf16", nullptr};
// One class; a table so the shared factory helpers (hrm_plugin.hpp) serve it.
const hrm_descriptor kClasses[] = {{
    sizeof(hrm_descriptor), HRM_KIND_MODEL, "org.hrm-sdk.model.hrm", "hrm", kVersion, "hrm-sdk",
    "Hierarchical Reasoning Model (sapientinc/HRM hrm_act_v1), fp32 reference mode and bf16",
    "https://github.com/sapientinc/HRM", kFeatures}};

hrm_status *HRM_ABI factory_create(const hrm_factory *, const char *id, const hrm_host *host,
                                   const hrm_instance_params *params, const void **out) {
    return hrm::models::core::create_instance(&kClasses[0], "hrm", id, host, params, out);
}

const hrm_factory kFactory = {sizeof(hrm_factory),
                              HRM_API_VERSION,
                              nullptr,
                              hrm::plugin::class_count<kClasses>,
                              hrm::plugin::class_descriptor<kClasses>,
                              factory_create};

}  // namespace

HRM_PLUGIN_DEFINE_ENTRY(kPluginId, kVersion, HRM_FACTORY_MODEL, kFactory)
