// Weightless RMSNorm over the last dimension: y = x · rsqrt(mean(x²) + eps), fp32 math.
#pragma once

#include <cstdint>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {

constexpr float kRmsNormEps = 1e-5f;

// x, y: [rows, dim]. In place (x == y) is allowed.
void rms_norm(const float* x, float* y, std::int64_t rows, std::int64_t dim,
              float eps = kRmsNormEps);
// bf16 storage: fp32 math, result rounded to bf16 once.
void rms_norm(const bf16* x, bf16* y, std::int64_t rows, std::int64_t dim, float eps = kRmsNormEps);

// dx = r·(dy − y·mean(dy·y)) with r = rsqrt(mean(x²)+eps), y = x·r. x is the forward input.
// dx may alias dy.
void rms_norm_backward(const float* x, const float* dy, float* dx, std::int64_t rows,
                       std::int64_t dim, float eps = kRmsNormEps);

}  // namespace hrm::kernels
