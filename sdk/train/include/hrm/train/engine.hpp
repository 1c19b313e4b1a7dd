// The training loop (pretrain.py, spec 3.1): sample a batch, run one ACT step over shards of the
// batch in parallel (one model state per shard), sum the gradients over shards in a fixed order,
// step AdamATan2 and the puzzle-embedding SignSGD, evaluate and checkpoint.
//
// Results do not depend on the thread count: the shards are fixed by shard_size, each shard's work
// is sequential, and every reduction runs in shard order.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <optional>

#include <tbb/task_arena.h>

#include <hrm/data/dataset.hpp>

#include "hrm/train/act.hpp"
#include "hrm/train/model.hpp"
#include "hrm/train/optimizer.hpp"
#include "hrm/train/sampler.hpp"
#include "hrm/train/schedule.hpp"

namespace hrm::train {

struct EngineConfig {
    int64_t global_batch_size = 64;
    int64_t epochs = 0;              // > 0: the reference budget int(epochs·groups·mean_examples/batch)
    int64_t steps = 0;               // > 0: this many steps (overrides epochs)
    int64_t epochs_per_iter = 1;     // sampler iteration length (the reference uses eval_interval epochs)
    double lr = 1e-4, lr_min_ratio = 1.0;
    int64_t lr_warmup_steps = 2000;
    double weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95;
    double puzzle_emb_lr = 1e-2, puzzle_emb_weight_decay = 0.1;
    LossType loss = LossType::Stablemax;
    double halt_exploration_prob = 0.1;
    uint64_t seed = 0;
    hrm_precision precision = HRM_PRECISION_FP32;
    int threads = 1;                 // oneTBB workers for the shards
    int64_t shard_size = 16;         // rows per model state (fixes the arithmetic, not the threads)
    double ema = 0.0;                // 0 = off, else the EMA rate (TRM: 0.999); evaluation then uses it
    int64_t eval_batch_size = 0;     // 0 = global_batch_size
    std::string metrics_path;        // JSONL, appended; "" = none
    std::string config_text;         // the whole training config, stored in checkpoints
    std::string model_config;        // the model's TOML config, stored in the weights' metadata
};

struct StepMetrics {   // one optimizer step, normalised as pretrain.py logs them
    int64_t step = 0;
    double lr = 0, loss = 0, lm_loss = 0, q_halt_loss = 0, q_continue_loss = 0;   // ÷ global batch
    double accuracy = 0, exact_accuracy = 0, q_halt_accuracy = 0, steps = 0;      // ÷ count
    int64_t count = 0;                                                             // rows that halted
};

struct EvalMetrics {   // the whole test split, every metric ÷ count (evaluate())
    int64_t step = 0, count = 0;
    double accuracy = 0, exact_accuracy = 0, q_halt_accuracy = 0, steps = 0, lm_loss = 0, q_halt_loss = 0;
};

class Engine {
public:
    // train may be null for evaluation-only use; test may be null when there is no test split.
    Engine(ModelRef &model, const EngineConfig &config, const data::Split *train, const data::Split *test);
    ~Engine();

    int64_t step() const { return step_; }
    int64_t total_steps() const { return total_steps_; }
    bool done() const { return step_ >= total_steps_ || exhausted_; }

    // One optimizer step; nullopt when an epoch-budgeted sampler has run out of data.
    std::optional<StepMetrics> train_step();
    EvalMetrics evaluate();

    // Checkpoint directory: <dir>/step_<N>/ and <dir>/latest (checkpoint.hpp).
    std::string save_checkpoint(const std::string &dir);
    void resume(const std::string &dir);   // from <dir>/latest, or a step folder

    const EngineConfig &config() const { return cfg_; }
    ModelRef &model() { return m_; }

private:
    friend struct CheckpointAccess;

    template <class F> void parallel_shards(F &&f);
    void swap_ema();
    void log_json(const std::string &line);

    ModelRef &m_;
    EngineConfig cfg_;
    const data::Split *train_, *test_;
    ActConfig act_;
    Schedule schedule_, puzzle_schedule_;
    AdamATan2 adam_;
    std::vector<size_t> trainable_;            // indices into m_.params()
    std::vector<std::vector<float>> grads_, ema_;
    std::unique_ptr<TrainSampler> sampler_;
    std::vector<std::unique_ptr<ActShard>> shards_;
    std::unique_ptr<tbb::task_arena> arena_;
    ActCarry carry_;
    Batch batch_;
    Rng rng_;                                  // exploration draws
    int64_t step_ = 0, total_steps_ = 0;
    bool exhausted_ = false;
    std::ofstream metrics_;
};

}  // namespace hrm::train
