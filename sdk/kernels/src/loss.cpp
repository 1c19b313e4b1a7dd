#include "hrm/kernels/loss.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hrm::kernels {
namespace {

float value(float x) { return x; }
float value(bf16 x) { return to_float(x); }

// True when the row counts; throws on labels that are neither ignored nor in range.
bool check_label(std::int32_t label, std::int64_t vocab) {
  if (label == kIgnoreLabel) return false;
  if (label < 0 || label >= vocab)
    throw std::out_of_range("loss: label " + std::to_string(label) + " outside [0, vocab)");
  return true;
}

template <typename T>
void stablemax_impl(const T* logits, const std::int32_t* labels, std::int64_t rows,
                    std::int64_t vocab, double* loss, float* dlogits, const float* weight) {
  constexpr double kEps = 1e-30;
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* x = logits + r * vocab;
    float* dx = dlogits ? dlogits + r * vocab : nullptr;
    if (!check_label(labels[r], vocab)) {
      loss[r] = 0.0;
      if (dx) std::fill(dx, dx + vocab, 0.0f);
      continue;
    }
    double sum = 0.0;
    for (std::int64_t v = 0; v < vocab; ++v) {
      const double xv = value(x[v]);
      sum += xv < 0 ? 1.0 / (1.0 - xv + kEps) : xv + 1.0;
    }
    const double xl = value(x[labels[r]]);
    const double sl = xl < 0 ? 1.0 / (1.0 - xl + kEps) : xl + 1.0;
    loss[r] = -std::log(sl / sum);
    if (!dx) continue;
    // loss = log Σ s − log s_label and s'(x) = s(x)² for x < 0, 1 otherwise.
    const double w = weight ? weight[r] : 1.0;
    for (std::int64_t v = 0; v < vocab; ++v) {
      const double xv = value(x[v]);
      const double sv = xv < 0 ? 1.0 / (1.0 - xv + kEps) : xv + 1.0;
      const double ds = xv < 0 ? sv * sv : 1.0;
      double g = ds / sum;
      if (v == labels[r]) g -= ds / sv;
      dx[v] = static_cast<float>(w * g);
    }
  }
}

template <typename T>
void softmax_impl(const T* logits, const std::int32_t* labels, std::int64_t rows,
                  std::int64_t vocab, float* loss, float* dlogits, const float* weight) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* x = logits + r * vocab;
    float* dx = dlogits ? dlogits + r * vocab : nullptr;
    if (!check_label(labels[r], vocab)) {
      loss[r] = 0.0f;
      if (dx) std::fill(dx, dx + vocab, 0.0f);
      continue;
    }
    float mx = value(x[0]);
    for (std::int64_t v = 1; v < vocab; ++v) mx = std::max(mx, value(x[v]));
    float sum = 0.0f;
    for (std::int64_t v = 0; v < vocab; ++v) sum += std::exp(value(x[v]) - mx);
    const float log_sum = std::log(sum);
    loss[r] = log_sum - (value(x[labels[r]]) - mx);
    if (!dx) continue;
    const float w = weight ? weight[r] : 1.0f;
    for (std::int64_t v = 0; v < vocab; ++v) {
      const float p = std::exp(value(x[v]) - mx - log_sum);
      dx[v] = w * (v == labels[r] ? p - 1.0f : p);
    }
  }
}

}  // namespace

void stablemax_cross_entropy(const float* logits, const std::int32_t* labels, std::int64_t rows,
                             std::int64_t vocab, double* loss, float* dlogits,
                             const float* weight) {
  stablemax_impl(logits, labels, rows, vocab, loss, dlogits, weight);
}

void stablemax_cross_entropy(const bf16* logits, const std::int32_t* labels, std::int64_t rows,
                             std::int64_t vocab, double* loss, float* dlogits,
                             const float* weight) {
  stablemax_impl(logits, labels, rows, vocab, loss, dlogits, weight);
}

void softmax_cross_entropy(const float* logits, const std::int32_t* labels, std::int64_t rows,
                           std::int64_t vocab, float* loss, float* dlogits, const float* weight) {
  softmax_impl(logits, labels, rows, vocab, loss, dlogits, weight);
}

void softmax_cross_entropy(const bf16* logits, const std::int32_t* labels, std::int64_t rows,
                           std::int64_t vocab, float* loss, float* dlogits, const float* weight) {
  softmax_impl(logits, labels, rows, vocab, loss, dlogits, weight);
}

void bce_with_logits(const float* logits, const float* targets, std::int64_t n, float* loss,
                     float* dlogits, const float* weight) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float x = logits[i];
    const float t = targets[i];
    loss[i] = std::max(x, 0.0f) - x * t + std::log1p(std::exp(-std::fabs(x)));
    if (dlogits) {
      const float w = weight ? weight[i] : 1.0f;
      dlogits[i] = w * (1.0f / (1.0f + std::exp(-x)) - t);
    }
  }
}

}  // namespace hrm::kernels
