#include "hrm/train/sampler.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace hrm::train {

namespace {

// Copy example e of the split into row r of the batch, mapping ignored labels to -100.
void put_example(const data::Split &split, int64_t e, int32_t puzzle_id, Batch &b, int64_t r) {
    const int64_t S = split.meta.seq_len;
    std::copy_n(split.inputs.begin() + e * S, S, b.inputs.begin() + r * S);
    for (int64_t t = 0; t < S; ++t) {
        const int32_t y = split.labels[size_t(e * S + t)];
        b.labels[size_t(r * S + t)] = (split.meta.ignore_label_id && y == *split.meta.ignore_label_id) ? kIgnoreLabel : y;
    }
    b.puzzle_ids[size_t(r)] = puzzle_id;
}

void shape_batch(Batch &b, int64_t rows, int64_t S) {
    b.rows = rows;
    b.seq_len = S;
    b.inputs.assign(size_t(rows * S), 0);
    b.labels.assign(size_t(rows * S), kIgnoreLabel);
    b.puzzle_ids.assign(size_t(rows), 0);
    b.real_rows = rows;
}

}  // namespace

TrainSampler::TrainSampler(const data::Split &split, int64_t global_batch, int64_t epochs_per_iter, uint64_t seed,
                           int64_t max_iters)
    : split_(split), batch_(global_batch), epochs_per_iter_(epochs_per_iter), max_iters_(max_iters), seed_(seed) {
    if (global_batch < 1 || epochs_per_iter < 1) throw std::invalid_argument("sampler: batch and epochs_per_iter must be >= 1");
    if (split.groups() < 1) throw std::invalid_argument("sampler: the training split has no groups");
    // A batch takes at most one puzzle per group visit, so an iteration holds at most
    // epochs_per_iter * sum over groups of the largest puzzle's example count. Below the batch
    // size no batch can ever fill and next() would loop forever (issue #24: "hrm train" spun at
    // 100% CPU with no message).
    int64_t most = 0;
    for (int64_t g = 0; g < split.groups(); ++g) {
        int64_t largest = 0;
        for (int32_t p = split.group_indices[size_t(g)]; p < split.group_indices[size_t(g) + 1]; ++p)
            largest = std::max<int64_t>(largest, split.puzzle_indices[size_t(p) + 1] - split.puzzle_indices[size_t(p)]);
        most += largest;
        if (most >= global_batch) break;
    }
    int64_t reach;   // examples one iteration can give, saturating
    if (__builtin_mul_overflow(most, epochs_per_iter, &reach)) reach = INT64_MAX;
    if (reach < global_batch)
        throw std::invalid_argument("sampler: global_batch_size " + std::to_string(global_batch) +
                                    " is larger than the " + std::to_string(reach) +
                                    " examples one pass over the training split can give (" +
                                    std::to_string(split.groups()) + " groups, epochs_per_iter " +
                                    std::to_string(epochs_per_iter) +
                                    "): lower train.global_batch_size or build more examples");
}

void TrainSampler::begin_iter(int64_t iter) {
    rng_.set_state(derive_seed(seed_, uint64_t(iter)));
    const int64_t G = split_.groups();
    group_order_.clear();
    for (int64_t e = 0; e < epochs_per_iter_; ++e) {
        std::vector<int32_t> perm(static_cast<size_t>(G));
        std::iota(perm.begin(), perm.end(), 0);
        for (int64_t i = G - 1; i > 0; --i) std::swap(perm[size_t(i)], perm[rng_.below(uint64_t(i + 1))]);
        group_order_.insert(group_order_.end(), perm.begin(), perm.end());
    }
    pos_.iter = iter;
    pos_.cursor = 0;
    pos_.rng = rng_.state();
}

