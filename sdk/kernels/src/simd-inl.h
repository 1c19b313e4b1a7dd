// Internal per-target SIMD helpers shared by the kernel sources (not installed).
//
// Highway's "-inl.h" convention: every kernel source re-includes itself once per target through
// hwy/foreach_target.h, and with it this header, which defines its helpers in that target's
// namespace hrm::kernels::HWY_NAMESPACE. The include guard below toggles with HWY_TARGET_TOGGLE
// so each pass sees it again.
#if defined(HRM_KERNELS_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HRM_KERNELS_SIMD_INL_H_
#undef HRM_KERNELS_SIMD_INL_H_
#else
#define HRM_KERNELS_SIMD_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

#include "hrm/kernels/bf16.hpp"

HWY_BEFORE_NAMESPACE();
namespace hrm::kernels::HWY_NAMESPACE {
namespace simd {

namespace hn = hwy::HWY_NAMESPACE;

// One full native vector of fp32 (16 lanes on AVX3, 8 on AVX2, 4 on SSE4/SSSE3/EMU128/NEON, 1 on
// SCALAR). The lane count is a compile-time constant on every target this build compiles: the
// scalable SVE/RVV targets are disabled (CMakeLists.txt) because the kernels keep register blocks
// in arrays of vectors, which sizeless vector types cannot be.
using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
using DU = hn::RebindToUnsigned<D>;
using DI = hn::RebindToSigned<D>;
using D16 = hn::Rebind<std::uint16_t, D>;  // the bf16 bits of one fp32 vector (half width)
constexpr int kLanes = static_cast<int>(hn::MaxLanes(D()));

// Lanes of a vector that start at element i of n: min(n − i, kLanes), and 0 past the end.
inline std::size_t tail(std::int64_t remaining) {
  return remaining <= 0 ? 0 : static_cast<std::size_t>(std::min<std::int64_t>(remaining, kLanes));
}

// Partial vectors: lanes [0, n) of memory, the others zero; stores write lanes [0, n) only.
// AVX-512 has masked loads and stores for every lane size and uses them for every vector, full or
// not, as the kernels always did. The other targets load full vectors directly and go through a
// small buffer for the rest (Highway's MaskedLoad reads the whole vector there, which can cross
// the end of the allocation).
template <class DT, typename T>
HWY_INLINE hn::Vec<DT> load_n(DT d, const T* p, std::size_t n) {
#if HWY_TARGET <= HWY_AVX3
  return hn::MaskedLoad(hn::FirstN(d, n), d, p);
#else
  if (HWY_LIKELY(n == hn::MaxLanes(d))) return hn::LoadU(d, p);
  HWY_ALIGN T buf[hn::MaxLanes(d)] = {};
  std::memcpy(buf, p, n * sizeof(T));
  return hn::Load(d, buf);
#endif
}

template <class DT, typename T>
HWY_INLINE void store_n(DT d, hn::Vec<DT> v, T* p, std::size_t n) {
#if HWY_TARGET <= HWY_AVX3
  hn::BlendedStore(v, hn::FirstN(d, n), d, p);
#else
  if (HWY_LIKELY(n == hn::MaxLanes(d))) return hn::StoreU(v, d, p);
  HWY_ALIGN T buf[hn::MaxLanes(d)];
  hn::Store(v, d, buf);
  std::memcpy(p, buf, n * sizeof(T));
#endif
}

// fp32 and bf16 storage seen as fp32 vectors: bf16 -> fp32 is exact (the 16 bits become the upper
// half of each lane).
HWY_INLINE V load(const float* p, std::size_t n) { return load_n(D(), p, n); }
HWY_INLINE void store(float* p, V v, std::size_t n) { store_n(D(), v, p, n); }

HWY_INLINE V load(const bf16* p, std::size_t n) {
  const auto h = load_n(D16(), reinterpret_cast<const std::uint16_t*>(p), n);
  return hn::BitCast(D(), hn::ShiftLeft<16>(hn::PromoteTo(DU(), h)));
}

// fp32 -> bf16 bits with PyTorch's rounding (see bf16.hpp): integer round-to-nearest-even, NaN ->
// 0x7FC0. The result is in the low 16 bits of each 32-bit lane.
HWY_INLINE hn::Vec<DU> bf16_bits(V v) {
  const DU du;
  const auto u = hn::BitCast(du, v);
  const auto lsb = hn::And(hn::ShiftRight<16>(u), hn::Set(du, 1));
  const auto r = hn::ShiftRight<16>(hn::Add(u, hn::Add(lsb, hn::Set(du, 0x7FFF))));
  return hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), hn::Set(du, 0x7FC0), r);
}

