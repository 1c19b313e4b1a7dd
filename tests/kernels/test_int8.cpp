// int8 linears (hrm/kernels/int8.hpp): the quantisation round trips, the error bound of the product
// against the fp32 (double) reference, and bit-identical results of every int8 kernel this CPU
// runs. test_kernels also runs once per dispatch target (kernels.<target> in CTest), so these run
// on the AVX2, SSE4, SSSE3 and SCALAR targets of this CPU too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hrm/kernels/cpu.hpp"
#include "hrm/kernels/int8.hpp"
#include "test_util.hpp"

namespace hrm::kernels {
namespace {

using namespace test;

TEST(Int8, WeightRoundTripWithinHalfAStep) {
  const int64_t n = 19, k = 70;
  auto w = random_floats(n * k, 11, 0.3f);
  std::fill(w.begin() + 5 * k, w.begin() + 6 * k, 0.0f);  // a zero row
  std::vector<int8_t> q(n * k);
  std::vector<float> s(n);
  quantize_weight(w.data(), n, k, q.data(), s.data());
  for (int64_t j = 0; j < n; ++j) {
    float amax = 0;
    for (int64_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(w[j * k + i]));
    EXPECT_FLOAT_EQ(s[j], amax / float(kWeightMax));
    int extreme = 0;
    for (int64_t i = 0; i < k; ++i) {
      const int v = q[j * k + i];
      ASSERT_GE(v, -kWeightMax);
      ASSERT_LE(v, kWeightMax);
      extreme = std::max(extreme, std::abs(v));
      EXPECT_LE(std::fabs(w[j * k + i] - s[j] * float(v)), 0.5f * s[j] * (1 + 1e-5f) + 1e-30f) << j << "," << i;
    }
    EXPECT_EQ(extreme, j == 5 ? 0 : kWeightMax);   // the largest weight maps to ±64 (zero row: 0)
  }
  // From the stored values: the same values and scales (a quantised checkpoint loads exactly).
  QuantizedWeight a(w.data(), n, k, Int8Kernel::Portable), b(q.data(), s.data(), n, k, Int8Kernel::Portable);
  EXPECT_EQ(std::memcmp(a.values(), q.data(), q.size()), 0);
  EXPECT_EQ(std::memcmp(b.values(), q.data(), q.size()), 0);
  EXPECT_EQ(std::memcmp(a.scales(), s.data(), n * sizeof(float)), 0);
  // Values outside the symmetric range and bad scales are refused.
  q[3] = kWeightMax + 1;
  EXPECT_THROW(QuantizedWeight(q.data(), s.data(), n, k, Int8Kernel::Portable), std::invalid_argument);
  q[3] = 0;
  s[2] = -1.0f;
  EXPECT_THROW(QuantizedWeight(q.data(), s.data(), n, k, Int8Kernel::Portable), std::invalid_argument);
  w[7] = std::nanf("");
  EXPECT_THROW(QuantizedWeight(w.data(), n, k, Int8Kernel::Portable), std::invalid_argument);
}

TEST(Int8, RowQuantisationWithinHalfAStep) {
  const int64_t m = 9, k = 83, kp = 84;
  auto x = random_floats(m * k, 12, 2.0f);
  for (int64_t i = 0; i < k; ++i) x[2 * k + i] = std::fabs(x[2 * k + i]) + 0.5f;   // all positive
  for (int64_t i = 0; i < k; ++i) x[3 * k + i] = -std::fabs(x[3 * k + i]);          // all negative
  std::fill(x.begin() + 4 * k, x.begin() + 5 * k, 0.0f);                             // all zero
  std::vector<uint8_t> q(m * kp, 0xAB);
  std::vector<float> s(m);
  std::vector<int32_t> z(m);
  quantize_rows(x.data(), m, k, kp, q.data(), s.data(), z.data());
  for (int64_t r = 0; r < m; ++r) {
    ASSERT_GE(z[r], 0);
    ASSERT_LE(z[r], kActMax);
    EXPECT_EQ(q[r * kp + k], 0) << "padding column";
    for (int64_t i = 0; i < k; ++i) {
      const float back = s[r] * float(int(q[r * kp + i]) - z[r]);
      EXPECT_LE(std::fabs(back - x[r * k + i]), 0.5f * s[r] * (1 + 1e-4f) + 1e-30f) << r << "," << i;
    }
  }
  EXPECT_EQ(z[2], 0);     // lo = 0 for an all-positive row
  EXPECT_EQ(z[3], kActMax);   // hi = 0 for an all-negative row
  EXPECT_EQ(s[4], 0.0f);
}

// |Y − X·Wᵀ| ≤ Σ_k (|x_k|·s_w/2 + |w_k|·s_x/2 + s_x·s_w/4) per element (docs/kernels.md), plus
// the epilogue's two fp32 roundings; checked with 1% slack.
void expect_within_bound(int64_t m, int64_t n, int64_t k, uint32_t seed, Int8Kernel kernel) {
  const auto x = random_floats(m * k, seed, 1.5f), w = random_floats(n * k, seed + 1, 0.1f);
  QuantizedWeight qw(w.data(), n, k, kernel);
  std::vector<float> y(m * n);
  linear_int8(x.data(), qw, y.data(), m);
  const Vec ref = ref_linear(to_double(x), to_double(w), m, n, k);
  for (int64_t r = 0; r < m; ++r) {
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < k; ++i) lo = std::min(lo, x[r * k + i]), hi = std::max(hi, x[r * k + i]);
    const double sx = double(hi - lo) / kActMax;
    for (int64_t j = 0; j < n; ++j) {
      const double sw = qw.scales()[j];
      double bound = 0, mag = 0;
      for (int64_t i = 0; i < k; ++i) {
        bound += std::fabs(x[r * k + i]) * sw / 2 + std::fabs(w[j * k + i]) * sx / 2 + sx * sw / 4;
        mag += std::fabs(x[r * k + i] * w[j * k + i]);
      }
      bound = 1.01 * bound + 1e-6 * mag;
      ASSERT_LE(std::fabs(y[r * n + j] - ref[r * n + j]), bound) << int8_kernel_name(kernel) << " " << r << "," << j;
    }
  }
}

TEST(Int8, LinearWithinTheBoundOnEveryKernel) {
  for (Int8Kernel kernel : int8_kernels_available()) {
    SCOPED_TRACE(int8_kernel_name(kernel));
    expect_within_bound(37, 85, 130, 21, kernel);    // tails everywhere: m % 4, n % 8, k % 4
    expect_within_bound(70, 512, 128, 23, kernel);   // the bundled models' shapes
    expect_within_bound(5, 13, 85, 25, kernel);
  }
}

// Every kernel computes the same int32 sums and the same epilogue: bit-identical outputs.
TEST(Int8, KernelsAreBitIdentical) {
  const auto kernels = int8_kernels_available();
  ASSERT_FALSE(kernels.empty());
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{37, 85, 130}, {130, 1024, 128}, {64, 85, 256}, {1, 7, 3}}) {
    const auto x = random_floats(m * k, 31, 1.0f), w = random_floats(n * k, 32, 0.2f);
    std::vector<float> ref(m * n);
    linear_int8(x.data(), QuantizedWeight(w.data(), n, k, Int8Kernel::Portable), ref.data(), m);
    for (Int8Kernel kernel : kernels) {
      std::vector<float> y(m * n, -1.0f);
      linear_int8(x.data(), QuantizedWeight(w.data(), n, k, kernel), y.data(), m);
      EXPECT_EQ(std::memcmp(y.data(), ref.data(), y.size() * sizeof(float)), 0)
          << int8_kernel_name(kernel) << " m=" << m << " n=" << n << " k=" << k;
    }
  }
}

