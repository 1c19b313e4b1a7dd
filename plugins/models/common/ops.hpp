// Small helpers shared by the inference path (model.cpp) and the training extension (train.cpp):
// the state's linear in its precision, bf16/fp32 conversions and the per-row transpose of TRM's
// sequence MLP.
#pragma once

#include <cstdint>
#include <vector>

#include "hrm/kernels/bf16.hpp"
#include "hrm/kernels/matmul.hpp"

#include "weights.hpp"

namespace hrm::models::core::ops {

using kernels::bf16;

// y = x·Wᵀ in the state's precision: fp32 master weights in fp32 mode; the bf16 pack with fp32
// accumulation and one rounding of the output in bf16 mode (spec 1.4.1, 1.7 "matmuls").
inline void linear(const float *x, const Linear &w, float *y, int64_t m) { kernels::linear(x, w.w, y, m, w.out, w.in); }
inline void linear(const bf16 *x, const Linear &w, bf16 *y, int64_t m) { kernels::linear(x, w.packed, y, m); }

inline float to_f(float v) { return v; }
inline float to_f(bf16 v) { return kernels::to_float(v); }
template <class T> T from_f(float v);
template <> inline float from_f<float>(float v) { return v; }
template <> inline bf16 from_f<bf16>(float v) { return kernels::to_bf16(v); }

// out[r, j, i] = in[r, i, j] for `rows` matrices of [n, m] (exact in any precision).
template <class T>
void transpose(const T *in, T *out, int64_t rows, int64_t n, int64_t m) {
    for (int64_t r = 0; r < rows; ++r) {
        const T *a = in + r * n * m;
        T *b = out + r * n * m;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < m; ++j) b[j * n + i] = a[i * m + j];
    }
}

// Saved activations are fp32 whatever the forward precision: the backward runs in fp32.
inline void save(const float *x, std::vector<float> &out) { std::copy(x, x + out.size(), out.begin()); }
inline void save(const bf16 *x, std::vector<float> &out) { kernels::to_float(x, out.data(), int64_t(out.size())); }

}  // namespace hrm::models::core::ops
