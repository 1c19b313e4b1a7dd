#include "hrm/kernels/elementwise.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "elementwise.cpp"
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
void embedding_impl(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
                    T* out) {
  for (std::int64_t r = 0; r < n; ++r) {
    const float* src = table + static_cast<std::int64_t>(ids[r]) * dim;
    T* dst = out + r * dim;
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const std::size_t m = tail(dim - i);
      simd::store(dst + i, simd::load(src + i, m), m);
    }
  }
}

template <typename T>
void add_impl(const T* a, const T* b, T* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const std::size_t m = tail(n - i);
    simd::store(out + i, hn::Add(simd::load(a + i, m), simd::load(b + i, m)), m);
  }
}

template <typename T>
void scale_impl(const T* x, float s, T* out, std::int64_t n) {
  const V sv = hn::Set(D(), s);
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const std::size_t m = tail(n - i);
    simd::store(out + i, hn::Mul(simd::load(x + i, m), sv), m);
  }
}

}  // namespace

void EmbeddingF32(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
                  float* out) {
  embedding_impl(table, dim, ids, n, out);
}

void EmbeddingBf16(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
                   bf16* out) {
  embedding_impl(table, dim, ids, n, out);
}

void EmbeddingBackward(const float* dout, const std::int32_t* ids, std::int64_t n,
                       std::int64_t dim, float* dtable) {
  for (std::int64_t r = 0; r < n; ++r) {
    float* dst = dtable + static_cast<std::int64_t>(ids[r]) * dim;
    add_impl(dst, dout + r * dim, dst, dim);
  }
}

void AddF32(const float* a, const float* b, float* out, std::int64_t n) { add_impl(a, b, out, n); }
void AddBf16(const bf16* a, const bf16* b, bf16* out, std::int64_t n) { add_impl(a, b, out, n); }

void AddBackward(const float* dout, float* da, float* db, std::int64_t n) {
  if (da) add_impl(da, dout, da, n);
  if (db) add_impl(db, dout, db, n);
}

void ScaleF32(const float* x, float s, float* out, std::int64_t n) { scale_impl(x, s, out, n); }
void ScaleBf16(const bf16* x, float s, bf16* out, std::int64_t n) { scale_impl(x, s, out, n); }

}  // namespace hrm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "dispatch.hpp"

namespace hrm::kernels {

HWY_EXPORT(EmbeddingF32);
HWY_EXPORT(EmbeddingBf16);
HWY_EXPORT(EmbeddingBackward);
HWY_EXPORT(AddF32);
HWY_EXPORT(AddBf16);
HWY_EXPORT(AddBackward);
HWY_EXPORT(ScaleF32);
HWY_EXPORT(ScaleBf16);

void embedding(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
               float* out) {
  HRM_DISPATCH(EmbeddingF32)(table, dim, ids, n, out);
}

void embedding(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
               bf16* out) {
  HRM_DISPATCH(EmbeddingBf16)(table, dim, ids, n, out);
}

void embedding_backward(const float* dout, const std::int32_t* ids, std::int64_t n,
                        std::int64_t dim, float* dtable) {
  HRM_DISPATCH(EmbeddingBackward)(dout, ids, n, dim, dtable);
}

void add(const float* a, const float* b, float* out, std::int64_t n) {
  HRM_DISPATCH(AddF32)(a, b, out, n);
}
void add(const bf16* a, const bf16* b, bf16* out, std::int64_t n) {
  HRM_DISPATCH(AddBf16)(a, b, out, n);
}

void add_backward(const float* dout, float* da, float* db, std::int64_t n) {
  HRM_DISPATCH(AddBackward)(dout, da, db, n);
}

void scale(const float* x, float s, float* out, std::int64_t n) {
  HRM_DISPATCH(ScaleF32)(x, s, out, n);
}
void scale(const bf16* x, float s, bf16* out, std::int64_t n) {
  HRM_DISPATCH(ScaleBf16)(x, s, out, n);
}

}  // namespace hrm::kernels
#endif  // HWY_ONCE