// The fused SwiGLU + product of int8 mode: within the product's bound of the exact SwiGLU's output
// (its sigmoid approximation, < 1e-5 relative, is far inside the 8-bit step), and the same bits
// on every kernel.
TEST(Int8, SwigluLinearWithinTheBound) {
  const int64_t m = 21, inter = 200, n = 37;
  const auto gu = random_floats(m * 2 * inter, 41, 2.0f), w = random_floats(n * inter, 42, 0.1f);
  std::vector<float> act(m * inter);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t i = 0; i < inter; ++i) {
      const double g = gu[r * 2 * inter + i], u = gu[r * 2 * inter + inter + i];
      act[r * inter + i] = float(g / (1 + std::exp(-g)) * u);
    }
  const Vec ref = ref_linear(to_double(act), to_double(w), m, n, inter);
  std::vector<float> first;
  for (Int8Kernel kernel : int8_kernels_available()) {
    QuantizedWeight qw(w.data(), n, inter, kernel);
    std::vector<float> y(m * n);
    swiglu_linear_int8(gu.data(), qw, y.data(), m);
    for (int64_t r = 0; r < m; ++r) {
      float lo = 0, hi = 0;
      for (int64_t i = 0; i < inter; ++i) lo = std::min(lo, act[r * inter + i]), hi = std::max(hi, act[r * inter + i]);
      const double sx = double(hi - lo) / kActMax;
      for (int64_t j = 0; j < n; ++j) {
        double bound = 0;
        for (int64_t i = 0; i < inter; ++i)
          bound += std::fabs(act[r * inter + i]) * qw.scales()[j] / 2 + std::fabs(w[j * inter + i]) * (sx / 2 + 1e-5 * std::fabs(act[r * inter + i])) +
                   sx * qw.scales()[j] / 4;
        ASSERT_LE(std::fabs(y[r * n + j] - ref[r * n + j]), 1.01 * bound + 1e-5) << int8_kernel_name(kernel) << " " << r << "," << j;
      }
    }
    if (first.empty()) first = y;
    EXPECT_EQ(std::memcmp(first.data(), y.data(), y.size() * sizeof(float)), 0) << int8_kernel_name(kernel);
  }
}

