// Per-token losses of the HRM loss head (reference models/losses.py) with their gradients.
//
// Common contract: logits [rows, vocab], labels [rows]; loss[r] is the per-token loss (0 where
// labels[r] == kIgnoreLabel). When dlogits is non-null it receives weight[r] · ∂loss[r]/∂logits[r]
// (weight = 1 when null; rows with ignored labels get zeros), so the caller folds its per-sequence
// normalisation into weight. Labels other than kIgnoreLabel must lie in [0, vocab).
#pragma once

#include <cstdint>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {

constexpr std::int32_t kIgnoreLabel = -100;

// Stablemax cross-entropy, in float64 like the reference:
//   s(x) = 1/(1 − x + 1e-30) if x < 0 else x + 1;   loss = −log(s(x_label) / Σ_v s(x_v)).
void stablemax_cross_entropy(const float* logits, const std::int32_t* labels, std::int64_t rows,
                             std::int64_t vocab, double* loss, float* dlogits = nullptr,
                             const float* weight = nullptr);
void stablemax_cross_entropy(const bf16* logits, const std::int32_t* labels, std::int64_t rows,
                             std::int64_t vocab, double* loss, float* dlogits = nullptr,
                             const float* weight = nullptr);

// Softmax cross-entropy in fp32 (F.cross_entropy with ignore_index=-100, reduction='none').
void softmax_cross_entropy(const float* logits, const std::int32_t* labels, std::int64_t rows,
                           std::int64_t vocab, float* loss, float* dlogits = nullptr,
                           const float* weight = nullptr);
void softmax_cross_entropy(const bf16* logits, const std::int32_t* labels, std::int64_t rows,
                           std::int64_t vocab, float* loss, float* dlogits = nullptr,
                           const float* weight = nullptr);

// Element-wise binary cross-entropy with logits, fp32:
//   loss = max(x, 0) − x·t + log(1 + e^−|x|),   ∂loss/∂x = sigmoid(x) − t.
void bce_with_logits(const float* logits, const float* targets, std::int64_t n, float* loss,
                     float* dlogits = nullptr, const float* weight = nullptr);

}  // namespace hrm::kernels
