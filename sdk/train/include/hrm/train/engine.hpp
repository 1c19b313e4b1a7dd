// The training loop (pretrain.py, spec 3.1): sample a batch, run one ACT step over shards of the
// batch in parallel (one model state per shard), sum the gradients over shards in a fixed order,
// step AdamATan2 and the puzzle-embedding SignSGD, evaluate and checkpoint.
//
// Results do not depend on the thread count: the shards are fixed by shard_size, each shard's work
// is sequential, and every reduction runs in shard order.
//
// Nor on the number of processes of a data-parallel run (EngineConfig::comm, docs/distributed.md):
// rank r of N owns a contiguous range of the shards, computes them as one process would, and every
// reduction still runs in shard order across the ranks (Comm::ordered_sum for the gradients, the
// gathered per-shard sums for the metrics and puzzle-embedding rows). Every rank keeps the whole
// model and optimizer state and applies the same update, so the weights are the same bytes on every
// rank and equal to one process's.
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
#include "hrm/train/comm.hpp"
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
    Comm *comm = nullptr;            // the ranks of a data-parallel run (comm.hpp); null = one process
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

    // Checkpoint directory: <dir>/step_<N>/ and <dir>/latest (checkpoint.hpp). Collective: rank 0
    // gathers the carry of every shard and writes; every rank returns the folder or throws.
    std::string save_checkpoint(const std::string &dir);
    // From <dir>/latest, or a step folder; collective: every rank loads the folder rank 0 resolves.
    void resume(const std::string &dir);
    // Collective: throws unless every rank holds the same weights, optimizer state, step and
    // config as rank 0 (a different checkpoint or plugin build on one node). No-op for one process.
    void check_replicas();

    // The shards of the global batch [first, first + count) that this rank computes.
    int64_t first_shard() const { return shard_first_; }
    int64_t local_shards() const { return int64_t(shards_.size()); }

    const EngineConfig &config() const { return cfg_; }
    ModelRef &model() { return m_; }

private:
    friend struct CheckpointAccess;

    template <class F> void parallel_shards(F &&f);
    void swap_ema();
    void log_json(const std::string &line);

    // The carry rows and model carries of this rank's shards, in bytes, for rank 0's checkpoint.
    std::string pack_carries();
    // Rank 0's part of save_checkpoint, with every rank's pack_carries() in rank order.
    std::string write_checkpoint(const std::string &dir, const std::vector<std::string> &parts);

    ModelRef &m_;
    Comm &comm_;
    EngineConfig cfg_;
    const data::Split *train_, *test_;
    ActConfig act_;
    Schedule schedule_, puzzle_schedule_;
    AdamATan2 adam_;
    std::vector<size_t> trainable_;            // indices into m_.params()
    std::vector<float> grad_;                  // all trainable tensors' gradients, concatenated
    std::vector<size_t> grad_off_;             // tensor j is grad_[grad_off_[j], grad_off_[j + 1])
    std::vector<std::vector<float>> ema_;
    std::unique_ptr<TrainSampler> sampler_;
    std::vector<std::unique_ptr<ActShard>> shards_;   // this rank's shards
    int64_t shard_first_ = 0;                  // the global index of shards_[0]
    std::unique_ptr<tbb::task_arena> arena_;
    ActCarry carry_;
    Batch batch_;
    Rng rng_;                                  // exploration draws
    int64_t step_ = 0, total_steps_ = 0;
    bool exhausted_ = false;
    std::ofstream metrics_;
};

}  // namespace hrm::train