// The largest products: activations at 255 (and 0) against weights of ±64, the extremes of the
// scheme. With 8-bit weights vpmaddubsw would saturate its int16 pair sums (2·255·127 > 32767);
// with weights up to 64 it cannot (2·255·64 = 32640).
TEST(Int8, NoSaturationAtTheExtremes) {
  const int64_t m = 6, n = 16, k = 256;
  std::vector<float> x(m * k, 3.0f), w(n * k);
  for (int64_t i = 0; i < k; i += 7) x[i] = 0.0f;   // row 0 spans [0, 3]: q = 255 except these
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i) w[j * k + i] = (j % 2 ? 1.0f : -1.0f) * (i % 3 == 2 ? 0.5f : 1.0f);
  const Vec ref = ref_linear(to_double(x), to_double(w), m, n, k);
  for (Int8Kernel kernel : int8_kernels_available()) {
    std::vector<float> y(m * n);
    linear_int8(x.data(), QuantizedWeight(w.data(), n, k, kernel), y.data(), m);
    EXPECT_LT(max_rel_error(y, ref), 1e-2) << int8_kernel_name(kernel);
  }
}

// A kernel this CPU (or the forced dispatch target) cannot run is refused, never executed.
TEST(Int8, UnavailableKernelIsRefused) {
  const auto kernels = int8_kernels_available();
  const std::vector<float> w(8 * 4, 1.0f);
  if (std::find(kernels.begin(), kernels.end(), Int8Kernel::Avx2) == kernels.end())
    EXPECT_THROW(QuantizedWeight(w.data(), 8, 4, Int8Kernel::Avx2), UnsupportedCpu);
  else
    EXPECT_NO_THROW(QuantizedWeight(w.data(), 8, 4, Int8Kernel::Avx2));
  // The default is always one of the available kernels, and the portable one always is.
  EXPECT_EQ(kernels.front(), default_int8_kernel());
  EXPECT_NE(std::find(kernels.begin(), kernels.end(), Int8Kernel::Portable), kernels.end());
}

}  // namespace
}  // namespace hrm::kernels
