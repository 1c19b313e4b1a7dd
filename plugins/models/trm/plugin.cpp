// The TRM model plugin: the Tiny Recursive Model (SamsungSAILMontreal/TinyRecursiveModels,
// models/recursive_reasoning/trm.py) behind hrm_model.h: one network for both updates, attention or
// the sequence MLP, halting head only (docs/models-trm.md). The model itself is the shared core
// (plugins/models/common); this file only names the class and exports the entry point.
#include "hrm/hrm_plugin.hpp"

#include "glue.hpp"

namespace {

constexpr const char *kPluginId = "org.hrm-sdk.plugin.model-trm";
constexpr const char *kVersion = "1.0.0";

const char *const kFeatures[] = {"arch:trm", "dtype:fp32", "dtype:bf16", nullptr};
// One class; a table so the shared factory helpers (hrm_plugin.hpp) serve it.
const hrm_descriptor kClasses[] = {{
    sizeof(hrm_descriptor), HRM_KIND_MODEL, "org.hrm-sdk.model.trm", "trm", kVersion, "hrm-sdk",
    "Tiny Recursive Model (TRM: one 2-layer network, attention or MLP-mixer), fp32 and bf16",
    "https://github.com/SamsungSAILMontreal/TinyRecursiveModels", kFeatures}};

hrm_status *HRM_ABI factory_create(const hrm_factory *, const char *id, const hrm_host *host,
                                   const hrm_instance_params *params, const void **out) {
    return hrm::models::core::create_instance(&kClasses[0], "trm", id, host, params, out);
}

const hrm_factory kFactory = {sizeof(hrm_factory),
                              HRM_API_VERSION,
                              nullptr,
                              hrm::plugin::class_count<kClasses>,
                              hrm::plugin::class_descriptor<kClasses>,
                              factory_create};

}  // namespace

HRM_PLUGIN_DEFINE_ENTRY(kPluginId, kVersion, HRM_FACTORY_MODEL, kFactory)
