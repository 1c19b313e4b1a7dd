#include "hrm/kernels/norm.hpp"

#include <cmath>

#include "simd.hpp"

namespace hrm::kernels {
namespace {

using simd::kLanes;
using simd::tail_mask;

template <typename T>
float sum_squares(const T* x, std::int64_t dim) {
  __m512 acc = _mm512_setzero_ps();
  for (std::int64_t i = 0; i < dim; i += kLanes) {
    const __m512 v = simd::load(x + i, tail_mask(dim - i));
    acc = _mm512_fmadd_ps(v, v, acc);
  }
  return _mm512_reduce_add_ps(acc);
}

template <typename T>
void rms_norm_impl(const T* x, T* y, std::int64_t rows, std::int64_t dim, float eps) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * dim;
    T* yr = y + r * dim;
    const __m512 scale = _mm512_set1_ps(1.0f / std::sqrt(sum_squares(xr, dim) / dim + eps));
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const __mmask16 m = tail_mask(dim - i);
      simd::store(yr + i, _mm512_mul_ps(simd::load(xr + i, m), scale), m);
    }
  }
}

}  // namespace

void rms_norm(const float* x, float* y, std::int64_t rows, std::int64_t dim, float eps) {
  rms_norm_impl(x, y, rows, dim, eps);
}

void rms_norm(const bf16* x, bf16* y, std::int64_t rows, std::int64_t dim, float eps) {
  rms_norm_impl(x, y, rows, dim, eps);
}

void rms_norm_backward(const float* x, const float* dy, float* dx, std::int64_t rows,
                       std::int64_t dim, float eps) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    const float* dyr = dy + r * dim;
    float* dxr = dx + r * dim;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, dim) / dim + eps);
    __m512 dot = _mm512_setzero_ps();  // Σ dy·x
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const __mmask16 m = tail_mask(dim - i);
      dot = _mm512_fmadd_ps(simd::load(dyr + i, m), simd::load(xr + i, m), dot);
    }
    // dx = inv·dy − x·inv³·(Σ dy·x)/dim
    const __m512 a = _mm512_set1_ps(inv);
    const __m512 b = _mm512_set1_ps(-inv * inv * inv * _mm512_reduce_add_ps(dot) / dim);
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const __mmask16 m = tail_mask(dim - i);
      const __m512 g =
          _mm512_fmadd_ps(simd::load(xr + i, m), b, _mm512_mul_ps(simd::load(dyr + i, m), a));
      simd::store(dxr + i, g, m);
    }
  }
}

}  // namespace hrm::kernels
