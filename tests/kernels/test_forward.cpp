// Forward kernels against naive double references. fp32 variants must agree to ~1e-5 relative
// (max norm); bf16 variants compute in fp32 and round once (or at the reference's rounding
// points), so each output is within ~2^-8 relative of the double result on the same bf16 input.
#include <gtest/gtest.h>

#include "hrm/kernels/kernels.hpp"
#include "test_util.hpp"

namespace hrm::kernels {
namespace {

using namespace test;

constexpr double kBf16Rtol = 1.0 / 256;

TEST(Forward, RmsNorm) {
  for (int64_t dim : {512, 37}) {
    const int64_t rows = 9;
    auto x = random_floats(rows * dim, 1, 3.0f);
    const Vec ref = ref_rms_norm(to_double(x), rows, dim);
    std::vector<float> y(x.size());
    rms_norm(x.data(), y.data(), rows, dim);
    EXPECT_LT(max_elementwise_excess(y, ref, 1e-5, 1e-7), 1.0);

    auto xb = to_bf16(x);
    const Vec refb = ref_rms_norm(to_double(xb), rows, dim);
    std::vector<bf16> yb(x.size());
    rms_norm(xb.data(), yb.data(), rows, dim);
    EXPECT_LT(max_elementwise_excess(yb, refb, kBf16Rtol, 1e-6), 1.0);
  }
}

TEST(Forward, RopeOnPackedQkv) {
  // Rotates the Q and K heads of a packed qkv buffer and leaves V alone.
  for (int64_t dim : {64, 10}) {
    const int64_t batch = 2, len = 82, heads = 3, stride = 3 * heads * dim;
    RopeTable table(len, dim);
    auto x = random_floats(batch * len * stride, 2);
    const Vec ref = ref_rope(to_double(x), batch, len, 2 * heads, stride, dim);
    auto y = x;
    rope(y.data(), batch, 2 * heads, stride, table);
    // Angles reach 81 rad; fp32 tables carry ~4e-6 absolute phase error there.
    EXPECT_LT(max_rel_error(y, ref), 2e-5);

    auto yb = to_bf16(x);
    const Vec refb = ref_rope(to_double(yb), batch, len, 2 * heads, stride, dim);
    rope(yb.data(), batch, 2 * heads, stride, table);
    EXPECT_LT(max_elementwise_excess(yb, refb, kBf16Rtol, 1e-4), 1.0);
  }
}

TEST(Forward, RopeTableMatchesFp32Reference) {
  // inv_freq = 1/10000^(2i/64) and angle = pos·inv_freq, each rounded to fp32 as in PyTorch.
  RopeTable t(901, 64);
  for (int64_t pos : {0, 1, 81, 900})
    for (int64_t i : {0, 5, 31}) {
      const float inv = 1.0f / std::pow(10000.0f, float(2 * i) / 64.0f);
      const float angle = float(pos) * inv;
      EXPECT_FLOAT_EQ(t.cos(pos)[i], std::cos(angle));
      EXPECT_FLOAT_EQ(t.sin(pos)[i], std::sin(angle));
    }
}

struct AttnShape {
  int64_t batch, len, heads, dim;
};

class AttentionForward : public ::testing::TestWithParam<AttnShape> {};

TEST_P(AttentionForward, MatchesNaive) {
  const auto [batch, len, heads, dim] = GetParam();
  auto qkv = random_floats(batch * len * 3 * heads * dim, 3, 1.5f);
  const Vec ref = ref_attention(to_double(qkv), batch, len, heads, dim);
  std::vector<float> out(batch * len * heads * dim);
  std::vector<float> lse(batch * heads * len);
  attention(qkv.data(), out.data(), batch, len, heads, dim, lse.data());
  EXPECT_LT(max_rel_error(out, ref), 1e-5);

  auto qkvb = to_bf16(qkv);
  const Vec refb = ref_attention(to_double(qkvb), batch, len, heads, dim);
  std::vector<bf16> outb(out.size());
  attention(qkvb.data(), outb.data(), batch, len, heads, dim);
  // P is rounded to bf16 before P·V (as flash-attention does on bf16 inputs), so the error is
  // relative to the output's magnitude as a whole rather than per element: ≈ 2^-9 observed.
  EXPECT_LT(max_rel_error(outb, refb), kBf16Rtol);
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionForward,
                         ::testing::Values(AttnShape{2, 82, 8, 64},    // Sudoku
                                           AttnShape{1, 901, 2, 64},   // Maze / ARC length
                                           AttnShape{1, 1024, 1, 64},  // block-aligned
                                           AttnShape{3, 5, 2, 24},     // tails everywhere
                                           AttnShape{1, 70, 1, 80}));  // head_dim > 64

TEST(Forward, AttentionLogSumExp) {
  const int64_t len = 67, heads = 2, dim = 16;
  auto qkv = random_floats(len * 3 * heads * dim, 4);
  std::vector<float> out(len * heads * dim), lse(heads * len);
  attention(qkv.data(), out.data(), 1, len, heads, dim, lse.data());
  const int64_t stride = 3 * heads * dim;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < len; ++i) {
      double sum = 0.0;
      for (int64_t j = 0; j < len; ++j) {
        double d = 0.0;
        for (int64_t e = 0; e < dim; ++e)
          d += double(qkv[i * stride + h * dim + e]) * qkv[j * stride + (heads + h) * dim + e];
        sum += std::exp(d / std::sqrt(double(dim)));
      }
      EXPECT_NEAR(lse[h * len + i], std::log(sum), 1e-5 * std::fabs(std::log(sum)) + 1e-6);
    }
}

TEST(Forward, SwiGlu) {
  const int64_t rows = 7, inter = 100;
  auto gu = random_floats(rows * 2 * inter, 5, 3.0f);
  const Vec ref = ref_swiglu(to_double(gu), rows, inter);
  std::vector<float> y(rows * inter);
  swiglu(gu.data(), y.data(), rows, inter);
  EXPECT_LT(max_elementwise_excess(y, ref, 1e-5, 1e-7), 1.0);

  // bf16: two roundings (silu, then the product), each ≤ 2^-8 relative.
  auto gub = to_bf16(gu);
  const Vec refb = ref_swiglu(to_double(gub), rows, inter);
  std::vector<bf16> yb(rows * inter);
  swiglu(gub.data(), yb.data(), rows, inter);
  EXPECT_LT(max_elementwise_excess(yb, refb, 2 * kBf16Rtol, 1e-6), 1.0);
  // The reference's eager rounding points, bf16(bf16(silu(g))·u), are reproduced; a rare 1-ulp
  // fp32 difference in silu may flip a bf16 tie, hence "almost all" rather than all.
  int64_t exact = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < inter; ++i) {
      const float g = to_float(gub[r * 2 * inter + i]),
                  u = to_float(gub[r * 2 * inter + inter + i]);
      const float silu = round_bf16(float(double(g) / (1.0 + std::exp(-double(g)))));
      exact += yb[r * inter + i].bits == to_bf16(silu * u).bits;
    }
  EXPECT_GE(exact, rows * inter * 99 / 100);
}

