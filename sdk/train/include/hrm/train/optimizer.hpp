// Optimizers of the reference recipe (spec 3.3, 3.5):
// - AdamATan2 (imoneoi/adam-atan2, csrc/adam_atan2.cu) for every trainable parameter;
// - sparse SignSGD (models/sparse_embedding.py) for the puzzle-embedding rows of the batch;
// - an optional EMA of the trainable weights (the TRM recipe; off in the HRM reference).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hrm::train {

class AdamATan2 {
public:
    double beta1 = 0.9, beta2 = 0.95, weight_decay = 0.1;

    // One moment pair per tensor, of the given sizes, zero-initialised; step count 0.
    void init(const std::vector<int64_t> &sizes);
    // Increment the (float32) step count; call once per optimizer step before update().
    void begin_step() { step_ += 1.0f; }
    // The update of tensor i with the given lr (kernel order: decay, lerp m and v, atan2 step).
    void update(size_t i, float *param, const float *grad, double lr);

    float step_count() const { return step_; }
    void set_step_count(float t) { step_ = t; }
    std::vector<std::vector<float>> &exp_avg() { return m_; }
    std::vector<std::vector<float>> &exp_avg_sq() { return v_; }

private:
    float step_ = 0.0f;
    std::vector<std::vector<float>> m_, v_;
};

// Sparse SignSGD over the table rows named by ids (one per batch row, duplicates allowed):
// gradients of equal ids are summed in row order, then for each touched row only
//   w = w * (1 - lr*wd) - lr * sign(G).
// table: [n_ids, dim]; grads: [rows, dim].
void signsgd_sparse(float *table, int64_t n_ids, int64_t dim, const int32_t *ids, const float *grads, int64_t rows,
                    double lr, double weight_decay);

// ema = rate * ema + (1 - rate) * value (the TRM models/ema.py update).
void ema_update(float *ema, const float *value, int64_t n, double rate);

}  // namespace hrm::train
