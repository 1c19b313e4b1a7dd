// Every fp32 backward kernel against central finite differences of the naive double forward
// reference (see test_util.hpp: numeric_gradient / expect_gradient_matches).
#include <gtest/gtest.h>

#include "hrm/kernels/kernels.hpp"
#include "test_util.hpp"

namespace hrm::kernels {
namespace {

using namespace test;

TEST(Backward, RmsNorm) {
  const int64_t rows = 3, dim = 21;
  auto x = random_floats(rows * dim, 1, 2.0f), dy = random_floats(rows * dim, 2);
  std::vector<float> dx(x.size());
  rms_norm_backward(x.data(), dy.data(), dx.data(), rows, dim);
  expect_gradient_matches([&](const Vec& v) { return ref_rms_norm(v, rows, dim); }, x, dy, dx);
}

TEST(Backward, Rope) {
  const int64_t batch = 2, len = 6, heads = 2, dim = 8, stride = 3 * heads * dim;
  RopeTable table(len, dim);
  auto x = random_floats(batch * len * stride, 3), dy = random_floats(x.size(), 4);
  auto dx = dy;
  rope_backward(dx.data(), batch, 2 * heads, stride, table);
  // Only Q and K are rotated, so the V part of the gradient passes through unchanged.
  expect_gradient_matches(
      [&](const Vec& v) { return ref_rope(v, batch, len, 2 * heads, stride, dim); }, x, dy, dx);
}

struct AttnShape {
  int64_t batch, len, heads, dim;
};

class AttentionBackward : public ::testing::TestWithParam<AttnShape> {};

TEST_P(AttentionBackward, MatchesFiniteDifferences) {
  const auto [batch, len, heads, dim] = GetParam();
  auto qkv = random_floats(batch * len * 3 * heads * dim, 5);
  auto dout = random_floats(batch * len * heads * dim, 6);
  std::vector<float> out(dout.size()), lse(batch * heads * len), dqkv(qkv.size());
  attention(qkv.data(), out.data(), batch, len, heads, dim, lse.data());
  attention_backward(qkv.data(), out.data(), dout.data(), lse.data(), dqkv.data(), batch, len,
                     heads, dim);
  expect_gradient_matches([&](const Vec& v) { return ref_attention(v, batch, len, heads, dim); },
                          qkv, dout, dqkv);
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionBackward,
                         ::testing::Values(AttnShape{2, 7, 2, 8},     // tails
                                           AttnShape{1, 66, 1, 8},    // two key blocks
                                           AttnShape{1, 9, 1, 20}));  // head_dim not /16

TEST(Backward, AttentionLongSequenceMatchesDoubleGradient) {
  // One head at the Maze length with the HRM head_dim: compare dq/dk/dv against an analytic
  // double-precision backward (finite differences would need 2·L·3·64 forward passes).
  const int64_t len = 901, dim = 64, stride = 3 * dim;
  auto qkv = random_floats(len * stride, 7), dout = random_floats(len * dim, 8);
  std::vector<float> out(len * dim), lse(len), dqkv(qkv.size());
  attention(qkv.data(), out.data(), 1, len, 1, dim, lse.data());
  attention_backward(qkv.data(), out.data(), dout.data(), lse.data(), dqkv.data(), 1, len, 1, dim);

  const double sc = 1.0 / 8.0;
  Vec ref(qkv.size(), 0.0), p(len), o(dim);
  for (int64_t i = 0; i < len; ++i) {
    double mx = -1e300, sum = 0.0;
    for (int64_t j = 0; j < len; ++j) {
      double d = 0.0;
      for (int64_t e = 0; e < dim; ++e)
        d += double(qkv[i * stride + e]) * qkv[j * stride + dim + e];
      mx = std::max(mx, p[j] = d * sc);
    }
    for (int64_t j = 0; j < len; ++j) sum += (p[j] = std::exp(p[j] - mx));
    std::fill(o.begin(), o.end(), 0.0);
    for (int64_t j = 0; j < len; ++j) {
      p[j] /= sum;
      for (int64_t e = 0; e < dim; ++e) o[e] += p[j] * qkv[j * stride + 2 * dim + e];
    }
    double delta = 0.0;
    for (int64_t e = 0; e < dim; ++e) delta += o[e] * dout[i * dim + e];
    for (int64_t j = 0; j < len; ++j) {
      double dp = 0.0;
      for (int64_t e = 0; e < dim; ++e)
        dp += double(dout[i * dim + e]) * qkv[j * stride + 2 * dim + e];
      const double ds = p[j] * (dp - delta) * sc;
      for (int64_t e = 0; e < dim; ++e) {
        ref[i * stride + e] += ds * qkv[j * stride + dim + e];
        ref[j * stride + dim + e] += ds * qkv[i * stride + e];
        ref[j * stride + 2 * dim + e] += p[j] * dout[i * dim + e];
      }
    }
  }
  EXPECT_LT(max_rel_error(dqkv, ref), 1e-5);
}

TEST(Backward, SwiGlu) {
  const int64_t rows = 3, inter = 19;
  auto gu = random_floats(rows * 2 * inter, 9, 2.0f), dy = random_floats(rows * inter, 10);
  std::vector<float> dgu(gu.size());
  swiglu_backward(gu.data(), dy.data(), dgu.data(), rows, inter);
  expect_gradient_matches([&](const Vec& v) { return ref_swiglu(v, rows, inter); }, gu, dy, dgu);
}

TEST(Backward, EmbeddingScatterAdd) {
  const int64_t vocab = 5, dim = 17, n = 12;
  auto table = random_floats(vocab * dim, 11), dout = random_floats(n * dim, 12);
  std::vector<int32_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = int32_t((i * 3) % vocab);  // repeated ids
  std::vector<float> dtable(vocab * dim, 0.0f);
  embedding_backward(dout.data(), ids.data(), n, dim, dtable.data());
  auto ref = [&](const Vec& t) {
    Vec out(n * dim);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t d = 0; d < dim; ++d) out[i * dim + d] = t[ids[i] * dim + d];
    return out;
  };
  expect_gradient_matches(ref, table, dout, dtable);
}

TEST(Backward, AddAccumulatesIntoBothInputs) {
  const int64_t n = 37;
  auto ab = random_floats(2 * n, 13), dy = random_floats(n, 14);
  std::vector<float> grad(2 * n, 0.0f);
  add_backward(dy.data(), grad.data(), grad.data() + n, n);
  auto ref = [&](const Vec& v) {
    Vec out(n);
    for (int64_t i = 0; i < n; ++i) out[i] = v[i] + v[n + i];
    return out;
  };
  expect_gradient_matches(ref, ab, dy, grad);
  add_backward(dy.data(), grad.data(), nullptr, n);  // accumulates, null skips
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_FLOAT_EQ(grad[i], 2 * dy[i]);
    EXPECT_FLOAT_EQ(grad[n + i], dy[i]);
  }
}

