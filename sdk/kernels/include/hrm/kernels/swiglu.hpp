// SwiGLU activation on the fused gate/up projection: gu [rows, 2·inter] holds gate in its first
// half and up in its second (torch.chunk order); y [rows, inter] = silu(gate) · up.
#pragma once

#include <cstdint>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {

void swiglu(const float* gu, float* y, std::int64_t rows, std::int64_t inter);
// bf16 storage with the reference's two rounding points: bf16(bf16(silu(gate)) · up).
void swiglu(const bf16* gu, bf16* y, std::int64_t rows, std::int64_t inter);

// dgu [rows, 2·inter] (overwritten): d gate = dy·up·silu'(gate), d up = dy·silu(gate).
void swiglu_backward(const float* gu, const float* dy, float* dgu, std::int64_t rows,
                     std::int64_t inter);

}  // namespace hrm::kernels
