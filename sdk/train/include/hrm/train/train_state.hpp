// Reading train_state.safetensors (checkpoint.hpp) from a file the SDK may not have written: every
// metadata field and every carry value is checked before the engine uses it, so a corrupt or
// hostile checkpoint fails with an HRM_E_FORMAT error naming the file and the field instead of
// indexing outside a buffer (a negative sampler_cursor once did, issue #24) or throwing a bare
// "stoll". Kept apart from the engine so that it can be tested and fuzzed without a model.
#pragma once

#include <cstdint>
#include <string>

#include <hrm/common/safetensors.hpp>

#include "hrm/train/act.hpp"
#include "hrm/train/sampler.hpp"

namespace hrm::train {

inline constexpr const char *kStateFormat = "hrm-sdk.train-state/1";

// What the resuming run is: a state saved by a different layout is refused.
struct TrainStateExpect {
    int64_t global_batch_size = 0, shard_size = 0;
    bool ema = false;
    // Carry value ranges: tokens in [0, vocab_size), labels too or kIgnoreLabel, puzzle ids in
    // [0, num_puzzle_identifiers), steps in [0, halt_max_steps].
    int64_t seq_len = 0, vocab_size = 0, num_puzzle_identifiers = 0, halt_max_steps = 0;
};

struct TrainStateMeta {
    int64_t step = 0;
    float adam_step = 0;
    TrainSampler::Position sampler;
    uint64_t rng = 0;
    bool exhausted = false;
};

// The metadata of a training state, checked: format, layout against `expect`, step >= 0, a
// finite non-negative optimizer step count, sampler_iter >= -1 and sampler_cursor >= 0 (the
// sampler checks the cursor against its iteration in restore()), flags "0" or "1".
TrainStateMeta read_train_state_meta(const common::SafetensorsFile &state, const TrainStateExpect &expect);

// The training carry (carry.inputs/labels/puzzle_ids/steps/halted), shapes and values checked,
// into carry (resized to global_batch_size rows of seq_len).
void read_train_carry(const common::SafetensorsFile &state, const TrainStateExpect &expect, ActCarry &carry);

}  // namespace hrm::train
