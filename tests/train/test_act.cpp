// Losses and metrics (spec 2.3, 2.4) against hand-computed values, and the ACT carry semantics
// (spec 2.2) through the ABI on the mock model.
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "hrm/train/act.hpp"
#include "mock_model.hpp"

using namespace hrm::train;

namespace {

double bce(double x, double t) { return std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::fabs(x))); }
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

TEST(Losses, StablemaxAndQLossesByHand) {
    // Two rows, S = 2, V = 3. Row 0: position 0 labelled 0 (argmax 0: correct), position 1 ignored.
    // Row 1: nothing labelled (a padded row): no metrics, but its q_halt target is "correct" (0 == 0).
    const float logits[12] = {1.0f, -0.5f, 0.2f, 9, 9, 9, 0.1f, 0.2f, 0.3f, 0, 0, 0};
    const int32_t labels[4] = {0, kIgnoreLabel, kIgnoreLabel, kIgnoreLabel};
    const float q[4] = {0.3f, -0.2f, -1.0f, 2.0f};
    const float target[2] = {0.7f, 0.25f};
    const int32_t steps[2] = {3, 5};
    const uint8_t halted[2] = {1, 1};
    const ActSums s = act_losses(logits, q, labels, steps, halted, target, 2, 2, 3, LossType::Stablemax, 1.0, nullptr, nullptr);
    // s(1) = 2, s(-0.5) = 1/1.5, s(0.2) = 1.2 (fp64).
    const double ce = -std::log(2.0 / (2.0 + 1.0 / (1.5 + 1e-30) + 1.2));
    EXPECT_NEAR(s.lm_loss, ce, 1e-7);
    EXPECT_NEAR(s.q_halt_loss, bce(0.3, 1) + bce(-1.0, 1), 1e-6);
    EXPECT_NEAR(s.q_continue_loss, bce(-0.2, 0.7) + bce(2.0, 0.25), 1e-6);
    EXPECT_EQ(s.count, 1);
    EXPECT_DOUBLE_EQ(s.accuracy, 1.0);
    EXPECT_EQ(s.exact, 1);
    EXPECT_EQ(s.q_halt_correct, 1);
    EXPECT_EQ(s.steps, 3);
}

TEST(Losses, SoftmaxPerSequenceNormalisationAndMetrics) {
    // One row, S = 3, V = 2, two labelled tokens: one right, one wrong.
    const float logits[6] = {2.0f, 0.0f, 0.0f, 1.0f, 5.0f, 5.0f};
    const int32_t labels[3] = {0, 0, kIgnoreLabel};
    const float q[2] = {-0.5f, 0.0f};
    const int32_t steps[1] = {2};
    const uint8_t halted[1] = {1};
    const ActSums s = act_losses(logits, q, labels, steps, halted, nullptr, 1, 3, 2, LossType::Softmax, 1.0, nullptr, nullptr);
    const double ce0 = std::log(1 + std::exp(-2.0)), ce1 = std::log(1 + std::exp(1.0));
    EXPECT_NEAR(s.lm_loss, (ce0 + ce1) / 2, 1e-6);
    EXPECT_NEAR(s.q_halt_loss, bce(-0.5, 0), 1e-6);
    EXPECT_EQ(s.q_continue_loss, 0.0);
    EXPECT_DOUBLE_EQ(s.accuracy, 0.5);
    EXPECT_EQ(s.exact, 0);
    EXPECT_EQ(s.q_halt_correct, 1);   // q_halt < 0 and the row is wrong
}

TEST(Losses, UnhaltedRowsGiveLossButNoMetrics) {
    const float logits[2] = {1.0f, 0.0f};
    const int32_t labels[1] = {0};
    const float q[2] = {0, 0};
    const int32_t steps[1] = {1};
    const uint8_t halted[1] = {0};
    const ActSums s = act_losses(logits, q, labels, steps, halted, nullptr, 1, 1, 2, LossType::Softmax, 1.0, nullptr, nullptr);
    EXPECT_GT(s.lm_loss, 0.0);
    EXPECT_EQ(s.count, 0);
    EXPECT_EQ(s.steps, 0);
}

