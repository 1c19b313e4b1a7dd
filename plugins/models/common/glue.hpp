// The ABI glue shared by the model plugins of the family (plugins/models/{hrm,trm,transformer}):
// each plugin defines its class descriptor and entry point and creates its instances here.
#pragma once

#include "hrm/hrm_model.h"
#include "hrm/hrm_plugin.h"

namespace hrm::models::core {

// The body of a model factory's create for the class `desc` of arch `arch` ("hrm", "trm",
// "transformer"): checks that the requested class id is desc->id, parses the config (params->config, else the checkpoint's metadata, else the
// arch's defaults; a config naming another arch is refused), loads or initialises the weights and
// returns the hrm_model vtable in *out (owned by the caller, released with its destroy). Never
// throws; failures are statuses from host->status_create.
hrm_status *create_instance(const hrm_descriptor *desc, const char *arch, const char *id, const hrm_host *host,
                            const hrm_instance_params *params, const void **out);

}  // namespace hrm::models::core
