// Rotary position embedding, half-split (GPT-NeoX) layout:
//   y[:h] = x[:h]·cos − x[h:]·sin,  y[h:] = x[h:]·cos + x[:h]·sin,   h = head_dim / 2
// with angle(pos, i) = pos · theta^(−2i/head_dim), all tables in fp32 exactly as the reference
// builds them (inv_freq in fp32, outer product in fp32).
#pragma once

#include <cstdint>
#include <vector>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {

class RopeTable {
 public:
  RopeTable(std::int64_t length, std::int64_t head_dim, float theta = 10000.0f);

  std::int64_t length() const { return length_; }
  std::int64_t head_dim() const { return head_dim_; }
  // head_dim/2 values for position pos (the two halves of the reference table are equal).
  const float* cos(std::int64_t pos) const { return cos_.data() + pos * (head_dim_ / 2); }
  const float* sin(std::int64_t pos) const { return sin_.data() + pos * (head_dim_ / 2); }

 private:
  std::int64_t length_;
  std::int64_t head_dim_;
  std::vector<float> cos_, sin_;
};

// In place on x = [batch, table.length(), row_stride]: rotates heads 0..n_heads-1, head h
// occupying features [h·head_dim, (h+1)·head_dim). For a packed qkv buffer pass n_heads = 2·H
// (Q and K heads) and row_stride = 3·H·head_dim.
void rope(float* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
          const RopeTable& table);
// bf16 storage: fp32 math, rounded back to bf16.
void rope(bf16* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
          const RopeTable& table);

// Backward (the transposed rotation), in place on the gradient dx laid out like x.
void rope_backward(float* dx, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
                   const RopeTable& table);

}  // namespace hrm::kernels