TEST(Losses, GradientsMatchFiniteDifferences) {
    const int64_t S = 3, V = 4;
    float logits[12] = {0.3f, -1.2f, 0.8f, 0.1f, -0.4f, -0.9f, 0.05f, 1.5f, 0.7f, 0.2f, -2.0f, 0.0f};
    const int32_t labels[3] = {2, kIgnoreLabel, 1};
    float q[2] = {0.4f, -0.3f};
    const float target[1] = {0.6f};
    const int32_t steps[1] = {1};
    const uint8_t halted[1] = {0};
    for (LossType type : {LossType::Stablemax, LossType::Softmax}) {
        const double scale = 0.25;   // 1 / global batch
        float dl[12], dq[2];
        act_losses(logits, q, labels, steps, halted, target, 1, S, V, type, scale, dl, dq);
        auto total = [&]() {
            const ActSums s = act_losses(logits, q, labels, steps, halted, target, 1, S, V, type, scale, nullptr, nullptr);
            return scale * (s.lm_loss + 0.5 * (s.q_halt_loss + s.q_continue_loss));
        };
        const float h = 1e-3f;
        for (int i = 0; i < 12; ++i) {
            const float keep = logits[i];
            logits[i] = keep + h;
            const double up = total();
            logits[i] = keep - h;
            const double down = total();
            logits[i] = keep;
            EXPECT_NEAR(dl[i], (up - down) / (2 * h), 2e-4) << "logit " << i;
        }
        for (int i = 0; i < 2; ++i) {
            const float keep = q[i];
            q[i] = keep + h;
            const double up = total();
            q[i] = keep - h;
            const double down = total();
            q[i] = keep;
            EXPECT_NEAR(dq[i], (up - down) / (2 * h), 2e-4) << "q " << i;
        }
    }
}

TEST(Exploration, DrawsMinimumStepsInTwoToM) {
    Rng rng(5);
    const auto none = draw_min_halt(rng, 100, 16, 0.0);
    for (int32_t v : none) EXPECT_EQ(v, 0);
    const auto all = draw_min_halt(rng, 2000, 16, 1.0);
    std::set<int32_t> seen(all.begin(), all.end());
    EXPECT_EQ(*seen.begin(), 2);
    EXPECT_EQ(*seen.rbegin(), 16);
    EXPECT_EQ(seen.size(), 15u);
    const auto some = draw_min_halt(rng, 20000, 16, 0.1);
    int64_t explored = 0;
    for (int32_t v : some) explored += v != 0;
    EXPECT_NEAR(double(explored) / 20000.0, 0.1, 0.01);
}

class ActCarryTest : public ::testing::Test {
protected:
    static constexpr int64_t kRows = 4;

    void make(int32_t M, float bias_halt, float bias_cont) {
        mock::Config c;
        c.M = M;
        model_ = std::make_unique<mock::Model>(c);
        model_->tensor("inner.q_head.bias").v = {bias_halt, bias_cont};
        for (float &w : model_->tensor("inner.q_head.weight").v) w *= 0.01f;   // q ≈ bias
        auto &pz = model_->tensor("inner.puzzle_emb.weights").v;
        for (size_t i = 0; i < pz.size(); ++i) pz[i] = 0.01f * float(i);
        ref_ = std::make_unique<ModelRef>(model_->vtable(), mock::status_ops());
        carry_.init(kRows, c.S);
        cfg_.halt_max_steps = M;
        cfg_.global_batch = kRows;
    }
    // Batch k: row r, position t holds 1 + (k + r + t) % 4; puzzle id 1 + (k + r) % 2.
    Batch batch(int k) const {
        const int64_t S = model_->config().S;
        Batch b;
        b.rows = kRows;
        b.seq_len = S;
        for (int64_t r = 0; r < kRows; ++r) {
            for (int64_t t = 0; t < S; ++t) {
                b.inputs.push_back(int32_t(1 + (k + r + t) % 4));
                b.labels.push_back(int32_t(1 + (k + r + t + 1) % 4));
            }
            b.puzzle_ids.push_back(int32_t(1 + (k + r) % 2));
        }
        b.real_rows = kRows;
        return b;
    }
    std::vector<int32_t> row_inputs(int64_t r) const {
        const int64_t S = model_->config().S;
        return std::vector<int32_t>(carry_.inputs.begin() + r * S, carry_.inputs.begin() + (r + 1) * S);
    }
    std::vector<int32_t> batch_row(const Batch &b, int64_t r) const {
        const int64_t S = model_->config().S;
        return std::vector<int32_t>(b.inputs.begin() + r * S, b.inputs.begin() + (r + 1) * S);
    }

