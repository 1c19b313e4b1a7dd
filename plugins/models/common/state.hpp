// hrm_state: everything mutable about a batch of rows (carry, inputs, scratch). Buffers are
// allocated once at state_create for the state's precision; update/readout never allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hrm/hrm_model.h"
#include "hrm/kernels/bf16.hpp"

#include "config.hpp"

namespace hrm::models::core {

struct TrainState;   // train.hpp: saved activations and gradients of the training extension

// Activation storage of one precision: T = float (fp32 mode) or kernels::bf16 (bf16 mode).
template <class T>
struct Buffers {
    std::vector<T> zH, zL;   // carry [B, L, D] (spec 2.1); zL stays empty without z_L (transformer)
    std::vector<T> x;        // input embedding [B, L, D] (spec 1.3), computed by set_inputs
    // Scratch, [B, L, ·] so every row (task) owns a disjoint slice.
    std::vector<T> inj, qkv, attn, proj, gu, act;
    // TRM's sequence MLP (mlp_t), per row in channel-major layout: tx [B, D, L] (the transposed
    // block state), tgu [B, D, 2·It], tact [B, D, It], tproj [B, D, L].
    std::vector<T> tx, tgu, tact, tproj;
    std::vector<T> head_in;  // [B, D]: z_H at position 0 for the Q head
    std::vector<T> logits;   // [B, S, V] lm_head output in activation precision
    // int8 mode (T = float): the blocks' linears run as int8 products (kernels/int8.hpp).
    bool int8 = false;

    void allocate(int64_t B, const Config &c) {
        const int64_t L = c.total_len(), D = c.hidden_size, I = c.intermediate_size();
        const auto n = [](int64_t v) { return static_cast<std::size_t>(v); };
        zH.assign(n(B * L * D), T{});
        if (c.has_z_l()) zL.assign(n(B * L * D), T{});
        x.assign(n(B * L * D), T{});
        inj.assign(n(B * L * D), T{});
        if (c.mlp_t) {
            const int64_t It = c.mlp_t_size();
            tx.assign(n(B * L * D), T{});
            tgu.assign(n(B * D * 2 * It), T{});
            tact.assign(n(B * D * It), T{});
            tproj.assign(n(B * L * D), T{});
        } else {
            qkv.assign(n(B * L * 3 * D), T{});
        }
        attn.assign(n(B * L * D), T{});
        proj.assign(n(B * L * D), T{});
        gu.assign(n(B * L * 2 * I), T{});
        act.assign(n(B * L * I), T{});
        head_in.assign(n(B * D), T{});
        logits.assign(n(B * c.seq_len * c.vocab_size), T{});
    }
};

}  // namespace hrm::models::core

// The opaque handle of hrm_model.h.
struct hrm_state {
    int64_t batch = 0;
    hrm_precision precision = HRM_PRECISION_FP32;
    hrm::models::core::Buffers<float> f32;                     // used in fp32 and int8 mode
    hrm::models::core::Buffers<hrm::kernels::bf16> bf16;       // used in bf16 mode
    std::vector<int32_t> tokens;       // [B, S]
    std::vector<int32_t> puzzle_ids;   // [B]
    std::vector<uint8_t> was_reset;    // [B] rows that have a carry
    std::vector<uint8_t> has_inputs;   // [B] rows that have inputs
    std::vector<float> q;              // [B, 2] fp32 q logits (readout scratch)
    // Training extension data (train.hpp), created on the first training call on this state.
    std::unique_ptr<hrm::models::core::TrainState> train;

    hrm_state(int64_t batch, hrm_precision precision, const hrm::models::core::Config &c);
    ~hrm_state();
};
