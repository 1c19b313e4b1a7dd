// The [train] table of a training config, read and checked before anything runs: every key known,
// every number finite and in its range, each error naming the key and the bad value (issue #24:
// lr = nan trained to an all-NaN checkpoint and exited 0; beta1 = 1.5, negative intervals and
// eval_batch_size 0 were accepted; global_batch_size 1e12 allocated until the OOM killer).
// Separate from cmd_train so that tests and fuzz/config_runner check it without a model.
#pragma once

#include <cstdint>
#include <string>

#include <hrm/train/engine.hpp>

#include "config.hpp"

namespace hrm::runner {

// Upper bounds that keep a typo from allocating or running without end; far above any real run.
inline constexpr int64_t kMaxBatch = 1 << 20;          // rows per optimizer step
inline constexpr int64_t kMaxSteps = int64_t(1) << 40;  // steps, warm-up steps, intervals, epochs

struct TrainSettings {
    hrm::train::EngineConfig engine;   // everything but metrics_path, config_text, model_config, precision
    std::string data, out, precision;
    int64_t eval_interval = 0, checkpoint_interval = 0, log_interval = 10;
};

// Reads [train] (and the top-level tables) of config; `file` names it in errors. Throws
// ConfigError naming the key. `threads` > 0 overrides train.threads (the --threads option).
TrainSettings read_train_config(const Config &config, const std::string &file, int threads = -1);

}  // namespace hrm::runner