// The bf16 values of v packed to 16-bit lanes (the values fit: DemoteTo cannot saturate). AVX-512
// truncates with one vpmovdw, where Highway's DemoteTo packs and permutes.
HWY_INLINE hn::Vec<D16> cvt_bf16(V v) {
#if HWY_TARGET <= HWY_AVX3
  return hn::Vec<D16>{_mm512_cvtepi32_epi16(bf16_bits(v).raw)};
#else
  return hn::DemoteTo(D16(), hn::BitCast(DI(), bf16_bits(v)));
#endif
}

HWY_INLINE void store(bf16* p, V v, std::size_t n) {
  store_n(D16(), cvt_bf16(v), reinterpret_cast<std::uint16_t*>(p), n);
}

// v rounded to the nearest bf16, kept in fp32.
HWY_INLINE V round_bf16(V v) { return hn::BitCast(D(), hn::ShiftLeft<16>(bf16_bits(v))); }

HWY_INLINE float reduce_add(V v) { return hn::GetLane(hn::SumOfLanes(D(), v)); }
HWY_INLINE float reduce_max(V v) { return hn::GetLane(hn::MaxOfLanes(D(), v)); }

// p·2^n for integral n in [−150, 128] with one rounding, as AVX-512's scalef. Elsewhere in two
// exact steps: 2^n is not an fp32 for n = 128 or n < −126, but 2^⌊n/2⌋ and 2^(n−⌊n/2⌋) are, and
// p ∈ [0.7, 1.5] so the first product is exact; only the second one rounds (below FLT_MIN).
HWY_INLINE V scale_pow2(V p, V n) {
#if HWY_TARGET <= HWY_AVX3
  return V{_mm512_scalef_ps(p.raw, n.raw)};
#else
  const DI di;
  const auto ni = hn::ConvertTo(di, n);
  const auto n1 = hn::ShiftRight<1>(ni);  // arithmetic shift: ⌊n/2⌋
  const auto n2 = hn::Sub(ni, n1);
  const auto pow2 = [&](hn::Vec<DI> e) {
    return hn::BitCast(D(), hn::ShiftLeft<23>(hn::Add(e, hn::Set(di, 127))));
  };
  return hn::Mul(hn::Mul(p, pow2(n1)), pow2(n2));
#endif
}

// e^x, accurate to about 1 ulp over the fp32 range: x = n·ln2 + r with |r| ≤ ln2/2, a degree-7
// Taylor polynomial for e^r (truncation error < 6e-9 relative) and 2^n applied with scale_pow2.
// Measured max relative error 7.7e-8 on [−87, 88]; inputs below about −104 (and −inf) give 0.
// Targets with FMA (AVX3, AVX2, NEON) fuse the polynomial's multiply-adds; SSE4, SSSE3 and
// SCALAR round the product first, which moves the result by an ulp at most.
HWY_INLINE V exp(V x) {
  const D d;
  x = hn::Min(hn::Max(x, hn::Set(d, -104.0f)), hn::Set(d, 88.72f));
  const V n = hn::Round(hn::Mul(x, hn::Set(d, 1.44269504088896341f)));
  V r = hn::NegMulAdd(n, hn::Set(d, 0.693359375f), x);  // ln2 split hi + lo
  r = hn::NegMulAdd(n, hn::Set(d, -2.12194440e-4f), r);
  V p = hn::Set(d, 1.0f / 5040);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 720));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  return scale_pow2(p, n);
}

}  // namespace simd
}  // namespace hrm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HRM_KERNELS_SIMD_INL_H_
