#include "hrm/train/act.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <hrm/kernels/loss.hpp>

namespace hrm::train {

void ActSums::add(const ActSums &o) {
    lm_loss += o.lm_loss;
    q_halt_loss += o.q_halt_loss;
    q_continue_loss += o.q_continue_loss;
    count += o.count;
    accuracy += o.accuracy;
    exact += o.exact;
    q_halt_correct += o.q_halt_correct;
    steps += o.steps;
}

ActSums act_losses(const float *logits, const float *q, const int32_t *labels, const int32_t *steps,
                   const uint8_t *halted, const float *target_q_continue, int64_t rows, int64_t S, int64_t V,
                   LossType loss, double grad_scale, float *dlogits, float *dq) {
    ActSums sums;
    std::vector<double> tok64(static_cast<size_t>(S));
    std::vector<float> tok32(static_cast<size_t>(S)), weight(static_cast<size_t>(S));
    for (int64_t r = 0; r < rows; ++r) {
        const float *x = logits + r * S * V;
        const int32_t *y = labels + r * S;
        // Per-sequence normalisation: every sequence weighs 1 whatever its number of labels.
        int64_t n = 0, correct = 0;
        for (int64_t t = 0; t < S; ++t) {
            if (y[t] == kIgnoreLabel) continue;
            ++n;
            const float *xt = x + t * V;
            const int64_t pred = std::max_element(xt, xt + V) - xt;   // first max wins
            correct += pred == y[t];
        }
        const double div = double(std::max<int64_t>(n, 1));
        const bool seq_correct = correct == n;
        std::fill(weight.begin(), weight.end(), float(grad_scale / div));
        float *dx = dlogits ? dlogits + r * S * V : nullptr;
        double lm = 0;
        if (loss == LossType::Stablemax) {   // float64, like the reference
            kernels::stablemax_cross_entropy(x, y, S, V, tok64.data(), dx, weight.data());
            for (int64_t t = 0; t < S; ++t) lm += tok64[size_t(t)] / div;
        } else {
            kernels::softmax_cross_entropy(x, y, S, V, tok32.data(), dx, weight.data());
            for (int64_t t = 0; t < S; ++t) lm += double(tok32[size_t(t)]) / div;
        }
        sums.lm_loss += lm;

        // Q losses: BCE-with-logits in fp32, each weighted 0.5 in the total loss.
        const float target_halt = seq_correct ? 1.0f : 0.0f;
        const float w = float(0.5 * grad_scale);
        float l_halt, d_halt;
        kernels::bce_with_logits(&q[2 * r], &target_halt, 1, &l_halt, &d_halt, &w);
        sums.q_halt_loss += l_halt;
        float d_cont = 0.0f;
        if (target_q_continue) {
            float l_cont;
            kernels::bce_with_logits(&q[2 * r + 1], &target_q_continue[r], 1, &l_cont, &d_cont, &w);
            sums.q_continue_loss += l_cont;
        }
        if (dq) {
            dq[2 * r] = d_halt;
            dq[2 * r + 1] = d_cont;
        }

        // Metrics on valid = halted & (n > 0).
        if (halted[r] && n > 0) {
            sums.count += 1;
            sums.accuracy += double(correct) / div;
            sums.exact += seq_correct;
            sums.q_halt_correct += (q[2 * r] >= 0.0f) == seq_correct;
            sums.steps += steps[r];
        }
    }
    return sums;
}

void ActCarry::init(int64_t n, int64_t S) {
    rows = n;
    seq_len = S;
    inputs.assign(size_t(n * S), 0);
    labels.assign(size_t(n * S), kIgnoreLabel);
    puzzle_ids.assign(size_t(n), 0);
    steps.assign(size_t(n), 0);
    halted.assign(size_t(n), 1);
}

ActShard::ActShard(ModelRef &model, int64_t begin, int64_t rows, hrm_precision precision, bool with_target)
    : m_(model), begin_(begin), rows_(rows) {
    const auto &s = model.spec();
    state_ = std::make_unique<State>(model, rows, precision);
    logits_.resize(size_t(rows * s.seq_len * s.vocab_size));
    dlogits_.resize(logits_.size());
    q_.resize(size_t(2 * rows));
    dq_.resize(q_.size());
    if (with_target) {
        target_ = std::make_unique<State>(model, rows, precision);
        target_->reset({});   // rows must be initialised once; the carry is copied in every step
        target_q_.resize(size_t(rows));
        nq_.resize(q_.size());
    }
}

ActSums ActShard::step(ActCarry &carry, const Batch &fresh, const int32_t *min_halt, const ActConfig &cfg) {
    const int64_t S = carry.seq_len, V = m_.spec().vocab_size, b0 = begin_;
    const bool training = min_halt != nullptr;
    const int32_t M = cfg.halt_max_steps;

    // Halted rows take new data and restart (reset_carry); the others keep their example.
    std::vector<uint8_t> mask(static_cast<size_t>(rows_));
    bool any = false;
    for (int64_t i = 0; i < rows_; ++i) {
        const int64_t r = b0 + i;
        mask[size_t(i)] = carry.halted[size_t(r)];
        if (!mask[size_t(i)]) continue;
        any = true;
        std::copy_n(fresh.inputs.begin() + r * S, S, carry.inputs.begin() + r * S);
        std::copy_n(fresh.labels.begin() + r * S, S, carry.labels.begin() + r * S);
        carry.puzzle_ids[size_t(r)] = fresh.puzzle_ids[size_t(r)];
        carry.steps[size_t(r)] = 0;
    }
    if (any) state_->reset(mask);
    // Every row is re-embedded: the weights changed since the last step.
    state_->set_inputs(&carry.inputs[size_t(b0 * S)], &carry.puzzle_ids[size_t(b0)]);
    if (training) {
        state_->grad_zero();
        state_->segment_forward(logits_.data(), q_.data());
    } else {
        state_->segment_infer(logits_.data(), q_.data());
    }

    // Halting (no grad): is_last always halts; in training also q_halt > q_continue, but not
    // before the exploration minimum.
    std::vector<uint8_t> is_last(static_cast<size_t>(rows_));
    for (int64_t i = 0; i < rows_; ++i) {
        const int64_t r = b0 + i;
        const int32_t steps = ++carry.steps[size_t(r)];
        is_last[size_t(i)] = steps >= M;
        bool halted = is_last[size_t(i)];
        if (training && M > 1) {
            halted = halted || q_[size_t(2 * i)] > (cfg.q_continue ? q_[size_t(2 * i + 1)] : 0.0f);
            halted = halted && steps >= min_halt[r];
        }
        carry.halted[size_t(r)] = halted;
    }

    // Bootstrap target: a second forward from the new carry on the same data, without touching
    // the training carry: sigmoid(is_last ? q_halt' : max(q_halt', q_continue')).
    const float *target = nullptr;
    if (training && M > 1 && cfg.q_continue) {
        target_->copy_carry_from(*state_);
        target_->set_inputs(&carry.inputs[size_t(b0 * S)], &carry.puzzle_ids[size_t(b0)]);
        target_->segment_infer(nullptr, nq_.data());
        for (int64_t i = 0; i < rows_; ++i) {
            const float h = nq_[size_t(2 * i)], c = nq_[size_t(2 * i + 1)];
            const float x = is_last[size_t(i)] ? h : std::max(h, c);
            target_q_[size_t(i)] = 1.0f / (1.0f + std::exp(-x));
        }
        target = target_q_.data();
    }

    const ActSums sums = act_losses(logits_.data(), q_.data(), &carry.labels[size_t(b0 * S)], &carry.steps[size_t(b0)],
                                    &carry.halted[size_t(b0)], target, rows_, S, V, cfg.loss,
                                    1.0 / double(cfg.global_batch), training ? dlogits_.data() : nullptr,
                                    training ? dq_.data() : nullptr);
    if (training) state_->segment_backward(dlogits_.data(), dq_.data());
    return sums;
}

std::vector<int32_t> draw_min_halt(Rng &rng, int64_t rows, int32_t M, double p) {
    std::vector<int32_t> out(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const bool explore = rng.uniform() < p;
        const int32_t k = M >= 2 ? 2 + int32_t(rng.below(uint64_t(M - 1))) : 0;   // randint(2, M+1)
        out[size_t(r)] = explore ? k : 0;
    }
    return out;
}

}  // namespace hrm::train