    std::unique_ptr<mock::Model> model_;
    std::unique_ptr<ModelRef> ref_;
    ActCarry carry_;
    ActConfig cfg_;
};

TEST_F(ActCarryTest, OnlyHaltedRowsTakeNewExamples) {
    make(3, -5.0f, 5.0f);   // q_halt < q_continue: rows run to halt_max_steps
    ActShard shard(*ref_, 0, kRows, HRM_PRECISION_FP32, true);
    const std::vector<int32_t> no_explore(kRows, 0);
    const Batch a = batch(0), b = batch(1), c = batch(2), d = batch(3);
    shard.step(carry_, a, no_explore.data(), cfg_);
    for (int64_t r = 0; r < kRows; ++r) {
        EXPECT_EQ(row_inputs(r), batch_row(a, r));
        EXPECT_EQ(carry_.steps[size_t(r)], 1);
        EXPECT_EQ(carry_.halted[size_t(r)], 0);
    }
    shard.step(carry_, b, no_explore.data(), cfg_);
    for (int64_t r = 0; r < kRows; ++r) EXPECT_EQ(row_inputs(r), batch_row(a, r)) << "a running row kept its example";
    shard.step(carry_, c, no_explore.data(), cfg_);
    for (int64_t r = 0; r < kRows; ++r) {
        EXPECT_EQ(carry_.steps[size_t(r)], 3);
        EXPECT_EQ(carry_.halted[size_t(r)], 1) << "is_last halts";
    }
    shard.step(carry_, d, no_explore.data(), cfg_);
    const auto &h = model_->tensor("inner.H_init").v;
    const auto &emb = model_->tensor("inner.embed_tokens.embedding_weight").v;
    const auto &pz = model_->tensor("inner.puzzle_emb.weights").v;
    const int64_t D = model_->config().D;
    const State::Carry z = shard.state().carry(0);
    for (int64_t r = 0; r < kRows; ++r) {
        EXPECT_EQ(row_inputs(r), batch_row(d, r));
        EXPECT_EQ(carry_.steps[size_t(r)], 1);
        // Restarted from H_init: one L update gives 0.5·H_init + e.
        const int32_t tok = d.inputs[size_t(r * model_->config().S)], pid = d.puzzle_ids[size_t(r)];
        for (int64_t k = 0; k < D; ++k)
            EXPECT_FLOAT_EQ(static_cast<float *>(z.data)[r * model_->config().S * D + k],
                            0.5f * h[size_t(k)] + (emb[size_t(tok * D + k)] + pz[size_t(pid * D + k)]));
    }
}

