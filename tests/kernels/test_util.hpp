// Shared helpers for the kernel tests: random data, naive double-precision references and a
// generic central-difference gradient check.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels::test {

using Vec = std::vector<double>;

inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

inline std::vector<bf16> to_bf16(const std::vector<float>& v) {
  std::vector<bf16> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = hrm::kernels::to_bf16(v[i]);
  return out;
}

template <typename T>
Vec to_double(const std::vector<T>& v) {
  Vec out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if constexpr (std::is_same_v<T, bf16>)
      out[i] = to_float(v[i]);
    else
      out[i] = v[i];
  }
  return out;
}

// max|actual − expected| / max|expected|: relative error in the max norm, robust to entries
// that happen to be near zero.
template <typename T>
double max_rel_error(const std::vector<T>& actual, const Vec& expected) {
  const Vec a = to_double(actual);
  double err = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    err = std::max(err, std::fabs(a[i] - expected[i]));
    scale = std::max(scale, std::fabs(expected[i]));
  }
  return err / std::max(scale, 1e-300);
}

// Largest element-wise error relative to the element's own magnitude (plus atol).
template <typename T>
double max_elementwise_excess(const std::vector<T>& actual, const Vec& expected, double rtol,
                              double atol) {
  const Vec a = to_double(actual);
  double worst = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    worst = std::max(worst, std::fabs(a[i] - expected[i]) / (atol + rtol * std::fabs(expected[i])));
  return worst;  // ≤ 1 means within tolerance everywhere
}

// ---- naive double references -------------------------------------------------------------

inline Vec ref_linear(const Vec& x, const Vec& w, int64_t m, int64_t n, int64_t k) {
  Vec y(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t p = 0; p < k; ++p) s += x[i * k + p] * w[j * k + p];
      y[i * n + j] = s;
    }
  return y;
}

inline Vec ref_rms_norm(const Vec& x, int64_t rows, int64_t dim, double eps = 1e-5) {
  Vec y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0.0;
    for (int64_t i = 0; i < dim; ++i) ss += x[r * dim + i] * x[r * dim + i];
    const double inv = 1.0 / std::sqrt(ss / dim + eps);
    for (int64_t i = 0; i < dim; ++i) y[r * dim + i] = x[r * dim + i] * inv;
  }
  return y;
}

// Half-split RoPE on heads 0..n_heads-1 of x [batch, len, stride], angles in double.
inline Vec ref_rope(const Vec& x, int64_t batch, int64_t len, int64_t n_heads, int64_t stride,
                    int64_t head_dim, double theta = 10000.0) {
  Vec y = x;
  const int64_t half = head_dim / 2;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t pos = 0; pos < len; ++pos)
      for (int64_t h = 0; h < n_heads; ++h)
        for (int64_t i = 0; i < half; ++i) {
          const double a = pos / std::pow(theta, 2.0 * i / head_dim);
          const int64_t lo = (b * len + pos) * stride + h * head_dim + i, hi = lo + half;
          y[lo] = x[lo] * std::cos(a) - x[hi] * std::sin(a);
          y[hi] = x[hi] * std::cos(a) + x[lo] * std::sin(a);
        }
  return y;
}

inline Vec ref_attention(const Vec& qkv, int64_t batch, int64_t len, int64_t heads, int64_t dim) {
  const int64_t stride = 3 * heads * dim, os = heads * dim;
  Vec out(batch * len * os, 0.0), s(len);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < len; ++i) {
        const double* q = &qkv[(b * len + i) * stride + h * dim];
        double mx = -1e300, sum = 0.0;
        for (int64_t j = 0; j < len; ++j) {
          const double* k = &qkv[(b * len + j) * stride + (heads + h) * dim];
          double d = 0.0;
          for (int64_t e = 0; e < dim; ++e) d += q[e] * k[e];
          s[j] = d / std::sqrt(double(dim));
          mx = std::max(mx, s[j]);
        }
        for (int64_t j = 0; j < len; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (int64_t j = 0; j < len; ++j) {
          const double* v = &qkv[(b * len + j) * stride + (2 * heads + h) * dim];
          for (int64_t e = 0; e < dim; ++e)
            out[(b * len + i) * os + h * dim + e] += s[j] / sum * v[e];
        }
      }
  return out;
}

inline Vec ref_swiglu(const Vec& gu, int64_t rows, int64_t inter) {
  Vec y(rows * inter);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < inter; ++i) {
      const double g = gu[r * 2 * inter + i], u = gu[r * 2 * inter + inter + i];
      y[r * inter + i] = g / (1.0 + std::exp(-g)) * u;
    }
  return y;
}

// ---- gradient check ----------------------------------------------------------------------

// Numerical gradient of the scalar Σ_i f(x)_i · r_i by central differences in double.
inline Vec numeric_gradient(const std::function<Vec(const Vec&)>& f, const Vec& x, const Vec& r,
                            double h = 1e-5) {
  Vec g(x.size()), xp = x;
  auto project = [&](const Vec& y) {
    double s = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) s += y[i] * r[i];
    return s;
  };
  for (std::size_t i = 0; i < x.size(); ++i) {
    xp[i] = x[i] + h;
    const double up = project(f(xp));
    xp[i] = x[i] - h;
    const double down = project(f(xp));
    xp[i] = x[i];
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// Checks an fp32 backward kernel (already evaluated into `analytic`) against the numerical
// gradient of the double reference `f` at the same input x with upstream gradient r.
inline void expect_gradient_matches(const std::function<Vec(const Vec&)>& f,
                                    const std::vector<float>& x, const std::vector<float>& r,
                                    const std::vector<float>& analytic, double tol = 1e-4) {
  const Vec numeric = numeric_gradient(f, to_double(x), to_double(r));
  ASSERT_EQ(analytic.size(), numeric.size());
  EXPECT_LT(max_rel_error(analytic, numeric), tol);
}

}  // namespace hrm::kernels::test
