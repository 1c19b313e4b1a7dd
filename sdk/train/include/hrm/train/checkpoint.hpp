// Training checkpoints (docs/training.md, "Checkpoints"):
//
//   <dir>/latest                      one line: the name of the newest complete step folder
//   <dir>/step_<N>/model.safetensors  weights under the reference keys (spec 6.2, no prefix), the
//                                     model's TOML config in the metadata: `hrm solve/eval` open it
//   <dir>/step_<N>/train_state.safetensors
//                                     AdamATan2 m and v, the EMA, the training carry (data, steps,
//                                     halted of every row and the model carry of every shard);
//                                     metadata: step, optimizer step count, sampler position, RNG
//   <dir>/step_<N>/config.toml        the training config
//
// A step folder is written under a temporary name and renamed when complete; only then is
// `latest` replaced (write-to-temp + rename). A crash at any point leaves `latest` naming a
// complete folder.
#pragma once

#include <string>

namespace hrm::train {

inline constexpr const char *kModelFile = "model.safetensors";
inline constexpr const char *kStateFile = "train_state.safetensors";
inline constexpr const char *kConfigFile = "config.toml";
inline constexpr const char *kLatestFile = "latest";

// The step folder a checkpoint path names: dir itself when it holds a model file, else the folder
// that dir/latest names. Throws HRM_E_NOT_FOUND when there is none.
std::string resolve_checkpoint(const std::string &dir);

}  // namespace hrm::train
