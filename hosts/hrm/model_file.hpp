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

// The model for people, from its config (TOML) and parameter count: "TRM-MLP (526,850 parameters)".
// The name is the architecture with its variant (TRM's token mixer: mlp_t), as the model cards
// and the TRM paper call them, so what runs is never mistaken for another architecture.
std::string describe_model(const std::string &config, int64_t n_params);

// Which weights of a training checkpoint: by default the EMA when training kept one (what its
// evaluations scored and what `hrm export` writes), else the raw weights; Raw = always the raw.
enum class Weights { Default, Raw };

// A model argument resolved to files. Every command that takes a model accepts the same four
// forms and means the same weights by them:
//   MODEL.safetensors              that file, as written
//   RUN/step_N                     a step folder: its model.safetensors, with its EMA by default
//   RUN                            a run folder: the step folder its `latest` file names
//   RUN/latest/model.safetensors   read as that step folder's model (`latest` is a file)
struct ModelSource {
    std::string model_file;  // the safetensors the model is created from
    std::string state_file;  // the train_state.safetensors whose ema.* replace the weights, or ""
    std::string step_dir;    // the step folder, or "" for a plain file
    // "runs/x/step_9000 (EMA weights)", "m.safetensors": what runs, for people.
    std::string describe() const;
};
ModelSource resolve_model(const std::string &arg, Weights weights = Weights::Default);

// A model instance with the weights arg names (see ModelSource). `[model]` keys in config
// override the checkpoint's (e.g. model.halt_max_steps). *source (may be NULL) receives what was
// opened.
Instance open_model(Runtime &runtime, const std::string &arg, const Config &config, Weights weights = Weights::Default,
                    ModelSource *source = nullptr);

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
