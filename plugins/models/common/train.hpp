// The training extension (ext/draft/train.h) of the family: one ACT segment whose trailing updates
// are differentiated, and their backward pass on the kernels' fp32 backwards. HRM differentiates the
// last L and H updates (the reference's one-step gradient, spec 1.5), TRM its last full recursion
// (n L updates and one H update, full backprop), the transformer its one pass
// (Config::grad_updates). The forward runs in the state's precision (fp32 reference mode, or the
// bf16 emulation of spec 1.7); the saved activations, the backward and the gradients are always
// fp32 (on the fp32 master weights).
//
// segment_forward runs the no-grad part of the schedule through Model::update, then the
// differentiated updates again here, keeping every activation their backward needs, then the
// readout. segment_backward goes back through lm_head, the Q head (position 0), the saved updates
// in reverse (each z = net(z + injection): the gradient of the blocks' input flows to the old z and
// to every injected tensor), and the input embedding (spec 1.3). The carry entering the
// differentiated updates is detached: the gradient stops there.
//
// Gradients live in the state (TrainState), fp32, one buffer per trainable param_get entry, and
// accumulate until grad_zero. The puzzle-embedding gradient is per state row ([batch, ndim], the
// gradient of the reference's local_weights, spec 3.5).
#pragma once

#include <cstdint>
#include <vector>

#include "hrm/hrm_model.h"

#include "model.hpp"
#include "state.hpp"

namespace hrm::models::core {

// What the backward of one post-norm block (spec 1.4.6) needs, for all rows of the state.
// Attention blocks use in/qkv/attn/lse; TRM's sequence MLP (mlp_t) uses in/tgu/tact and keeps
// in and pre1 transposed ([rows·D, L]).
struct BlockSave {
    std::vector<float> in;     // [M, D] block input
    std::vector<float> qkv;    // [M, 3D] after RoPE (the attention's input)
    std::vector<float> attn;   // [M, D] attention output (before o_proj)
    std::vector<float> lse;    // [B, H, L] log-sum-exp of the attention rows
    std::vector<float> tgu;    // [B·D, 2·It] sequence-MLP gate_up output
    std::vector<float> tact;   // [B·D, It] its swiglu output
    std::vector<float> pre1;   // [M, D] h + o_proj(attn), the first RMSNorm's input
    std::vector<float> n1;     // [M, D] its output, the MLP's input
    std::vector<float> gu;     // [M, 2I] gate_up output
    std::vector<float> act;    // [M, I] swiglu output (down_proj's input)
    std::vector<float> pre2;   // [M, D] n1 + down(act), the second RMSNorm's input
};

// One differentiated update: its level and the saves of its network's blocks.
struct UpdateSave {
    hrm_level level = HRM_LEVEL_H;
    std::vector<BlockSave> blocks;
};

// Per-state training data. Created on first use; the parts are allocated only when needed, so an
// inference-only state that only serves carry_get (the engine's target state) stays small. The
// saved activations and the backward scratch live from segment_forward to segment_backward only:
// the engine keeps one state per shard for the whole run, but only the shards being stepped (one
// per thread) then hold activations (~(8D + 3I)·L floats per row, block and update).
struct TrainState {
    // Saved by segment_forward, released by segment_backward.
    std::vector<UpdateSave> saves;             // the differentiated updates, in order
    std::vector<float> zH_out;                 // [B, L, D] z_H after the last H update
    std::vector<int32_t> tokens, puzzle_ids;   // the inputs the saved activations belong to
    bool has_forward = false;

    // Gradients: grads[i] for param_get index i (empty for non-trainable entries).
    std::vector<std::vector<float>> grads;
    std::vector<float> puzzle_grad;            // [B, puzzle_emb_ndim]

    // Backward: gradients of z_H, z_L and x [B, L, D], and block scratch.
    std::vector<float> dzh, dzl, dx, dattn, dqkv, dgu, dact, dt, dtgu, dtact;

    // Shape storage of the views handed out (valid until the next call on the state).
    int64_t grad_shape[2] = {0, 0};
    int64_t puzzle_shape[2] = {0, 0};
    int64_t carry_shape[3] = {0, 0, 0};
};

// The extension's numerics on one model. Stateless apart from index tables: any number of states
// may be stepped concurrently (each call touches only its own state).
class Trainer {
public:
    explicit Trainer(const Model &model);

    // Writes logits [B, S, V] and q [B, 2] (fp32), like readout after a full segment.
    void segment_forward(hrm_state &s, float *logits, float *q, const hrm_host *host) const;
    // Accumulates the gradients of the last segment_forward for d(loss)/d(logits), d(loss)/d(q).
    void segment_backward(hrm_state &s, const float *dlogits, const float *dq) const;
    void grad_zero(hrm_state &s) const;
    hrm_tensor grad_get(hrm_state &s, int64_t index) const;
    hrm_tensor puzzle_grad_get(hrm_state &s) const;

    // z_H and z_L (HRM, TRM), or z_H alone (transformer).
    int64_t carry_count() const { return m_.config().has_z_l() ? 2 : 1; }
    hrm_param carry_get(hrm_state &s, int64_t index) const;

private:
    struct BlockGrads {   // param_get indices of a block's linears (-1: not in this block kind)
        int64_t qkv, o, gate_up, down, t_gate_up, t_down;
    };

    const Model &m_;
    int64_t embed_tokens_ = -1, embed_pos_ = -1, lm_head_ = -1, q_head_w_ = -1, q_head_b_ = -1;
    std::vector<std::vector<BlockGrads>> grads_of_;   // per network of Config::nets(), per block
    std::vector<hrm_level> schedule_;                 // the updates of one segment, in order

    TrainState &train_state(hrm_state &s) const;
    void ensure_grads(hrm_state &s, TrainState &t) const;
    void ensure_saves(hrm_state &s, TrainState &t) const;
    template <class T> void block_forward(const BlockWeights &w, BlockSave &sv, Buffers<T> &b, T *h, int64_t rows) const;
    template <class T> void grad_update(hrm_state &s, Buffers<T> &b, UpdateSave &u) const;
    void block_backward(const BlockWeights &w, const BlockGrads &gi, const BlockSave &sv, TrainState &t, float *dh,
                        int64_t rows) const;
};

}  // namespace hrm::models::core
