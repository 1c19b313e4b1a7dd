// Opening models for the runner: from a checkpoint file (its metadata names the model class and
// holds its config) or the bundled model of a task.
#pragma once

#include <string>

#include <hrm/hrm.hpp>

#include "config.hpp"

namespace hrm::runner {

// The model class ("hrm") and TOML config stored in a checkpoint's metadata.
struct CheckpointInfo {
    std::string arch;
    std::string config;
};
CheckpointInfo read_checkpoint_info(const std::string &path);

// A model instance with the weights of the checkpoint at path. `[model]` keys in config override
// the checkpoint's (e.g. model.halt_max_steps).
Instance open_model(Runtime &runtime, const std::string &path, const Config &config);

// models/<task>.safetensors next to the runner (source tree or <prefix>/share/hrm/models); throws
// naming the places it looked when there is none.
std::string bundled_model_path(const std::string &task);

// The task encoder for solving with a model: the config's [task] table, or, when the config has
// none, the one `hrm train` stored with the model (e.g. a maze canvas or a gridnav window), so
// puzzles are encoded the way the model saw them. An empty model_path becomes the task's bundled
// model.
Instance open_encoder_for_model(Runtime &runtime, const std::string &task, const Config &config,
                                std::string &model_path);

}  // namespace hrm::runner
