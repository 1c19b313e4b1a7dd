#include <gtest/gtest.h>

#include "hrm/kernels/loss.hpp"
#include "test_util.hpp"

namespace hrm::kernels {
namespace {

using namespace test;

double stablemax_s(double x) { return x < 0 ? 1.0 / (1.0 - x + 1e-30) : x + 1.0; }

// Spec 2.3: −log(s(x_label) / Σ_v s(x_v)) in float64.
Vec ref_stablemax(const Vec& x, const std::vector<int32_t>& labels, int64_t vocab) {
  Vec loss(labels.size(), 0.0);
  for (size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] == kIgnoreLabel) continue;
    double sum = 0.0;
    for (int64_t v = 0; v < vocab; ++v) sum += stablemax_s(x[r * vocab + v]);
    loss[r] = -std::log(stablemax_s(x[r * vocab + labels[r]]) / sum);
  }
  return loss;
}

Vec ref_softmax_ce(const Vec& x, const std::vector<int32_t>& labels, int64_t vocab) {
  Vec loss(labels.size(), 0.0);
  for (size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] == kIgnoreLabel) continue;
    double sum = 0.0;
    for (int64_t v = 0; v < vocab; ++v) sum += std::exp(x[r * vocab + v]);
    loss[r] = std::log(sum) - x[r * vocab + labels[r]];
  }
  return loss;
}

const int64_t kRows = 6, kVocab = 11;
const std::vector<int32_t> kLabels = {3, kIgnoreLabel, 0, 10, 7, kIgnoreLabel};

TEST(Loss, StablemaxForwardAndGradient) {
  auto x = random_floats(kRows * kVocab, 1, 3.0f);
  std::vector<double> loss(kRows);
  std::vector<float> grad(x.size());
  stablemax_cross_entropy(x.data(), kLabels.data(), kRows, kVocab, loss.data(), grad.data());
  const Vec ref = ref_stablemax(to_double(x), kLabels, kVocab);
  for (int64_t r = 0; r < kRows; ++r) EXPECT_NEAR(loss[r], ref[r], 1e-12 * (1 + ref[r]));
  EXPECT_EQ(loss[1], 0.0);

  // Gradient of Σ_r w_r·loss_r.
  const std::vector<float> w = {0.5f, 2.0f, 1.0f, 0.25f, 3.0f, 1.0f};
  stablemax_cross_entropy(x.data(), kLabels.data(), kRows, kVocab, loss.data(), grad.data(),
                          w.data());
  expect_gradient_matches([&](const Vec& v) { return ref_stablemax(v, kLabels, kVocab); }, x, w,
                          grad);
}

TEST(Loss, StablemaxBf16Logits) {
  auto xb = to_bf16(random_floats(kRows * kVocab, 2, 3.0f));
  std::vector<double> loss(kRows);
  stablemax_cross_entropy(xb.data(), kLabels.data(), kRows, kVocab, loss.data());
  const Vec ref = ref_stablemax(to_double(xb), kLabels, kVocab);
  for (int64_t r = 0; r < kRows; ++r) EXPECT_DOUBLE_EQ(loss[r], ref[r]);
}

TEST(Loss, SoftmaxCrossEntropy) {
  auto x = random_floats(kRows * kVocab, 3, 3.0f);
  std::vector<float> loss(kRows), grad(x.size());
  const std::vector<float> w = {1.0f, 1.0f, 0.5f, 2.0f, 1.0f, 1.0f};
  softmax_cross_entropy(x.data(), kLabels.data(), kRows, kVocab, loss.data(), grad.data(),
                        w.data());
  const Vec ref = ref_softmax_ce(to_double(x), kLabels, kVocab);
  for (int64_t r = 0; r < kRows; ++r) EXPECT_NEAR(loss[r], ref[r], 1e-5 * (1 + ref[r]));
  expect_gradient_matches([&](const Vec& v) { return ref_softmax_ce(v, kLabels, kVocab); }, x, w,
                          grad);

  auto xb = to_bf16(x);
  softmax_cross_entropy(xb.data(), kLabels.data(), kRows, kVocab, loss.data());
  const Vec refb = ref_softmax_ce(to_double(xb), kLabels, kVocab);
  for (int64_t r = 0; r < kRows; ++r) EXPECT_NEAR(loss[r], refb[r], 1e-5 * (1 + refb[r]));
}

TEST(Loss, RejectsOutOfRangeLabels) {
  std::vector<float> x(kVocab, 0.0f);
  std::vector<double> loss(1);
  const int32_t bad = kVocab;
  EXPECT_THROW(stablemax_cross_entropy(x.data(), &bad, 1, kVocab, loss.data()), std::out_of_range);
}

TEST(Loss, BceWithLogits) {
  const int64_t n = 8;
  std::vector<float> x = {-30.0f, -5.0f, -0.7f, 0.0f, 0.3f, 2.0f, 9.0f, 40.0f};
  std::vector<float> t = {0.0f, 1.0f, 0.25f, 1.0f, 0.0f, 1.0f, 0.5f, 1.0f};
  std::vector<float> loss(n), grad(n);
  bce_with_logits(x.data(), t.data(), n, loss.data(), grad.data());
  auto ref = [&](const Vec& v) {
    Vec out(n);
    for (int64_t i = 0; i < n; ++i)
      out[i] = std::max(v[i], 0.0) - v[i] * t[i] + std::log1p(std::exp(-std::fabs(v[i])));
    return out;
  };
  const Vec r = ref(to_double(x));
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(loss[i], r[i], 1e-6 * (1 + r[i]));
    const double p = 1.0 / (1.0 + std::exp(-double(x[i])));
    EXPECT_NEAR(grad[i], p - t[i], 1e-6);
  }
  // Matches the textbook −t·log p − (1−t)·log(1−p) where that is finite.
  for (int64_t i = 1; i < n - 1; ++i) {
    const double p = 1.0 / (1.0 + std::exp(-double(x[i])));
    EXPECT_NEAR(loss[i], -t[i] * std::log(p) - (1 - t[i]) * std::log1p(-p), 1e-5);
  }
}

}  // namespace
}  // namespace hrm::kernels
