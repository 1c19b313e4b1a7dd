#include "hrm/kernels/swiglu.hpp"

#include <type_traits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "swiglu.cpp"
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

HWY_INLINE V sigmoid(V x) {
  const V one = hn::Set(D(), 1.0f);
  return hn::Div(one, hn::Add(one, simd::exp(hn::Sub(hn::Zero(D()), x))));
}

template <typename T>
void swiglu_impl(const T* gu, T* y, std::int64_t rows, std::int64_t inter) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* gate = gu + r * 2 * inter;
    const T* up = gate + inter;
    T* out = y + r * inter;
    for (std::int64_t i = 0; i < inter; i += kLanes) {
      const std::size_t m = tail(inter - i);
      const V g = simd::load(gate + i, m);
      V silu = hn::Mul(g, sigmoid(g));
      if constexpr (std::is_same_v<T, bf16>) silu = simd::round_bf16(silu);
      simd::store(out + i, hn::Mul(silu, simd::load(up + i, m)), m);
    }
  }
}

}  // namespace

void SwigluF32(const float* gu, float* y, std::int64_t rows, std::int64_t inter) {
  swiglu_impl(gu, y, rows, inter);
}

void SwigluBf16(const bf16* gu, bf16* y, std::int64_t rows, std::int64_t inter) {
  swiglu_impl(gu, y, rows, inter);
}

void SwigluBackward(const float* gu, const float* dy, float* dgu, std::int64_t rows,
                    std::int64_t inter) {
  const V one = hn::Set(D(), 1.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* gate = gu + r * 2 * inter;
    const float* up = gate + inter;
    const float* d = dy + r * inter;
    float* dgate = dgu + r * 2 * inter;
    float* dup = dgate + inter;
    for (std::int64_t i = 0; i < inter; i += kLanes) {
      const std::size_t m = tail(inter - i);
      const V g = simd::load(gate + i, m);
      const V u = simd::load(up + i, m);
      const V dv = simd::load(d + i, m);
      const V s = sigmoid(g);
      // silu'(g) = s·(1 + g·(1 − s))
      const V dsilu = hn::Mul(s, hn::MulAdd(g, hn::Sub(one, s), one));
      simd::store(dgate + i, hn::Mul(hn::Mul(dv, u), dsilu), m);
      simd::store(dup + i, hn::Mul(dv, hn::Mul(g, s)), m);
    }
  }
}

}  // namespace hrm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "dispatch.hpp"

namespace hrm::kernels {

HWY_EXPORT(SwigluF32);
HWY_EXPORT(SwigluBf16);
HWY_EXPORT(SwigluBackward);

void swiglu(const float* gu, float* y, std::int64_t rows, std::int64_t inter) {
  HRM_DISPATCH(SwigluF32)(gu, y, rows, inter);
}

void swiglu(const bf16* gu, bf16* y, std::int64_t rows, std::int64_t inter) {
  HRM_DISPATCH(SwigluBf16)(gu, y, rows, inter);
}

void swiglu_backward(const float* gu, const float* dy, float* dgu, std::int64_t rows,
                     std::int64_t inter) {
  HRM_DISPATCH(SwigluBackward)(gu, dy, dgu, rows, inter);
}

}  // namespace hrm::kernels
#endif  // HWY_ONCE
