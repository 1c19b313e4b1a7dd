#include "hrm/kernels/bf16.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bf16.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hrm::kernels::HWY_NAMESPACE {
namespace {

using simd::kLanes;
using simd::tail;

template <typename S, typename T>
void convert(const S* src, T* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const std::size_t m = tail(n - i);
    simd::store(dst + i, simd::load(src + i, m), m);
  }
}

}  // namespace

void ToBf16(const float* src, bf16* dst, std::int64_t n) { convert(src, dst, n); }
void ToFloat(const bf16* src, float* dst, std::int64_t n) { convert(src, dst, n); }

void RoundBf16(float* x, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const std::size_t m = tail(n - i);
    simd::store(x + i, simd::round_bf16(simd::load(x + i, m)), m);
  }
}

}  // namespace hrm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "dispatch.hpp"

namespace hrm::kernels {

HWY_EXPORT(ToBf16);
HWY_EXPORT(ToFloat);
HWY_EXPORT(RoundBf16);

void to_bf16(const float* src, bf16* dst, std::int64_t n) { HRM_DISPATCH(ToBf16)(src, dst, n); }
void to_float(const bf16* src, float* dst, std::int64_t n) { HRM_DISPATCH(ToFloat)(src, dst, n); }
void round_bf16(float* x, std::int64_t n) { HRM_DISPATCH(RoundBf16)(x, n); }

}  // namespace hrm::kernels
#endif  // HWY_ONCE
