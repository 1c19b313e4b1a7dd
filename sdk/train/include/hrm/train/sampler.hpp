// Batches of the reference data loader (puzzle_dataset.py, spec 3.2), deterministic under our own
// RNG (rng.hpp) so that a run is reproducible and resumable bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include <hrm/data/dataset.hpp>

#include "hrm/train/rng.hpp"

namespace hrm::train {

constexpr int32_t kIgnoreLabel = -100;

// A collated batch: int32 tokens, labels with ignore_label_id mapped to -100.
struct Batch {
    int64_t rows = 0, seq_len = 0;
    std::vector<int32_t> inputs;       // [rows * seq_len]
    std::vector<int32_t> labels;       // [rows * seq_len]
    std::vector<int32_t> puzzle_ids;   // [rows]
    int64_t real_rows = 0;             // test mode: rows before the padding
};

// Training batches. Iteration k (k = 0, 1, ...) draws from Rng(derive_seed(seed, k)):
//   group_order = epochs_per_iter concatenated permutations of all groups;
//   a batch takes the next group, one uniformly chosen puzzle of it, and that puzzle's examples
//   in random order (without replacement) truncated to the room left, until global_batch rows;
//   a batch that runs out of groups before it is full is dropped and ends the iteration.
class TrainSampler {
public:
    // max_iters = 0: iterate forever (step-budgeted runs).
    TrainSampler(const data::Split &split, int64_t global_batch, int64_t epochs_per_iter, uint64_t seed,
                 int64_t max_iters = 0);

    // The next full batch; false when max_iters iterations are exhausted.
    bool next(Batch &out);

    struct Position {
        int64_t iter = -1;     // current iteration, -1 before the first
        int64_t cursor = 0;    // next index into group_order
        uint64_t rng = 0;      // RNG state after the last batch
    };
    Position position() const { return pos_; }
    void restore(const Position &p);
    int64_t iteration() const { return pos_.iter; }

private:
    void begin_iter(int64_t iter);

    const data::Split &split_;
    int64_t batch_, epochs_per_iter_, max_iters_;
    uint64_t seed_;
    Position pos_;
    Rng rng_;
    std::vector<int32_t> group_order_;
};

// Test mode: examples in file order, chunks of global_batch, the last chunk padded with
// inputs = pad_id, labels = -100, puzzle id = blank_identifier_id.
int64_t test_batch_count(const data::Split &split, int64_t global_batch);
Batch test_batch(const data::Split &split, int64_t index, int64_t global_batch);

}  // namespace hrm::train
