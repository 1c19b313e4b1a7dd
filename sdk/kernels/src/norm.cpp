#include "hrm/kernels/norm.hpp"

#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "norm.cpp"
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

template <typename T>
float sum_squares(const T* x, std::int64_t dim) {
  V acc = hn::Zero(D());
  for (std::int64_t i = 0; i < dim; i += kLanes) {
    const V v = simd::load(x + i, tail(dim - i));
    acc = hn::MulAdd(v, v, acc);
  }
  return simd::reduce_add(acc);
}

template <typename T>
void rms_norm_impl(const T* x, T* y, std::int64_t rows, std::int64_t dim, float eps) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * dim;
    T* yr = y + r * dim;
    const V scale = hn::Set(D(), 1.0f / std::sqrt(sum_squares(xr, dim) / dim + eps));
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const std::size_t m = tail(dim - i);
      simd::store(yr + i, hn::Mul(simd::load(xr + i, m), scale), m);
    }
  }
}

}  // namespace

void RmsNormF32(const float* x, float* y, std::int64_t rows, std::int64_t dim, float eps) {
  rms_norm_impl(x, y, rows, dim, eps);
}

void RmsNormBf16(const bf16* x, bf16* y, std::int64_t rows, std::int64_t dim, float eps) {
  rms_norm_impl(x, y, rows, dim, eps);
}

void RmsNormBackward(const float* x, const float* dy, float* dx, std::int64_t rows,
                     std::int64_t dim, float eps) {
  const D d;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    const float* dyr = dy + r * dim;
    float* dxr = dx + r * dim;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, dim) / dim + eps);
    V dot = hn::Zero(d);  // Σ dy·x
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const std::size_t m = tail(dim - i);
      dot = hn::MulAdd(simd::load(dyr + i, m), simd::load(xr + i, m), dot);
    }
    // dx = inv·dy − x·inv³·(Σ dy·x)/dim
    const V a = hn::Set(d, inv);
    const V b = hn::Set(d, -inv * inv * inv * simd::reduce_add(dot) / dim);
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const std::size_t m = tail(dim - i);
      const V g = hn::MulAdd(simd::load(xr + i, m), b, hn::Mul(simd::load(dyr + i, m), a));
      simd::store(dxr + i, g, m);
    }
  }
}

}  // namespace hrm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "dispatch.hpp"

namespace hrm::kernels {

HWY_EXPORT(RmsNormF32);
HWY_EXPORT(RmsNormBf16);
HWY_EXPORT(RmsNormBackward);

void rms_norm(const float* x, float* y, std::int64_t rows, std::int64_t dim, float eps) {
  HRM_DISPATCH(RmsNormF32)(x, y, rows, dim, eps);
}

void rms_norm(const bf16* x, bf16* y, std::int64_t rows, std::int64_t dim, float eps) {
  HRM_DISPATCH(RmsNormBf16)(x, y, rows, dim, eps);
}

void rms_norm_backward(const float* x, const float* dy, float* dx, std::int64_t rows,
                       std::int64_t dim, float eps) {
  HRM_DISPATCH(RmsNormBackward)(x, dy, dx, rows, dim, eps);
}

}  // namespace hrm::kernels
#endif  // HWY_ONCE
