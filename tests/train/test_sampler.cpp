// The reference batch sampling (spec 3.2): determinism, per-iteration group permutations, one
// puzzle per group visit with its examples without replacement, label mapping, test padding.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "hrm/train/sampler.hpp"
#include "test_util.hpp"

using namespace hrm::train;

namespace {

// The example a batch row holds (found by its tokens), with its puzzle and group.
struct Where {
    int64_t example, puzzle, group;
};
Where locate(const hrm::data::Split &s, const Batch &b, int64_t r) {
    const int64_t S = s.meta.seq_len;
    for (int64_t e = 0; e < s.examples(); ++e) {
        if (!std::equal(b.inputs.begin() + r * S, b.inputs.begin() + (r + 1) * S, s.inputs.begin() + e * S)) continue;
        int64_t p = 0;
        while (s.puzzle_indices[size_t(p) + 1] <= e) ++p;
        int64_t g = 0;
        while (s.group_indices[size_t(g) + 1] <= p) ++g;
        return {e, p, g};
    }
    return {-1, -1, -1};
}

}  // namespace

TEST(Sampler, SameSeedSameBatchesOtherSeedOther) {
    const auto split = make_split(20, 6, 7, 5, 11);
    TrainSampler a(split, 8, 1, 42), b(split, 8, 1, 42), c(split, 8, 1, 43);
    Batch x, y, z;
    bool differs = false;
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(a.next(x));
        ASSERT_TRUE(b.next(y));
        ASSERT_TRUE(c.next(z));
        EXPECT_EQ(x.inputs, y.inputs);
        EXPECT_EQ(x.puzzle_ids, y.puzzle_ids);
        differs = differs || x.inputs != z.inputs;
    }
    EXPECT_TRUE(differs);
}

TEST(Sampler, ReferenceSemanticsWithinOneIteration) {
    const auto split = make_split(30, 8, 7, 6, 3);   // 6^8 token strings: rows identify their example
    const int64_t B = 7;
    TrainSampler s(split, B, 2, 9);   // two epochs per iteration
    Batch b;
    std::map<int64_t, int> group_visits;
    while (s.next(b) && s.iteration() == 0) {
        ASSERT_EQ(b.rows, B);
        // Rows come in runs of one puzzle: distinct examples of that puzzle, then the next group.
        int64_t r = 0;
        while (r < B) {
            const Where w = locate(split, b, r);
            ASSERT_GE(w.example, 0);
            group_visits[w.group]++;
            std::set<int64_t> seen{w.example};
            int64_t k = r + 1;
            for (; k < B; ++k) {
                const Where v = locate(split, b, k);
                if (v.puzzle != w.puzzle || seen.count(v.example)) break;
                seen.insert(v.example);
            }
            // A run never exceeds the puzzle's example count (without replacement).
            EXPECT_LE(k - r, split.puzzle_indices[size_t(w.puzzle) + 1] - split.puzzle_indices[size_t(w.puzzle)]);
            for (int64_t q = r; q < k; ++q) EXPECT_EQ(b.puzzle_ids[size_t(q)], split.puzzle_identifiers[size_t(w.puzzle)]);
            r = k;
        }
        // Label 0 (ignore_label_id) became -100; other labels are kept.
        for (int64_t q = 0; q < B; ++q) EXPECT_EQ(b.labels[size_t(q * 8)], kIgnoreLabel);
    }
    // Two epochs: no group is visited more than twice in the iteration (runs of equal puzzles
    // from consecutive visits can merge, so this bounds from above).
    for (const auto &[g, n] : group_visits) EXPECT_LE(n, 2) << "group " << g;
    EXPECT_EQ(s.iteration(), 1);   // the short batch ended iteration 0 and the next began
}

TEST(Sampler, MaxItersEndsTheData) {
    const auto split = make_split(6, 3, 5, 3, 5);
    TrainSampler s(split, 4, 1, 1, 2);
    Batch b;
    int batches = 0;
    while (s.next(b)) ++batches;
    EXPECT_GT(batches, 0);
    EXPECT_LE(batches, 2 * 18 / 4);
    EXPECT_FALSE(s.next(b));
}

TEST(Sampler, RestoredPositionContinuesIdentically) {
    const auto split = make_split(15, 4, 6, 4, 8);
    TrainSampler a(split, 5, 1, 77);
    Batch x, y;
    for (int i = 0; i < 7; ++i) a.next(x);
    const auto pos = a.position();
    TrainSampler b(split, 5, 1, 77);
    b.restore(pos);
    for (int i = 0; i < 12; ++i) {
        ASSERT_TRUE(a.next(x));
        ASSERT_TRUE(b.next(y));
        EXPECT_EQ(x.inputs, y.inputs);
        EXPECT_EQ(x.labels, y.labels);
    }
}

TEST(Sampler, TestBatchesSequentialAndPadded) {
    const auto split = make_split(5, 3, 5, 4, 2);
    const int64_t n = split.examples(), B = 4;
    const int64_t batches = test_batch_count(split, B);
    EXPECT_EQ(batches, (n + B - 1) / B);
    const Batch last = test_batch(split, batches - 1, B);
    const int64_t real = n - (batches - 1) * B;
    EXPECT_EQ(last.real_rows, real);
    for (int64_t r = 0; r < real; ++r) {
        const int64_t e = (batches - 1) * B + r;
        for (int64_t t = 0; t < 3; ++t) EXPECT_EQ(last.inputs[size_t(r * 3 + t)], split.inputs[size_t(e * 3 + t)]);
    }
    for (int64_t r = real; r < B; ++r) {
        EXPECT_EQ(last.puzzle_ids[size_t(r)], 0);
        for (int64_t t = 0; t < 3; ++t) {
            EXPECT_EQ(last.inputs[size_t(r * 3 + t)], 0);
            EXPECT_EQ(last.labels[size_t(r * 3 + t)], kIgnoreLabel);
        }
    }
    // Puzzle identifiers follow the puzzle CSR.
    const Batch first = test_batch(split, 0, B);
    EXPECT_EQ(first.puzzle_ids[0], split.puzzle_identifiers[0]);
}
