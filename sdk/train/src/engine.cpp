#include "hrm/train/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <type_traits>

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

// Per-shard sums travel between ranks as their bytes (every rank runs the same build).
static_assert(std::is_trivially_copyable_v<ActSums>);

std::string bytes_of(const std::vector<ActSums> &v) {
    return std::string(reinterpret_cast<const char *>(v.data()), v.size() * sizeof(ActSums));
}

// The sums of blob's shards [first, first + n).
std::vector<ActSums> sums_from(const std::string &blob, size_t first, size_t n) {
    if ((first + n) * sizeof(ActSums) > blob.size()) throw Error(HRM_E_INTERNAL, "train: a rank sent too few sums");
    std::vector<ActSums> out(n);
    std::memcpy(out.data(), blob.data() + first * sizeof(ActSums), n * sizeof(ActSums));
    return out;
}

// Shards [first, last) of K for rank r of N: contiguous, in rank order, sizes differing by at most 1.
std::pair<int64_t, int64_t> shard_range(int64_t K, int r, int N) { return {K * r / N, K * (r + 1) / N}; }

}  // namespace

Engine::Engine(ModelRef &model, const EngineConfig &config, const data::Split *train, const data::Split *test)
    : m_(model), comm_(config.comm ? *config.comm : solo_comm()), cfg_(config), train_(train), test_(test) {
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
        grad_off_.push_back(grad_.size());
        grad_.resize(grad_.size() + size_t(p.numel));
        if (cfg_.ema > 0) ema_.emplace_back(p.f32(), p.f32() + p.numel);
    }
    grad_off_.push_back(grad_.size());
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
        // Fewer examples than one batch: the budget rounds to 0 steps (issue #24: it used to
        // "train" 0 steps and exit 0 with an untrained step_0).
        if (total_steps_ < 1)
            throw Error(HRM_E_INVALID_ARG, "train: " + std::to_string(cfg_.epochs) + " epoch(s) of " +
                                               std::to_string(train_->examples()) + " examples give no full batch of " +
                                               std::to_string(cfg_.global_batch_size) +
                                               ": raise train.epochs or lower train.global_batch_size");
    }
    schedule_ = Schedule{cfg_.lr, cfg_.lr_warmup_steps, std::max<int64_t>(total_steps_, 1), cfg_.lr_min_ratio};
    puzzle_schedule_ = schedule_;
    puzzle_schedule_.base_lr = cfg_.puzzle_emb_lr;   // same schedule, own base lr (spec 3.4)

    if (train_)
        sampler_ = std::make_unique<TrainSampler>(*train_, cfg_.global_batch_size, cfg_.epochs_per_iter, cfg_.seed, max_iters);
    const bool with_target = train_ && spec.halt_max_steps > 1 && act_.q_continue;
    if (train_) {
        // This rank's shards; every rank must have one (the chain of ordered_sum passes through all).
        const int64_t K = (cfg_.global_batch_size + cfg_.shard_size - 1) / cfg_.shard_size;
        if (K < comm_.size())
            throw Error(HRM_E_INVALID_ARG,
                        "train: " + std::to_string(comm_.size()) + " ranks, but the global batch of " +
                            std::to_string(cfg_.global_batch_size) + " has only " + std::to_string(K) +
                            " shard(s) of shard_size " + std::to_string(cfg_.shard_size) +
                            ": lower train.shard_size or start fewer ranks");
        const auto [k0, k1] = shard_range(K, comm_.rank(), comm_.size());
        shard_first_ = k0;
        for (int64_t k = k0; k < k1; ++k) {
            const int64_t b = k * cfg_.shard_size;
            shards_.push_back(std::make_unique<ActShard>(m_, b, std::min(cfg_.shard_size, cfg_.global_batch_size - b),
                                                         cfg_.precision, with_target));
        }
    }
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
    // A full disk must stop the run loudly, not drop lines (the last checkpoint stays as it was).
    if (!metrics_) throw Error(HRM_E_IO, "cannot write " + cfg_.metrics_path + ": " + std::strerror(errno));
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
    // Every shard's sums, gathered in rank order = shard order, then added in that order.
    ActSums total;
    for (const std::string &blob : comm_.allgather(bytes_of(sums)))
        for (const ActSums &s : sums_from(blob, 0, blob.size() / sizeof(ActSums))) total.add(s);

    // Gradient of loss/global_batch: the sum over shards, in shard order (the all-reduce SUM of
    // pretrain.py): per element g_0 + g_1 + ... + g_{K-1}, left to right, whichever rank holds
    // which shards (ordered_sum hands each rank the partial sum of the shards before its own).
    // Each view is consumed before the next call on its state.
    comm_.ordered_sum(grad_.data(), grad_.size(), [&](float *dst, size_t lo, size_t hi, bool first) {
        size_t j = size_t(std::upper_bound(grad_off_.begin(), grad_off_.end(), lo) - grad_off_.begin()) - 1;
        for (; j < trainable_.size() && grad_off_[j] < hi; ++j) {
            const size_t a = std::max(lo, grad_off_[j]), b = std::min(hi, grad_off_[j + 1]);
            if (a >= b) continue;
            for (size_t k = 0; k < shards_.size(); ++k) {
                const hrm_tensor g = shards_[k]->state().grad(m_.params()[trainable_[j]].index);
                if (numel(g) != int64_t(grad_off_[j + 1] - grad_off_[j]))
                    throw Error(HRM_E_INTERNAL, "grad_get: wrong size");
                const float *src = static_cast<const float *>(g.data) + (a - grad_off_[j]);
                float *d = dst + (a - lo);
                if (first && k == 0) std::memcpy(d, src, (b - a) * sizeof(float));
                else for (size_t e = 0; e < b - a; ++e) d[e] += src[e];
            }
        }
    });

    StepMetrics out;
    out.step = step_;
    out.lr = schedule_.lr(step_);

    // Puzzle embedding: sparse SignSGD on the rows of this batch (spec 3.5). Every rank's rows (their
    // puzzle ids, then their gradient rows) are gathered so that each rank applies the same update
    // to its copy of the table, summing equal ids in row order as one process does.
    if (Param *table = m_.puzzle_table()) {
        const int64_t D = table->shape.at(1);
        std::string mine;
        for (const auto &s : shards_)
            mine.append(reinterpret_cast<const char *>(&carry_.puzzle_ids[size_t(s->begin())]),
                        size_t(s->rows()) * sizeof(int32_t));
        for (const auto &s : shards_) {
            const hrm_tensor g = s->state().puzzle_grad();
            if (g.shape[1] != D) throw Error(HRM_E_INTERNAL, "puzzle_grad_get: wrong width");
            mine.append(static_cast<const char *>(g.data), size_t(s->rows() * D) * sizeof(float));
        }
        std::vector<float> pgrad(static_cast<size_t>(cfg_.global_batch_size * D));
        int64_t row = 0;
        for (const std::string &blob : comm_.allgather(mine)) {
            const size_t per_row = sizeof(int32_t) + size_t(D) * sizeof(float);
            const int64_t n = int64_t(blob.size() / per_row);
            if (blob.size() % per_row != 0 || row + n > cfg_.global_batch_size)
                throw Error(HRM_E_INTERNAL, "train: a rank sent malformed puzzle-embedding rows");
            std::memcpy(&carry_.puzzle_ids[size_t(row)], blob.data(), size_t(n) * sizeof(int32_t));
            std::memcpy(&pgrad[size_t(row * D)], blob.data() + size_t(n) * sizeof(int32_t),
                        size_t(n * D) * sizeof(float));
            row += n;
        }
        if (row != cfg_.global_batch_size) throw Error(HRM_E_INTERNAL, "train: the ranks' rows do not cover the batch");
        signsgd_sparse(table->f32(), table->shape[0], D, carry_.puzzle_ids.data(), pgrad.data(), cfg_.global_batch_size,
                       puzzle_schedule_.lr(step_), cfg_.puzzle_emb_weight_decay);
    }

    // AdamATan2 on every trainable tensor; tensors are independent, so the split over threads
    // does not change any value.
    adam_.begin_step();
    arena_->execute([&] {
        tbb::parallel_for(size_t(0), trainable_.size(), [&](size_t j) {
            Param &p = m_.params()[trainable_[j]];
            adam_.update(j, p.f32(), grad_.data() + grad_off_[j], out.lr);
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

void Engine::check_replicas() {
    if (comm_.size() == 1) return;
    // FNV-1a over 8-byte words of everything every rank must hold the same: a different checkpoint
    // or plugin build on one node would otherwise train on silently, averaging different models.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](const void *data, size_t n) {
        const auto *p = static_cast<const unsigned char *>(data);
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            std::memcpy(&w, p + i, 8);
            h = (h ^ w) * 1099511628211ull;
        }
        for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    for (const Param &p : m_.params())
        if (p.tensor.data)
            mix(static_cast<const char *>(p.tensor.data) + p.tensor.byte_offset,
                size_t(p.numel) * dtype_bytes(p.tensor.dtype));
    for (size_t j = 0; j < trainable_.size(); ++j) {
        mix(adam_.exp_avg()[j].data(), adam_.exp_avg()[j].size() * sizeof(float));
        mix(adam_.exp_avg_sq()[j].data(), adam_.exp_avg_sq()[j].size() * sizeof(float));
        if (cfg_.ema > 0) mix(ema_[j].data(), ema_[j].size() * sizeof(float));
    }
    mix(&step_, sizeof step_);
    mix(cfg_.config_text.data(), cfg_.config_text.size());
    const std::string mine(reinterpret_cast<const char *>(&h), sizeof h);
    const std::vector<std::string> all = comm_.allgather(mine);
    for (size_t r = 1; r < all.size(); ++r)
        if (all[r] != all[0])
            throw Error(HRM_E_INVALID_ARG, "train: rank " + std::to_string(r) +
                                               " holds other weights, optimizer state, step or config than rank 0 "
                                               "(a different checkpoint, config or plugin build on its node)");
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
    // Batch i runs on rank i % N; the per-shard sums of every batch are gathered and added in batch
    // and shard order, as in one process.
    const int64_t n_batches = test_batch_count(*test_, B);
    const int N = comm_.size();
    std::vector<ActSums> mine;
    for (int64_t i = comm_.rank(); i < n_batches; i += N) {
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
        mine.insert(mine.end(), sums.begin(), sums.end());
    }
    const std::vector<std::string> all = comm_.allgather(bytes_of(mine));
    ActSums total;
    for (int64_t i = 0; i < n_batches; ++i)
        for (const ActSums &s : sums_from(all[size_t(i % N)], size_t(i / N) * shards.size(), shards.size()))
            total.add(s);
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
