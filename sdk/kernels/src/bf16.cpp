#include "hrm/kernels/bf16.hpp"

#include "simd.hpp"

namespace hrm::kernels {

void to_bf16(const float* src, bf16* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += simd::kLanes) {
    const __mmask16 m = simd::tail_mask(n - i);
    simd::store(dst + i, simd::load(src + i, m), m);
  }
}

void to_float(const bf16* src, float* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += simd::kLanes) {
    const __mmask16 m = simd::tail_mask(n - i);
    simd::store(dst + i, simd::load(src + i, m), m);
  }
}

void round_bf16(float* x, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += simd::kLanes) {
    const __mmask16 m = simd::tail_mask(n - i);
    simd::store(x + i, simd::round_bf16(simd::load(x + i, m)), m);
  }
}

}  // namespace hrm::kernels
