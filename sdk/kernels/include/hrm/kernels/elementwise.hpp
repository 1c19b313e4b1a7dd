// Embedding lookup, residual add and scaling, with their backward passes.
#pragma once

#include <cstdint>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {

// out[i, :] = table[ids[i], :] for i < n; table is the fp32 master [vocab, dim]. The bf16 variant
// rounds the looked-up rows, which equals the reference's lookup in table.to(bf16).
void embedding(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
               float* out);
void embedding(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
               bf16* out);
// dtable[ids[i], :] += dout[i, :] (scatter-add; repeated ids accumulate).
void embedding_backward(const float* dout, const std::int32_t* ids, std::int64_t n,
                        std::int64_t dim, float* dtable);

// out = a + b over n elements (out may alias a or b). bf16: fp32 sum rounded once.
void add(const float* a, const float* b, float* out, std::int64_t n);
void add(const bf16* a, const bf16* b, bf16* out, std::int64_t n);
// da += dout and db += dout (gradients accumulate); either may be null to skip it.
void add_backward(const float* dout, float* da, float* db, std::int64_t n);

// out = s·x (out may alias x). bf16: fp32 product rounded once. Its backward is scale(dy, s, dx).
void scale(const float* x, float s, float* out, std::int64_t n);
void scale(const bf16* x, float s, bf16* out, std::int64_t n);

}  // namespace hrm::kernels
