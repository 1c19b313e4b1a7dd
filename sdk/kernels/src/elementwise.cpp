#include "hrm/kernels/elementwise.hpp"

#include "simd.hpp"

namespace hrm::kernels {
namespace {

using simd::kLanes;
using simd::tail_mask;

template <typename T>
void embedding_impl(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
                    T* out) {
  for (std::int64_t r = 0; r < n; ++r) {
    const float* src = table + static_cast<std::int64_t>(ids[r]) * dim;
    T* dst = out + r * dim;
    for (std::int64_t i = 0; i < dim; i += kLanes) {
      const __mmask16 m = tail_mask(dim - i);
      simd::store(dst + i, simd::load(src + i, m), m);
    }
  }
}

template <typename T>
void add_impl(const T* a, const T* b, T* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const __mmask16 m = tail_mask(n - i);
    simd::store(out + i, _mm512_add_ps(simd::load(a + i, m), simd::load(b + i, m)), m);
  }
}

template <typename T>
void scale_impl(const T* x, float s, T* out, std::int64_t n) {
  const __m512 sv = _mm512_set1_ps(s);
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const __mmask16 m = tail_mask(n - i);
    simd::store(out + i, _mm512_mul_ps(simd::load(x + i, m), sv), m);
  }
}

void accumulate(const float* src, float* dst, std::int64_t n) { add_impl(dst, src, dst, n); }

}  // namespace

void embedding(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
               float* out) {
  embedding_impl(table, dim, ids, n, out);
}

void embedding(const float* table, std::int64_t dim, const std::int32_t* ids, std::int64_t n,
               bf16* out) {
  embedding_impl(table, dim, ids, n, out);
}

void embedding_backward(const float* dout, const std::int32_t* ids, std::int64_t n,
                        std::int64_t dim, float* dtable) {
  for (std::int64_t r = 0; r < n; ++r)
    accumulate(dout + r * dim, dtable + static_cast<std::int64_t>(ids[r]) * dim, dim);
}

void add(const float* a, const float* b, float* out, std::int64_t n) { add_impl(a, b, out, n); }
void add(const bf16* a, const bf16* b, bf16* out, std::int64_t n) { add_impl(a, b, out, n); }

void add_backward(const float* dout, float* da, float* db, std::int64_t n) {
  if (da) accumulate(dout, da, n);
  if (db) accumulate(dout, db, n);
}

void scale(const float* x, float s, float* out, std::int64_t n) { scale_impl(x, s, out, n); }
void scale(const bf16* x, float s, bf16* out, std::int64_t n) { scale_impl(x, s, out, n); }

}  // namespace hrm::kernels
