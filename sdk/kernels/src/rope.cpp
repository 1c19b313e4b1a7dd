#include "hrm/kernels/rope.hpp"

#include <cmath>
#include <stdexcept>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "rope.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hrm::kernels::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using simd::D;
using simd::kLanes;
using simd::tail;
using simd::V;

// Rotates every head of every token by +angle (sign = +1) or by −angle (sign = −1, the
// backward pass: the transpose of a rotation is the rotation by the opposite angle).
template <typename T>
void rotate(T* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
            const RopeTable& t, float sign) {
  const std::int64_t half = t.head_dim() / 2;
  const V sgn = hn::Set(D(), sign);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t pos = 0; pos < t.length(); ++pos) {
      T* row = x + (b * t.length() + pos) * row_stride;
      const float* cs = t.cos(pos);
      const float* sn = t.sin(pos);
      for (std::int64_t h = 0; h < n_heads; ++h) {
        T* lo = row + h * t.head_dim();
        T* hi = lo + half;
        for (std::int64_t i = 0; i < half; i += kLanes) {
          const std::size_t m = tail(half - i);
          const V c = simd::load(cs + i, m);
          const V s = hn::Mul(simd::load(sn + i, m), sgn);
          const V x1 = simd::load(lo + i, m);
          const V x2 = simd::load(hi + i, m);
          simd::store(lo + i, hn::Sub(hn::Mul(x1, c), hn::Mul(x2, s)), m);
          simd::store(hi + i, hn::Add(hn::Mul(x2, c), hn::Mul(x1, s)), m);
        }
      }
    }
  }
}

}  // namespace

void RopeF32(float* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
             const RopeTable& table, float sign) {
  rotate(x, batch, n_heads, row_stride, table, sign);
}

void RopeBf16(bf16* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
              const RopeTable& table, float sign) {
  rotate(x, batch, n_heads, row_stride, table, sign);
}

}  // namespace hrm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "dispatch.hpp"

namespace hrm::kernels {

HWY_EXPORT(RopeF32);
HWY_EXPORT(RopeBf16);

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
  HRM_DISPATCH(RopeF32)(x, batch, n_heads, row_stride, table, 1.0f);
}

void rope(bf16* x, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
          const RopeTable& table) {
  HRM_DISPATCH(RopeBf16)(x, batch, n_heads, row_stride, table, 1.0f);
}

void rope_backward(float* dx, std::int64_t batch, std::int64_t n_heads, std::int64_t row_stride,
                   const RopeTable& table) {
  HRM_DISPATCH(RopeF32)(dx, batch, n_heads, row_stride, table, -1.0f);
}

}  // namespace hrm::kernels
#endif  // HWY_ONCE
