// The ACT outer loop of the reference in training and evaluation (models/hrm/hrm_act_v1.py forward,
// models/losses.py ACTLossHead; spec 2.1-2.4), driven through the ABI one shard of rows at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hrm/train/model.hpp"
#include "hrm/train/sampler.hpp"

namespace hrm::train {

enum class LossType { Stablemax, Softmax };

struct ActConfig {
    int32_t halt_max_steps = 16;
    double exploration_prob = 0.1;
    LossType loss = LossType::Stablemax;
    int64_t global_batch = 1;   // the loss is divided by it before backward (pretrain.py)
    // false for models with a halting head only (HRM_TRAIN_NO_Q_CONTINUE, TRM): halt when
    // q_halt > 0, no bootstrap target, no continue loss.
    bool q_continue = true;
};

// Row sums of one segment, before any division (spec 2.4).
struct ActSums {
    double lm_loss = 0, q_halt_loss = 0, q_continue_loss = 0;
    int64_t count = 0;          // valid rows: halted & (labels present)
    double accuracy = 0;        // Σ_valid per-sequence token accuracy
    int64_t exact = 0, q_halt_correct = 0, steps = 0;
    void add(const ActSums &o);
};

// Losses, metrics and (when dlogits/dq are given) the gradient of loss·grad_scale for `rows` rows:
//   lm_loss = Σ_r Σ_t CE(logits[r,t], labels[r,t]) / max(n_r, 1)
//   q_halt_loss = Σ_r BCE(q_halt[r], seq_is_correct[r]); q_continue_loss = Σ_r BCE(q_cont[r], target[r])
//   loss = lm_loss + 0.5·(q_halt_loss + q_continue_loss)
// target_q_continue may be null (evaluation, halt_max_steps == 1): no continue loss then.
// steps / halted are the values after the step (metrics count halted rows only).
ActSums act_losses(const float *logits, const float *q, const int32_t *labels, const int32_t *steps,
                   const uint8_t *halted, const float *target_q_continue, int64_t rows, int64_t seq_len, int64_t vocab,
                   LossType loss, double grad_scale, float *dlogits, float *dq);

// The carry of spec 2.1 for all rows of the global batch, except z_H/z_L, which live in the model
// states of the shards. Initially every row is halted, so the first step loads a whole batch.
struct ActCarry {
    int64_t rows = 0, seq_len = 0;
    std::vector<int32_t> inputs, labels, puzzle_ids, steps;
    std::vector<uint8_t> halted;
    void init(int64_t rows, int64_t seq_len);
};

// Rows [begin, begin + rows) of the global batch: their model state (holding z_H, z_L and the
// gradients), a second state for the bootstrap target forward, and the segment buffers.
class ActShard {
public:
    ActShard(ModelRef &model, int64_t begin, int64_t rows, hrm_precision precision, bool with_target);

    // One outer step (spec 2.2) of the shard's rows. Halted rows take their row of `fresh` and
    // restart from the initial carry. Training (min_halt non-null, indexed by global row): halting
    // by Q with exploration, the target forward, and loss gradients accumulated into the state's
    // zeroed gradients. Evaluation (min_halt null): every row runs exactly halt_max_steps segments.
    ActSums step(ActCarry &carry, const Batch &fresh, const int32_t *min_halt, const ActConfig &cfg);

    State &state() { return *state_; }
    int64_t begin() const { return begin_; }
    int64_t rows() const { return rows_; }

private:
    ModelRef &m_;
    int64_t begin_, rows_;
    std::unique_ptr<State> state_, target_;
    std::vector<float> logits_, q_, dlogits_, dq_, target_q_, nq_;
};

// Exploration draws of spec 2.2 for every row, made serially so they do not depend on threads:
// with probability p a minimum of U{2..M} steps, else 0. Every row consumes the same draws
// whether or not it explores (two, or one when halt_max_steps < 2), so the stream never depends
// on outcomes.
std::vector<int32_t> draw_min_halt(Rng &rng, int64_t rows, int32_t halt_max_steps, double exploration_prob);

}  // namespace hrm::train