TEST(Forward, EmbeddingAddScale) {
  const int64_t vocab = 11, dim = 40, n = 13;
  auto table = random_floats(vocab * dim, 6);
  std::vector<int32_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = int32_t((i * 7) % vocab);
  std::vector<float> e(n * dim);
  std::vector<bf16> eb(n * dim);
  embedding(table.data(), dim, ids.data(), n, e.data());
  embedding(table.data(), dim, ids.data(), n, eb.data());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < dim; ++d) {
      ASSERT_EQ(e[i * dim + d], table[ids[i] * dim + d]);
      ASSERT_EQ(eb[i * dim + d].bits, to_bf16(table[ids[i] * dim + d]).bits);
    }

  auto a = random_floats(n * dim, 7), b = random_floats(n * dim, 8);
  std::vector<float> sum(n * dim), scaled(n * dim);
  add(a.data(), b.data(), sum.data(), n * dim);
  scale(a.data(), 22.627417f, scaled.data(), n * dim);
  auto ab = to_bf16(a), bb = to_bf16(b);
  std::vector<bf16> sumb(n * dim), scaledb(n * dim);
  add(ab.data(), bb.data(), sumb.data(), n * dim);
  scale(ab.data(), 22.627417f, scaledb.data(), n * dim);
  for (int64_t i = 0; i < n * dim; ++i) {
    ASSERT_EQ(sum[i], a[i] + b[i]);
    ASSERT_EQ(scaled[i], a[i] * 22.627417f);
    ASSERT_EQ(sumb[i].bits, to_bf16(to_float(ab[i]) + to_float(bb[i])).bits);
    ASSERT_EQ(scaledb[i].bits, to_bf16(to_float(ab[i]) * 22.627417f).bits);
  }
}

}  // namespace
}  // namespace hrm::kernels
