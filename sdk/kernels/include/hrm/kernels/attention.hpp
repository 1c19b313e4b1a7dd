// Non-causal multi-head attention without mask, on a packed qkv buffer:
//   qkv [batch, len, 3·heads·head_dim]: heads 0..H-1 are Q, H..2H-1 are K, 2H..3H-1 are V,
//   feature index = head·head_dim + d (the reference's qkv.view(B, L, 3H, Dh));
//   out [batch, len, heads·head_dim] = softmax(q·kᵀ / sqrt(head_dim)) · v per head.
// Computed flash-attention style (key blocks with an online softmax), so memory is O(len·head_dim)
// per call whatever the length; no [len, len] score matrix is ever stored.
#pragma once

#include <cstdint>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {

// lse (optional, [batch, heads, len]) receives the log-sum-exp of each row of scaled scores,
// which attention_backward needs.
void attention(const float* qkv, float* out, std::int64_t batch, std::int64_t len,
               std::int64_t heads, std::int64_t head_dim, float* lse = nullptr);
// bf16 storage, fp32 math; the output is rounded to bf16 once.
void attention(const bf16* qkv, bf16* out, std::int64_t batch, std::int64_t len, std::int64_t heads,
               std::int64_t head_dim, float* lse = nullptr);

// Gradient w.r.t. the packed qkv buffer (overwritten, same layout as qkv). out and lse are the
// forward results for the same qkv; dout has the layout of out. Scores are recomputed.
void attention_backward(const float* qkv, const float* out, const float* dout, const float* lse,
                        float* dqkv, std::int64_t batch, std::int64_t len, std::int64_t heads,
                        std::int64_t head_dim);

}  // namespace hrm::kernels
