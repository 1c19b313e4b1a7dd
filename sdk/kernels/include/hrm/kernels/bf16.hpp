// bfloat16 storage type and fp32 <-> bf16 conversion.
//
// Rounding is round-to-nearest-even on the raw bits and every NaN becomes 0x7FC0, exactly as
// PyTorch's c10::BFloat16 does (denormals are kept, unlike the AVX512-BF16 instruction which
// flushes them), so tensors converted here are bit-identical to `tensor.to(torch.bfloat16)`.
#pragma once

#include <cstdint>
#include <cstring>

namespace hrm::kernels {

// A bf16 value: the upper 16 bits of an IEEE fp32. Plain struct so it cannot be mixed up with
// integers in overloads.
struct bf16 {
  std::uint16_t bits;
};

inline bf16 to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return bf16{0x7FC0};  // NaN
  u += 0x7FFFu + ((u >> 16) & 1u);
  return bf16{static_cast<std::uint16_t>(u >> 16)};
}

inline float to_float(bf16 b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b.bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// fp32 value rounded to the nearest bf16, kept in fp32. Used in fp32 mode to emulate the
// reference's bf16 rounding points.
inline float round_bf16(float f) { return to_float(to_bf16(f)); }

// Array conversions (SIMD, every target bit-identical). `n` elements; src and dst must not overlap.
void to_bf16(const float* src, bf16* dst, std::int64_t n);
void to_float(const bf16* src, float* dst, std::int64_t n);
// In-place fp32 rounding to bf16 precision over an array.
void round_bf16(float* x, std::int64_t n);

}  // namespace hrm::kernels
