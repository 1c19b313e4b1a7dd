#include "hrm/kernels/rope.hpp"

#include <cmath>
#include <stdexcept>

#include "simd.hpp"

namespace hrm::kernels {
namespace {

using simd::kLanes;
using simd::tail_mask;

// Rotates every head of every token by +angle (sign = +1) or by −angle (sign = −1, the
// backward pass: the transpose of a rotation is the rotation by the opposite angle).
template <typename T>
void rotate(T* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
            const RopeTable& t, float sign) {
  const std::int64_t half = t.head_dim() / 2;
  const __m512 sgn = _mm512_set1_ps(sign);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t pos = 0; pos < t.length(); ++pos) {
      T* row = x + (b * t.length() + pos) * row_stride;
      const float* cs = t.cos(pos);
      const float* sn = t.sin(pos);
      for (std::int64_t h = 0; h < n_heads; ++h) {
        T* lo = row + h * t.head_dim();
        T* hi = lo + half;
        for (std::int64_t i = 0; i < half; i += kLanes) {
          const __mmask16 m = tail_mask(half - i);
          const __m512 c = simd::load(cs + i, m);
          const __m512 s = _mm512_mul_ps(simd::load(sn + i, m), sgn);
          const __m512 x1 = simd::load(lo + i, m);
          const __m512 x2 = simd::load(hi + i, m);
          simd::store(lo + i, _mm512_sub_ps(_mm512_mul_ps(x1, c), _mm512_mul_ps(x2, s)), m);
          simd::store(hi + i, _mm512_add_ps(_mm512_mul_ps(x2, c), _mm512_mul_ps(x1, s)), m);
        }
      }
    }
  }
}

}  // namespace

RopeTable::RopeTable(std::int64_t length, std::int64_t head_dim, float theta)
    : length_(length), head_dim_(head_dim) {
  if (head_dim <= 0 || head_dim % 2 != 0) throw std::invalid_argument("RoPE head_dim must be even");
  const std::int64_t half = head_dim / 2;
  cos_.resize(length * half);
  sin_.resize(length * half);
  for (std::int64_t i = 0; i < half; ++i) {
    // Same fp32 operation order as the reference: 1 / theta^(float(2i) / dim).
    const float inv_freq =
        1.0f / std::pow(theta, static_cast<float>(2 * i) / static_cast<float>(head_dim));
    for (std::int64_t pos = 0; pos < length; ++pos) {
      const float angle = static_cast<float>(pos) * inv_freq;
      cos_[pos * half + i] = std::cos(angle);
      sin_[pos * half + i] = std::sin(angle);
    }
  }
}

void rope(float* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
          const RopeTable& table) {
  rotate(x, batch, n_heads, row_stride, table, 1.0f);
}

void rope(bf16* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
          const RopeTable& table) {
  rotate(x, batch, n_heads, row_stride, table, 1.0f);
}

void rope_backward(float* dx, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
                   const RopeTable& table) {
  rotate(dx, batch, n_heads, row_stride, table, -1.0f);
}

}  // namespace hrm::kernels
