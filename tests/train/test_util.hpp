// A small dataset in the reference layout for the engine tests: token t in 1..V-1 must map to
// label (t % (V-1)) + 1; position 0 is never labelled (label 0 = ignore_label_id).
#pragma once

#include <hrm/data/dataset.hpp>

#include "hrm/train/rng.hpp"

inline hrm::data::Split make_split(int64_t groups, int64_t S, int64_t V, int64_t n_ids, uint64_t seed) {
    hrm::data::Metadata meta;
    meta.pad_id = 0;
    meta.ignore_label_id = 0;
    meta.blank_identifier_id = 0;
    meta.vocab_size = V;
    meta.seq_len = S;
    meta.num_puzzle_identifiers = n_ids;
    hrm::data::SplitBuilder b(meta);
    hrm::train::Rng r(seed);
    for (int64_t g = 0; g < groups; ++g) {
        b.begin_group();
        const int64_t puzzles = 1 + int64_t(r.below(3));
        for (int64_t p = 0; p < puzzles; ++p) {
            const int64_t examples = 1 + int64_t(r.below(3));
            std::vector<int32_t> in, lab;
            for (int64_t e = 0; e < examples; ++e)
                for (int64_t t = 0; t < S; ++t) {
                    const int32_t tok = 1 + int32_t(r.below(uint64_t(V - 1)));
                    in.push_back(tok);
                    lab.push_back(t == 0 ? 0 : (tok % int32_t(V - 1)) + 1);
                }
            b.add_puzzle(int32_t(1 + r.below(uint64_t(n_ids - 1))), in, lab);
        }
    }
    return b.finish();
}