TEST_F(ActCarryTest, QHaltingRespectsTheExplorationMinimum) {
    make(4, 5.0f, -5.0f);   // q_halt > q_continue: halt as soon as allowed
    ActShard shard(*ref_, 0, kRows, HRM_PRECISION_FP32, true);
    const std::vector<int32_t> min_halt = {0, 3, 2, 0};
    shard.step(carry_, batch(0), min_halt.data(), cfg_);
    EXPECT_EQ(carry_.halted, (std::vector<uint8_t>{1, 0, 0, 1}));
    const Batch b = batch(1);
    shard.step(carry_, b, min_halt.data(), cfg_);
    EXPECT_EQ(carry_.halted, (std::vector<uint8_t>{1, 0, 1, 1}));
    EXPECT_EQ(carry_.steps, (std::vector<int32_t>{1, 2, 2, 1}));
    EXPECT_EQ(row_inputs(0), batch_row(b, 0));
    EXPECT_NE(row_inputs(1), batch_row(b, 1));
    shard.step(carry_, batch(2), min_halt.data(), cfg_);
    // Row 1 reaches its minimum; row 2 restarted on a new example and is below its minimum again.
    EXPECT_EQ(carry_.halted, (std::vector<uint8_t>{1, 1, 0, 1}));
    EXPECT_EQ(carry_.steps, (std::vector<int32_t>{1, 3, 1, 1}));
}

TEST_F(ActCarryTest, BootstrapTargetComesFromASecondForwardOnTheNewCarry) {
    for (int32_t M : {3, 2}) {   // M = 3: not last after step 1 (max); M = 2: step 2 is last (q_halt only)
        make(M, -0.3f, 0.4f);
        model_->tensor("inner.q_head.weight").v.assign(size_t(2 * model_->config().D), 0.0f);
        for (int64_t k = 0; k < model_->config().D; ++k) {   // q depends on the carry
            model_->tensor("inner.q_head.weight").v[size_t(k)] = 0.3f;
            model_->tensor("inner.q_head.weight").v[size_t(model_->config().D + k)] = -0.2f;
        }
        ActShard shard(*ref_, 0, kRows, HRM_PRECISION_FP32, true);
        const std::vector<int32_t> min_halt(kRows, 99);   // keep every row running (is_last still wins)
        ActSums sums;
        for (int s = 0; s < (M == 2 ? 2 : 1); ++s) sums = shard.step(carry_, batch(0), min_halt.data(), cfg_);
        const bool last = M == 2;
        const mock::Config &c = model_->config();
        const auto &emb = model_->tensor("inner.embed_tokens.embedding_weight").v;
        const auto &pz = model_->tensor("inner.puzzle_emb.weights").v;
        const State::Carry z = shard.state().carry(0);
        double expect = 0;
        for (int64_t r = 0; r < kRows; ++r) {
            const float *zr = static_cast<float *>(z.data) + r * c.S * c.D;
            float q_now[2], q_next[2];
            model_->q_of(zr, q_now);
            std::vector<float> z2(size_t(c.S * c.D));   // one more segment: 0.5·z + e
            for (int64_t t = 0; t < c.S; ++t) {
                const int32_t tok = carry_.inputs[size_t(r * c.S + t)], pid = carry_.puzzle_ids[size_t(r)];
                for (int64_t k = 0; k < c.D; ++k)
                    z2[size_t(t * c.D + k)] = 0.5f * zr[t * c.D + k] + emb[size_t(tok * c.D + k)] + pz[size_t(pid * c.D + k)];
            }
            model_->q_of(z2.data(), q_next);
            const double t = sigmoid(last ? q_next[0] : std::max(q_next[0], q_next[1]));
            expect += bce(q_now[1], t);
        }
        EXPECT_NEAR(sums.q_continue_loss, expect, 1e-5) << "M = " << M;
        // The target forward left the training carry alone: one more step continues from z.
        EXPECT_EQ(carry_.steps[0], last ? 2 : 1);
    }
}

TEST_F(ActCarryTest, EvaluationRunsExactlyHaltMaxSteps) {
    make(3, 5.0f, -5.0f);   // would halt at once in training
    ActShard shard(*ref_, 0, kRows, HRM_PRECISION_FP32, false);
    const Batch a = batch(0);
    for (int s = 1; s <= 3; ++s) {
        const ActSums sums = shard.step(carry_, a, nullptr, cfg_);
        for (int64_t r = 0; r < kRows; ++r) EXPECT_EQ(carry_.halted[size_t(r)], s == 3);
        EXPECT_EQ(sums.count, s == 3 ? kRows : 0);
        EXPECT_EQ(sums.q_continue_loss, 0.0);
    }
}
