#include "hrm/train/optimizer.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

namespace hrm::train {

void AdamATan2::init(const std::vector<int64_t> &sizes) {
    step_ = 0.0f;
    m_.assign(sizes.size(), {});
    v_.assign(sizes.size(), {});
    for (size_t i = 0; i < sizes.size(); ++i) {
        m_[i].assign(size_t(sizes[i]), 0.0f);
        v_[i].assign(size_t(sizes[i]), 0.0f);
    }
}

namespace {
// torch's lerp as written in the kernel: exact for weights < 0.5 (ours are 0.1 and 0.05).
inline float lerp(float v0, float v1, float t) { return std::fma(t, v1, std::fma(-t, v0, v0)); }
}  // namespace

void AdamATan2::update(size_t i, float *p, const float *g, double lr) {
    if (step_ <= 0.0f) throw std::logic_error("AdamATan2::update before begin_step");
    // Per-step scalars exactly as FusedAdamMathFunctor: pow in double with the float step count,
    // everything cast to float (opmath_t) at the end.
    const double t = double(step_);
    const double bc1 = 1.0 - std::pow(beta1, t);
    const double bc2 = 1.0 - std::pow(beta2, t);
    const float step_size = float(lr / bc1);
    const float decay = float(1.0 - lr * weight_decay);
    const float bc2_sqrt = float(std::sqrt(bc2));
    const float mbeta1 = float(1.0 - beta1);
    const float mbeta2 = float(1.0 - beta2);
    float *m = m_[i].data();
    float *v = v_[i].data();
    const size_t n = m_[i].size();
    for (size_t k = 0; k < n; ++k) {
        float param = p[k] * decay;   // decoupled decay first
        m[k] = lerp(m[k], g[k], mbeta1);
        v[k] = lerp(v[k], g[k] * g[k], mbeta2);
        const float denom = std::sqrt(v[k]) / bc2_sqrt;
        param -= step_size * std::atan2(m[k], denom);   // bias correction of m outside atan2
        p[k] = param;
    }
}

void signsgd_sparse(float *table, int64_t n_ids, int64_t dim, const int32_t *ids, const float *grads, int64_t rows,
                    double lr, double weight_decay) {
    // unique(ids) + scatter_add: an ordered map gives the sorted unique ids of torch.unique.
    std::map<int32_t, std::vector<float>> sums;
    for (int64_t r = 0; r < rows; ++r) {
        if (ids[r] < 0 || ids[r] >= n_ids) throw std::out_of_range("signsgd: puzzle id out of range");
        auto &s = sums[ids[r]];
        if (s.empty()) s.assign(size_t(dim), 0.0f);
        for (int64_t d = 0; d < dim; ++d) s[size_t(d)] += grads[r * dim + d];
    }
    // p.mul_(1 - lr*wd).add_(sign(G), alpha=-lr): both scalars rounded to float like torch's CPU op.
    const float decay = float(1.0 - lr * weight_decay);
    const float step = float(-lr);
    for (const auto &[id, g] : sums) {
        float *w = table + int64_t(id) * dim;
        for (int64_t d = 0; d < dim; ++d) {
            const float x = g[size_t(d)];
            const float sign = x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
            w[d] = w[d] * decay + step * sign;
        }
    }
}

void ema_update(float *ema, const float *value, int64_t n, double rate) {
    const float a = float(rate), b = float(1.0 - rate);
    for (int64_t k = 0; k < n; ++k) ema[k] = b * value[k] + a * ema[k];
}

}  // namespace hrm::train
