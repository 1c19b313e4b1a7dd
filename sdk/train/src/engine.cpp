#include "hrm/train/engine.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include <tbb/parallel_for.h>

namespace hrm::train {

namespace {

// A JSON number; a diverged run's NaN/inf is written as null so the file stays valid JSON.
std::string num(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

double ratio(double a, int64_t b) { return b > 0 ? a / double(b) : 0.0; }

}  // namespace

Engine::Engine(ModelRef &model, const EngineConfig &config, const data::Split *train, const data::Split *test)
    : m_(model), cfg_(config), train_(train), test_(test) {
    const auto &spec = m_.spec();
    if (cfg_.global_batch_size < 1 || cfg_.shard_size < 1) throw Error(HRM_E_INVALID_ARG, "train: batch and shard sizes must be >= 1");
    for (const data::Split *s : {train_, test_}) {
        if (!s) continue;
        if (s->meta.seq_len != spec.seq_len || s->meta.vocab_size > spec.vocab_size ||
            s->meta.num_puzzle_identifiers > spec.num_puzzle_identifiers)
            throw Error(HRM_E_INVALID_ARG, "train: the dataset (seq_len " + std::to_string(s->meta.seq_len) + ", vocab " +
                                               std::to_string(s->meta.vocab_size) + ", puzzle ids " +
                                               std::to_string(s->meta.num_puzzle_identifiers) +
                                               ") does not fit the model (seq_len " + std::to_string(spec.seq_len) +
                                               ", vocab " + std::to_string(spec.vocab_size) + ", puzzle ids " +
                                               std::to_string(spec.num_puzzle_identifiers) + ")");
    }
    act_.halt_max_steps = spec.halt_max_steps;
    act_.exploration_prob = cfg_.halt_exploration_prob;
    act_.loss = cfg_.loss;
    act_.global_batch = cfg_.global_batch_size;
    act_.q_continue = !(train_ && (m_.train_flags() & HRM_TRAIN_NO_Q_CONTINUE));

    // Optimizer state only when training (an evaluation-only engine may run a model without the
    // training extension, whose params need not be F32).
    std::vector<int64_t> sizes;
    for (size_t i = 0; train_ && i < m_.params().size(); ++i) {
        const Param &p = m_.params()[i];
        if (!p.trainable) continue;
        trainable_.push_back(i);
        sizes.push_back(p.numel);
        grads_.emplace_back(size_t(p.numel));
        if (cfg_.ema > 0) ema_.emplace_back(p.f32(), p.f32() + p.numel);
    }
    adam_.beta1 = cfg_.beta1;
    adam_.beta2 = cfg_.beta2;
    adam_.weight_decay = cfg_.weight_decay;
    adam_.init(sizes);

    // Step budget (spec 3.1): explicit steps, or the reference's int(epochs·groups·mean/batch).
    int64_t max_iters = 0;
    if (cfg_.steps > 0) {
        total_steps_ = cfg_.steps;
    } else if (cfg_.epochs > 0 && train_) {
        total_steps_ = int64_t(double(cfg_.epochs * train_->meta.total_groups) * train_->meta.mean_puzzle_examples /
                               double(cfg_.global_batch_size));
        if (cfg_.epochs % cfg_.epochs_per_iter != 0)
            throw Error(HRM_E_INVALID_ARG, "train: epochs must be a multiple of epochs_per_iter");
        max_iters = cfg_.epochs / cfg_.epochs_per_iter;
    }
    schedule_ = Schedule{cfg_.lr, cfg_.lr_warmup_steps, std::max<int64_t>(total_steps_, 1), cfg_.lr_min_ratio};
    puzzle_schedule_ = schedule_;
    puzzle_schedule_.base_lr = cfg_.puzzle_emb_lr;   // same schedule, own base lr (spec 3.4)

    if (train_)
        sampler_ = std::make_unique<TrainSampler>(*train_, cfg_.global_batch_size, cfg_.epochs_per_iter, cfg_.seed, max_iters);
    const bool with_target = train_ && spec.halt_max_steps > 1 && act_.q_continue;
    if (train_)
        for (int64_t b = 0; b < cfg_.global_batch_size; b += cfg_.shard_size)
            shards_.push_back(std::make_unique<ActShard>(m_, b, std::min(cfg_.shard_size, cfg_.global_batch_size - b),
                                                         cfg_.precision, with_target));
    arena_ = std::make_unique<tbb::task_arena>(std::max(1, cfg_.threads));
    carry_.init(cfg_.global_batch_size, spec.seq_len);
    rng_.set_state(derive_seed(cfg_.seed, uint64_t(1) << 40));   // a stream apart from the sampler's
    if (!cfg_.metrics_path.empty()) {
        metrics_.open(cfg_.metrics_path, std::ios::app);
        if (!metrics_) throw Error(HRM_E_IO, "cannot open " + cfg_.metrics_path);
    }
}

Engine::~Engine() = default;

template <class F>
void Engine::parallel_shards(F &&f) {
    arena_->execute([&] {
        tbb::parallel_for(size_t(0), shards_.size(), [&](size_t k) { f(k); }, tbb::simple_partitioner());
    });
}

void Engine::log_json(const std::string &line) {
    if (!metrics_.is_open()) return;
    metrics_ << line << "\n";
    metrics_.flush();
}

std::optional<StepMetrics> Engine::train_step() {
    if (!train_) throw Error(HRM_E_INVALID_ARG, "train: no training split");
    if (exhausted_ || !sampler_->next(batch_)) {
        exhausted_ = true;
        return std::nullopt;
    }
    ++step_;   // the first step is 1 (spec 3.4)
    const std::vector<int32_t> min_halt =
        draw_min_halt(rng_, cfg_.global_batch_size, act_.halt_max_steps, act_.exploration_prob);

    std::vector<ActSums> sums(shards_.size());
    parallel_shards([&](size_t k) { sums[k] = shards_[k]->step(carry_, batch_, min_halt.data(), act_); });
    ActSums total;
    for (const auto &s : sums) total.add(s);

    // Gradient of loss/global_batch: the sum over shards, in shard order (the all-reduce SUM of
    // pretrain.py). Each view is consumed before the next call on its state.
    for (size_t k = 0; k < shards_.size(); ++k) {
        for (size_t j = 0; j < trainable_.size(); ++j) {
            const hrm_tensor g = shards_[k]->state().grad(m_.params()[trainable_[j]].index);
            const float *src = static_cast<const float *>(g.data);
            if (numel(g) != int64_t(grads_[j].size())) throw Error(HRM_E_INTERNAL, "grad_get: wrong size");
            float *dst = grads_[j].data();
            if (k == 0) std::memcpy(dst, src, grads_[j].size() * sizeof(float));
            else for (size_t e = 0; e < grads_[j].size(); ++e) dst[e] += src[e];
        }
    }

    StepMetrics out;
    out.step = step_;
    out.lr = schedule_.lr(step_);

    // Puzzle embedding: sparse SignSGD on the rows of this batch (spec 3.5).
    if (Param *table = m_.puzzle_table()) {
        const int64_t D = table->shape.at(1);
        std::vector<float> pgrad(static_cast<size_t>(cfg_.global_batch_size * D));
        for (const auto &s : shards_) {
            const hrm_tensor g = s->state().puzzle_grad();
            if (g.shape[1] != D) throw Error(HRM_E_INTERNAL, "puzzle_grad_get: wrong width");
            std::memcpy(&pgrad[size_t(s->begin() * D)], g.data, size_t(s->rows() * D) * sizeof(float));
        }
        signsgd_sparse(table->f32(), table->shape[0], D, carry_.puzzle_ids.data(), pgrad.data(), cfg_.global_batch_size,
                       puzzle_schedule_.lr(step_), cfg_.puzzle_emb_weight_decay);
    }

    // AdamATan2 on every trainable tensor; tensors are independent, so the split over threads
    // does not change any value.
    adam_.begin_step();
    arena_->execute([&] {
        tbb::parallel_for(size_t(0), trainable_.size(), [&](size_t j) {
            Param &p = m_.params()[trainable_[j]];
            adam_.update(j, p.f32(), grads_[j].data(), out.lr);
            if (cfg_.ema > 0) ema_update(ema_[j].data(), p.f32(), p.numel, cfg_.ema);
        }, tbb::simple_partitioner());
    });
    m_.params_changed();

    const double gb = double(cfg_.global_batch_size);
    out.lm_loss = total.lm_loss / gb;
    out.q_halt_loss = total.q_halt_loss / gb;
    out.q_continue_loss = total.q_continue_loss / gb;
    out.loss = (total.lm_loss + 0.5 * (total.q_halt_loss + total.q_continue_loss)) / gb;
    out.count = total.count;
    out.accuracy = ratio(total.accuracy, total.count);
    out.exact_accuracy = ratio(double(total.exact), total.count);
    out.q_halt_accuracy = ratio(double(total.q_halt_correct), total.count);
    out.steps = ratio(double(total.steps), total.count);
    log_json("{\"type\":\"train\",\"step\":" + std::to_string(out.step) + ",\"lr\":" + num(out.lr) + ",\"loss\":" +
             num(out.loss) + ",\"lm_loss\":" + num(out.lm_loss) + ",\"q_halt_loss\":" + num(out.q_halt_loss) +
             ",\"q_continue_loss\":" + num(out.q_continue_loss) + ",\"accuracy\":" + num(out.accuracy) +
             ",\"exact_accuracy\":" + num(out.exact_accuracy) + ",\"q_halt_accuracy\":" + num(out.q_halt_accuracy) +
             ",\"steps\":" + num(out.steps) + ",\"count\":" + std::to_string(out.count) + "}");
    return out;
}

void Engine::swap_ema() {
    for (size_t j = 0; j < trainable_.size(); ++j) {
        float *p = m_.params()[trainable_[j]].f32();
        std::swap_ranges(ema_[j].begin(), ema_[j].end(), p);
    }
    m_.params_changed();
}

EvalMetrics Engine::evaluate() {
    if (!test_) throw Error(HRM_E_INVALID_ARG, "eval: no test split");
    if (cfg_.ema > 0) swap_ema();   // evaluate the averaged weights
    const int64_t B = cfg_.eval_batch_size > 0 ? cfg_.eval_batch_size : cfg_.global_batch_size;
    const int64_t S = m_.spec().seq_len;
    // Evaluation has its own states and carry (the training carry persists, spec 3.1).
    std::vector<std::unique_ptr<ActShard>> shards;
    for (int64_t b = 0; b < B; b += cfg_.shard_size)
        shards.push_back(std::make_unique<ActShard>(m_, b, std::min(cfg_.shard_size, B - b), cfg_.precision, false));
    ActSums total;
    const int64_t n_batches = test_batch_count(*test_, B);
    for (int64_t i = 0; i < n_batches; ++i) {
        const Batch batch = test_batch(*test_, i, B);
        ActCarry carry;
        carry.init(B, S);
        // Every row halts at exactly halt_max_steps; metrics come from that last segment.
        std::vector<ActSums> sums(shards.size());
        for (int32_t seg = 0; seg < act_.halt_max_steps; ++seg)
            arena_->execute([&] {
                tbb::parallel_for(size_t(0), shards.size(), [&](size_t k) { sums[k] = shards[k]->step(carry, batch, nullptr, act_); },
                                  tbb::simple_partitioner());
            });
        for (const auto &s : sums) total.add(s);
    }
    if (cfg_.ema > 0) swap_ema();
    EvalMetrics out;
    out.step = step_;
    out.count = total.count;
    out.accuracy = ratio(total.accuracy, total.count);
    out.exact_accuracy = ratio(double(total.exact), total.count);
    out.q_halt_accuracy = ratio(double(total.q_halt_correct), total.count);
    out.steps = ratio(double(total.steps), total.count);
    out.lm_loss = ratio(total.lm_loss, total.count);
    out.q_halt_loss = ratio(total.q_halt_loss, total.count);
    log_json("{\"type\":\"eval\",\"step\":" + std::to_string(out.step) + ",\"count\":" + std::to_string(out.count) +
             ",\"accuracy\":" + num(out.accuracy) + ",\"exact_accuracy\":" + num(out.exact_accuracy) +
             ",\"q_halt_accuracy\":" + num(out.q_halt_accuracy) + ",\"steps\":" + num(out.steps) + ",\"lm_loss\":" +
             num(out.lm_loss) + ",\"q_halt_loss\":" + num(out.q_halt_loss) + "}");
    return out;
}

}  // namespace hrm::train
