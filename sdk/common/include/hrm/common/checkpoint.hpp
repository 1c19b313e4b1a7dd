// The SDK's model checkpoint: a safetensors file whose tensors use the reference state-dict keys
// ("inner.H_level.layers.0.self_attn.qkv_proj.weight", spec 6.2 without the "_orig_mod.model."
// prefix) and whose __metadata__ holds the model's TOML config under kConfigKey, so a checkpoint
// is self-describing.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hrm/common/safetensors.hpp"

namespace hrm::common {

inline constexpr const char *kConfigKey = "config";          // __metadata__ key of the TOML text
inline constexpr const char *kFormatKey = "format";
inline constexpr const char *kFormatValue = "hrm-sdk/1";

struct NamedTensor {
    std::string name;
    hrm_tensor tensor;   // compact CPU view (e.g. from hrm_model.param_get), borrowed for the call
};

// Write the tensors in the given order plus {config, format} (and `extra`) metadata, atomically.
void save_model_checkpoint(const std::string &path, const std::vector<NamedTensor> &tensors,
                           const std::string &config_toml, const std::map<std::string, std::string> &extra = {});

// The config text stored in a checkpoint, or "" if it has none.
std::string checkpoint_config(const SafetensorsFile &file);

}  // namespace hrm::common
