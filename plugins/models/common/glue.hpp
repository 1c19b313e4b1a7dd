// The ABI glue shared by the model plugins of the family (plugins/models/{hrm,trm,transformer}):
// each plugin is one HRM_MODEL_PLUGIN line naming its class; the instances are created here.
#pragma once

#include "hrm/hrm_model.h"
#include "hrm/hrm_plugin.h"
#include "hrm/hrm_plugin.hpp"

namespace hrm::models::core {

// The body of a model factory's create for the class `desc` of arch `arch` ("hrm", "trm",
// "transformer"): checks that the requested class id is desc->id, parses the config (params->config, else the checkpoint's metadata, else the
// arch's defaults; a config naming another arch is refused), loads or initialises the weights and
// returns the hrm_model vtable in *out (owned by the caller, released with its destroy). Never
// throws; failures are statuses from host->status_create.
hrm_status *create_instance(const hrm_descriptor *desc, const char *arch, const char *id, const hrm_host *host,
                            const hrm_instance_params *params, const void **out);

// The descriptor feature naming the SIMD target the kernels dispatch to on this CPU ("simd:AVX2",
// hrm/kernels/cpu.hpp), or "simd:unsupported" when HRM_CPU_TARGET is unusable (create then says
// why). Computed once, when the plugin is loaded; static storage.
const char *simd_feature();

}  // namespace hrm::models::core

// The whole of a model plugin with one class of arch ARCH (a string literal: "hrm", "trm",
// "transformer"): its descriptor (id org.hrm-sdk.model.<ARCH>, features arch:<ARCH>, fp32, bf16, simd:<target>),
// a factory whose create is create_instance, and the exported entry point (plugin id
// org.hrm-sdk.plugin.model-<ARCH>, version 1.0.0). Write it once at global scope.
#define HRM_MODEL_PLUGIN(ARCH, DESCRIPTION, HOMEPAGE)                                                                  \
    namespace {                                                                                                        \
    constexpr const char *kVersion = "1.0.0";                                                                          \
    const char *const kFeatures[] = {"arch:" ARCH, "dtype:fp32", "dtype:bf16", hrm::models::core::simd_feature(),     \
                                     nullptr};                                                                         \
    /* One class; a table so the shared factory helpers (hrm_plugin.hpp) serve it. */                                 \
    const hrm_descriptor kClasses[] = {{sizeof(hrm_descriptor), HRM_KIND_MODEL, "org.hrm-sdk.model." ARCH, ARCH,      \
                                        kVersion, "hrm-sdk", DESCRIPTION, HOMEPAGE, kFeatures}};                      \
    hrm_status *HRM_ABI factory_create(const hrm_factory *, const char *id, const hrm_host *host,                      \
                                       const hrm_instance_params *params, const void **out) {                          \
        return hrm::models::core::create_instance(&kClasses[0], ARCH, id, host, params, out);                          \
    }                                                                                                                  \
    const hrm_factory kFactory = {sizeof(hrm_factory),                        HRM_API_VERSION, nullptr,               \
                                  hrm::plugin::class_count<kClasses>,         hrm::plugin::class_descriptor<kClasses>, \
                                  factory_create};                                                                     \
    }                                                                                                                  \
    HRM_PLUGIN_DEFINE_ENTRY("org.hrm-sdk.plugin.model-" ARCH, kVersion, HRM_FACTORY_MODEL, kFactory)