TEST(Backward, ScaleIsItsOwnBackward) {
  const int64_t n = 29;
  const float s = 22.627417f;
  auto x = random_floats(n, 15), dy = random_floats(n, 16);
  std::vector<float> dx(n);
  scale(dy.data(), s, dx.data(), n);
  auto ref = [&](const Vec& v) {
    Vec out(n);
    for (int64_t i = 0; i < n; ++i) out[i] = v[i] * double(s);
    return out;
  };
  expect_gradient_matches(ref, x, dy, dx);
}

TEST(Backward, LinearHelpersMatchFiniteDifferences) {
  const int64_t m = 4, n = 5, k = 6;
  auto x = random_floats(m * k, 17), w = random_floats(n * k, 18), dy = random_floats(m * n, 19);
  std::vector<float> dx(m * k), dw(n * k, 0.0f);
  linear_backward_input(dy.data(), w.data(), dx.data(), m, n, k);
  linear_backward_weight(dy.data(), x.data(), dw.data(), m, n, k);
  expect_gradient_matches([&](const Vec& v) { return ref_linear(v, to_double(w), m, n, k); }, x, dy,
                          dx);
  expect_gradient_matches([&](const Vec& v) { return ref_linear(to_double(x), v, m, n, k); }, w, dy,
                          dw);
}

}  // namespace
}  // namespace hrm::kernels
