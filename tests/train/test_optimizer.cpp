// AdamATan2 (spec 3.3), SignSGD (3.5), the EMA and the LR schedule (3.4) against hand-computed values.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "hrm/train/optimizer.hpp"
#include "hrm/train/schedule.hpp"

using namespace hrm::train;

TEST(AdamATan2, FirstStepIsAboutPoint9967LrSign) {
    AdamATan2 opt;
    opt.weight_decay = 0.0;
    opt.init({4});
    std::vector<float> p = {0.0f, 0.0f, 1.0f, -1.0f}, g = {3.0f, -0.25f, 1e-4f, -7.0f};
    const double lr = 1e-3;
    opt.begin_step();
    opt.update(0, p.data(), g.data(), lr);
    // t=1: m = 0.1g, v = 0.05g², step = lr/0.1 · atan2(0.1g, |g|) = 10·lr·atan(0.1)·sign(g).
    const double expect = 10.0 * lr * std::atan(0.1);
    EXPECT_NEAR(expect / lr, 0.9967, 1e-4);
    EXPECT_NEAR(p[0], -expect, 1e-8);
    EXPECT_NEAR(p[1], +expect, 1e-8);
    EXPECT_NEAR(p[2], 1.0 - expect, 1e-7);
    EXPECT_NEAR(p[3], -1.0 + expect, 1e-7);
    EXPECT_FLOAT_EQ(opt.step_count(), 1.0f);
}

TEST(AdamATan2, TwoStepsWithDecayMatchHandComputation) {
    AdamATan2 opt;
    opt.beta1 = 0.9;
    opt.beta2 = 0.95;
    opt.weight_decay = 0.5;
    opt.init({1});
    float p = 2.0f;
    const float g1 = 0.3f, g2 = -0.1f;
    const double lr1 = 0.01, lr2 = 0.02;
    // Reference in double: p·(1-lr·wd) first, lerp moments, atan2 with m outside the correction.
    double P = 2.0, m = 0, v = 0;
    auto ref = [&](double g, double lr, int t) {
        P *= 1 - lr * 0.5;
        m += 0.1 * (g - m);
        v += 0.05 * (g * g - v);
        const double bc1 = 1 - std::pow(0.9, t), bc2 = 1 - std::pow(0.95, t);
        P -= lr / bc1 * std::atan2(m, std::sqrt(v) / std::sqrt(bc2));
    };
    opt.begin_step();
    opt.update(0, &p, &g1, lr1);
    ref(g1, lr1, 1);
    EXPECT_NEAR(p, P, 1e-6);
    opt.begin_step();
    opt.update(0, &p, &g2, lr2);
    ref(g2, lr2, 2);
    EXPECT_NEAR(p, P, 1e-6);
    EXPECT_NEAR(opt.exp_avg()[0][0], m, 1e-7);
    EXPECT_NEAR(opt.exp_avg_sq()[0][0], v, 1e-8);
}

TEST(AdamATan2, ZeroGradientOnlyDecays) {
    AdamATan2 opt;
    opt.weight_decay = 1.0;
    opt.init({2});
    std::vector<float> p = {0.5f, -0.25f}, g = {0.0f, 0.0f};
    opt.begin_step();
    opt.update(0, p.data(), g.data(), 0.2);   // atan2(0, 0) = 0: only p·(1 - 0.2)
    EXPECT_FLOAT_EQ(p[0], 0.4f);
    EXPECT_FLOAT_EQ(p[1], -0.2f);
}

TEST(SignSGD, SumsDuplicatesAndDecaysOnlyTouchedRows) {
    // Table of 3 rows x 2; batch rows use ids {2, 0, 2}.
    std::vector<float> w = {1, 1, 1, 1, 1, 1};
    const std::vector<int32_t> ids = {2, 0, 2};
    const std::vector<float> g = {1.0f, -1.0f,    // id 2
                                  0.0f, 0.5f,     // id 0
                                  -3.0f, 0.25f};  // id 2: sum (-2, -0.75)
    signsgd_sparse(w.data(), 3, 2, ids.data(), g.data(), 3, 0.1, 0.5);
    const float decay = float(1 - 0.1 * 0.5);
    EXPECT_FLOAT_EQ(w[0], 1 * decay);         // sign 0: decay only
    EXPECT_FLOAT_EQ(w[1], decay - 0.1f);
    EXPECT_FLOAT_EQ(w[2], 1.0f);              // id 1 untouched: no decay
    EXPECT_FLOAT_EQ(w[3], 1.0f);
    EXPECT_FLOAT_EQ(w[4], decay + 0.1f);      // sum -2 → sign -1
    EXPECT_FLOAT_EQ(w[5], decay + 0.1f);
}

TEST(Ema, BlendsTowardsTheValue) {
    std::vector<float> ema = {1.0f}, value = {3.0f};
    ema_update(ema.data(), value.data(), 1, 0.75);
    EXPECT_FLOAT_EQ(ema[0], 1.5f);
}

TEST(Schedule, WarmupThenConstantByDefault) {
    Schedule s{1e-4, 2000, 26040, 1.0};
    EXPECT_DOUBLE_EQ(s.lr(1), 1e-4 / 2000);   // the first step is 1 (spec 3.4)
    EXPECT_DOUBLE_EQ(s.lr(1000), 0.5e-4);
    EXPECT_DOUBLE_EQ(s.lr(2000), 1e-4);
    EXPECT_DOUBLE_EQ(s.lr(20000), 1e-4);
}

TEST(Schedule, CosineToMinRatio) {
    Schedule s{1.0, 10, 110, 0.1};
    EXPECT_DOUBLE_EQ(s.lr(10), 1.0);
    EXPECT_NEAR(s.lr(60), 0.1 + 0.9 * 0.5, 1e-12);   // half way: cos(pi/2) = 0
    EXPECT_NEAR(s.lr(110), 0.1, 1e-12);
    EXPECT_NEAR(s.lr(500), 0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 4.9)), 1e-12);   // past the end: the formula, no clamp of progress
}

TEST(Schedule, ZeroWarmup) {
    Schedule s{2.0, 0, 10, 1.0};
    EXPECT_DOUBLE_EQ(s.lr(1), 2.0);
}
