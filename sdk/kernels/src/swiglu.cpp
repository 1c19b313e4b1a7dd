#include "hrm/kernels/swiglu.hpp"

#include <type_traits>

#include "simd.hpp"

namespace hrm::kernels {
namespace {

using simd::kLanes;
using simd::tail_mask;

inline __m512 sigmoid(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, simd::exp(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

template <typename T>
void swiglu_impl(const T* gu, T* y, std::int64_t rows, std::int64_t inter) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* gate = gu + r * 2 * inter;
    const T* up = gate + inter;
    T* out = y + r * inter;
    for (std::int64_t i = 0; i < inter; i += kLanes) {
      const __mmask16 m = tail_mask(inter - i);
      const __m512 g = simd::load(gate + i, m);
      __m512 silu = _mm512_mul_ps(g, sigmoid(g));
      if constexpr (std::is_same_v<T, bf16>) silu = simd::round_bf16(silu);
      simd::store(out + i, _mm512_mul_ps(silu, simd::load(up + i, m)), m);
    }
  }
}

}  // namespace

void swiglu(const float* gu, float* y, std::int64_t rows, std::int64_t inter) {
  swiglu_impl(gu, y, rows, inter);
}

void swiglu(const bf16* gu, bf16* y, std::int64_t rows, std::int64_t inter) {
  swiglu_impl(gu, y, rows, inter);
}

void swiglu_backward(const float* gu, const float* dy, float* dgu, std::int64_t rows,
                     std::int64_t inter) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* gate = gu + r * 2 * inter;
    const float* up = gate + inter;
    const float* d = dy + r * inter;
    float* dgate = dgu + r * 2 * inter;
    float* dup = dgate + inter;
    for (std::int64_t i = 0; i < inter; i += kLanes) {
      const __mmask16 m = tail_mask(inter - i);
      const __m512 g = simd::load(gate + i, m);
      const __m512 u = simd::load(up + i, m);
      const __m512 dv = simd::load(d + i, m);
      const __m512 s = sigmoid(g);
      // silu'(g) = s·(1 + g·(1 − s))
      const __m512 dsilu = _mm512_mul_ps(s, _mm512_fmadd_ps(g, _mm512_sub_ps(one, s), one));
      simd::store(dgate + i, _mm512_mul_ps(_mm512_mul_ps(dv, u), dsilu), m);
      simd::store(dup + i, _mm512_mul_ps(dv, _mm512_mul_ps(g, s)), m);
    }
  }
}

}  // namespace hrm::kernels
