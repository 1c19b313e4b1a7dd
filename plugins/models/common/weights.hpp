// The parameter table of one model of the family: every tensor under its reference state-dict key
// (spec 6.2, "inner." prefix kept), in the reference's order (own buffers, embeddings and heads, then
// the networks' blocks), plus the bf16 packs the kernels use.
// Immutable while states are stepped: states only read it, so any number of threads may share it.
// The training extension changes the master values in place between steps, then calls repack().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hrm/common/safetensors.hpp"
#include "hrm/kernels/matmul.hpp"

#include "config.hpp"

namespace hrm::models::core {

struct Param {
    std::string name;               // "inner.H_level.layers.0.self_attn.qkv_proj.weight"
    bool trainable = true;          // false for buffers: H_init, L_init, puzzle_emb.weights
    common::DType dtype = common::DType::F32;   // F32, or BF16 for H_init / L_init (spec 1.7)
    std::vector<int64_t> shape;
    double init_std = 0.0;          // trunc-normal std of the fresh init (spec 1.2); 0 = zeros
    std::vector<float> f32;         // values when dtype == F32
    std::vector<uint16_t> bf16;     // raw bf16 bits when dtype == BF16

    int64_t numel() const { return common::numel(shape); }
    const void *data() const { return dtype == common::DType::F32 ? static_cast<const void *>(f32.data()) : bf16.data(); }
};

// A linear layer y = x·Wᵀ: the fp32 master [out, in] and its bf16 pack for bf16 mode.
struct Linear {
    const float *w = nullptr;
    int64_t out = 0, in = 0;
    kernels::PackedWeight packed;
};

// One post-norm block: the token mixer (attention qkv/o, or TRM's sequence MLP t_gate_up/t_down
// when mlp_t) and the channel SwiGLU (gate_up/down).
struct BlockWeights {
    Linear qkv, o, gate_up, down, t_gate_up, t_down;
};

class Weights {
public:
    // Fresh init from the seed (spec 1.2), deterministic: the same (config, seed) gives the same
    // values on every platform.
    Weights(const Config &config, uint64_t seed);
    // Load from a checkpoint; every expected tensor must be present with its exact shape (errors
    // name the tensor) and no unknown tensor may be present. F32 tensors may also be stored as BF16
    // and H_init/L_init as F32 (converted on load).
    Weights(const Config &config, const common::SafetensorsFile &file);
    // The typed pointers point into params_: not copyable.
    Weights(const Weights &) = delete;
    Weights &operator=(const Weights &) = delete;

    const std::vector<Param> &params() const { return params_; }
    const Param &find(const std::string &name) const;
    int64_t trainable_count() const;
    // Rebuild every bf16 pack from its fp32 master (after an optimizer step; no state may run).
    void repack();

    // Typed access for the forward pass.
    const Param &H_init() const { return *H_init_; }
    const Param *L_init() const { return L_init_; }   // nullptr without z_L (transformer)
    const float *embed_tokens() const { return embed_tokens_; }
    const float *puzzle_emb() const { return puzzle_emb_; }   // nullptr when puzzle_emb_ndim == 0
    const float *embed_pos() const { return embed_pos_; }     // nullptr unless pos_encodings == learned
    const float *q_head_bias() const { return q_head_bias_; }
    const Linear &lm_head() const { return lm_head_; }
    const Linear &q_head() const { return q_head_; }
    // The blocks of network i of Config::nets().
    const std::vector<BlockWeights> &net(size_t i) const { return nets_[i]; }
    size_t net_count() const { return nets_.size(); }

private:
    Config config_;
    std::vector<Param> params_;
    const float *embed_tokens_ = nullptr, *puzzle_emb_ = nullptr, *embed_pos_ = nullptr, *q_head_bias_ = nullptr;
    const Param *H_init_ = nullptr, *L_init_ = nullptr;
    Linear lm_head_, q_head_;
    std::vector<std::vector<BlockWeights>> nets_;

    void declare();   // fills params_ (names, shapes, init stds) in reference order
    void bind();      // resolves the typed pointers and builds the bf16 packs
};

// JAX-style truncated normal (spec 1.2): values in [-2, 2]·comp_std whose actual std is `std`.
// Deterministic for a given (seed, stream).
void trunc_normal(float *out, int64_t n, double std, uint64_t seed, uint64_t stream);

}  // namespace hrm::models::core
