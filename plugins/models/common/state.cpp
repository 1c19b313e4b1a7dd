#include "state.hpp"

#include "train.hpp"

hrm_state::hrm_state(int64_t b, hrm_precision p, const hrm::models::core::Config &c)
    : batch(b), precision(p) {
    if (p == HRM_PRECISION_BF16) {
        bf16.allocate(b, c);
    } else {
        f32.allocate(b, c);
        f32.int8 = p == HRM_PRECISION_INT8;
    }
    tokens.assign(static_cast<std::size_t>(b * c.seq_len), 0);
    puzzle_ids.assign(static_cast<std::size_t>(b), 0);
    was_reset.assign(static_cast<std::size_t>(b), 0);
    has_inputs.assign(static_cast<std::size_t>(b), 0);
    q.assign(static_cast<std::size_t>(b * 2), 0.0f);
}

hrm_state::~hrm_state() = default;
