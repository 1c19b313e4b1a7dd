// The one masked argmax of libhrm: how logits become predictions for a task. hrm_masked_argmax
// (decode.cpp) exposes it in the C API; the scheduler calls it for every row of a session whose
// encoder has an output mask (hrm_encoder.h output_mask), so both read logits the same way.
#pragma once

#include <cmath>
#include <cstdint>

namespace hrm::sched {

// out[s] = the token v of the largest logits[s * V + v] among those mask[s * V + v] != 0 allows
// (mask NULL: all), first max wins: hrm_model.h's readout rule on the allowed tokens only. A NaN
// logit never beats a number. Returns the first position whose mask allows no token (out[s] is
// then left as it was), or -1 when every position got a token.
inline int64_t masked_argmax(const float *logits, const uint8_t *mask, int64_t S, int64_t V, int32_t *out) {
    int64_t empty = -1;
    for (int64_t s = 0; s < S; ++s) {
        const float *row = logits + s * V;
        const uint8_t *allowed = mask ? mask + s * V : nullptr;
        int64_t best = -1;
        for (int64_t v = 0; v < V; ++v) {
            if (allowed && !allowed[v]) continue;
            // The first allowed token starts the race, so an all-NaN row still gets a token.
            if (best < 0 || row[v] > row[best] || (std::isnan(row[best]) && !std::isnan(row[v]))) best = v;
        }
        if (best < 0) {
            if (empty < 0) empty = s;
            continue;
        }
        out[s] = static_cast<int32_t>(best);
    }
    return empty;
}

// The first position of mask [S, V] that allows no token, or -1: a mask the argmax can use.
inline int64_t empty_mask_position(const uint8_t *mask, int64_t S, int64_t V) {
    for (int64_t s = 0; s < S; ++s) {
        bool any = false;
        for (int64_t v = 0; v < V && !any; ++v) any = mask[s * V + v] != 0;
        if (!any) return s;
    }
    return -1;
}

}  // namespace hrm::sched