void TrainSampler::restore(const Position &p) {
    // The position comes from a checkpoint file: check it before it indexes group_order.
    if (p.iter < -1 || (max_iters_ > 0 && p.iter >= max_iters_))
        throw std::invalid_argument("sampler: iteration " + std::to_string(p.iter) + " out of range");
    if (p.iter == -1 && p.cursor != 0) throw std::invalid_argument("sampler: cursor set before the first iteration");
    if (p.iter >= 0) begin_iter(p.iter);   // regenerates group_order from the seed
    if (p.cursor < 0 || p.cursor > int64_t(group_order_.size()))
        throw std::invalid_argument("sampler: cursor " + std::to_string(p.cursor) + " outside the iteration's " +
                                    std::to_string(group_order_.size()) + " groups");
    pos_ = p;
    rng_.set_state(p.rng);
}

bool TrainSampler::next(Batch &out) {
    const int64_t S = split_.meta.seq_len;
    for (;;) {
        if (pos_.iter < 0 || pos_.cursor >= int64_t(group_order_.size())) {
            if (max_iters_ > 0 && pos_.iter + 1 >= max_iters_) return false;
            begin_iter(pos_.iter + 1);
        }
        shape_batch(out, batch_, S);
        int64_t size = 0;
        while (pos_.cursor < int64_t(group_order_.size()) && size < batch_) {
            const int32_t g = group_order_[size_t(pos_.cursor++)];
            const int32_t p0 = split_.group_indices[size_t(g)], p1 = split_.group_indices[size_t(g) + 1];
            if (p1 <= p0) throw std::invalid_argument("sampler: group " + std::to_string(g) + " has no puzzles");
            const int32_t puzzle = p0 + int32_t(rng_.below(uint64_t(p1 - p0)));
            const int64_t e0 = split_.puzzle_indices[size_t(puzzle)];
            const int64_t n = split_.puzzle_indices[size_t(puzzle) + 1] - e0;
            const int64_t take = std::min(n, batch_ - size);
            // np.random.choice(n, take, replace=False): a partial Fisher-Yates shuffle.
            std::vector<int64_t> order(static_cast<size_t>(n));
            std::iota(order.begin(), order.end(), 0);
            for (int64_t i = 0; i < take; ++i) std::swap(order[size_t(i)], order[size_t(i) + rng_.below(uint64_t(n - i))]);
            for (int64_t i = 0; i < take; ++i)
                put_example(split_, e0 + order[size_t(i)], split_.puzzle_identifiers[size_t(puzzle)], out, size + i);
            size += take;
        }
        pos_.rng = rng_.state();
        if (size == batch_) return true;
        pos_.cursor = int64_t(group_order_.size());   // a short batch ends the iteration (dropped)
    }
}

int64_t test_batch_count(const data::Split &split, int64_t global_batch) {
    return (split.examples() + global_batch - 1) / global_batch;
}

Batch test_batch(const data::Split &split, int64_t index, int64_t global_batch) {
    const int64_t S = split.meta.seq_len;
    Batch b;
    shape_batch(b, global_batch, S);
    // Example -> puzzle identifier through the puzzle CSR.
    const int64_t first = index * global_batch;
    const int64_t n = std::min(global_batch, split.examples() - first);
    if (n <= 0) throw std::out_of_range("test_batch: index past the end");
    int64_t puzzle = std::upper_bound(split.puzzle_indices.begin(), split.puzzle_indices.end(), int32_t(first)) -
                     split.puzzle_indices.begin() - 1;
    for (int64_t r = 0; r < n; ++r) {
        while (split.puzzle_indices[size_t(puzzle) + 1] <= first + r) ++puzzle;
        put_example(split, first + r, split.puzzle_identifiers[size_t(puzzle)], b, r);
    }
    for (int64_t r = n; r < global_batch; ++r) {
        std::fill_n(b.inputs.begin() + r * S, S, split.meta.pad_id);
        b.puzzle_ids[size_t(r)] = split.meta.blank_identifier_id;
    }
    b.real_rows = n;
    return b;
}

}  // namespace hrm::train
