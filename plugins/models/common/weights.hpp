// The parameter table of one model of the family: every tensor under its reference state-dict key
// (spec 6.2, "inner." prefix kept), in the reference's order (own buffers, embeddings and heads, then
// the networks' blocks), plus the bf16 packs the kernels use.
//
// Memory: inference holds only what it reads. A checkpoint's fp32 tensors are read in place from
// its read-only mapping (no fp32 copy); the bf16 packs are built on the first bf16 state
// (ensure_packed), after which the mapped pages of the linear layers are released (the kernels
// read only the packs; the pages fault back in from the file if an fp32 state or param_get reads
// them). The training extension needs writable fp32 masters: materialize() copies the mapped
// values into owned storage once, when the extension is first requested.
//
// Threading: immutable while states are stepped (states only read it), so any number of threads
// may share it; ensure_packed is thread-safe (built once). materialize() and repack() are
// [control]: no state may be stepped concurrently. The training extension changes the master
// values in place between steps, then calls repack().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hrm/common/safetensors.hpp"
#include "hrm/kernels/int8.hpp"
#include "hrm/kernels/matmul.hpp"

#include "config.hpp"

namespace hrm::models::core {

struct Param {
    std::string name;               // "inner.H_level.layers.0.self_attn.qkv_proj.weight"
    bool trainable = true;          // false for buffers: H_init, L_init, puzzle_emb.weights
    common::DType dtype = common::DType::F32;   // F32, or BF16 for H_init / L_init (spec 1.7)
    std::vector<int64_t> shape;
    double init_std = 0.0;          // trunc-normal std of the fresh init (spec 1.2); 0 = zeros
    // dtype == F32: the values are `mapped` (read in place from the checkpoint's read-only
    // mapping) when set, else the owned `f32` (fresh init, converted or unaligned tensors, and
    // every tensor after Weights::materialize).
    const float *mapped = nullptr;
    std::vector<float> f32;
    std::vector<uint16_t> bf16;     // raw bf16 bits when dtype == BF16
    // Loaded from an int8 model file (hrm export --precision int8): the stored int8 values [out, in]
    // and per-output-channel scales. f32 then holds their dequantised values (q · scale), and int8
    // states use exactly the stored values.
    std::vector<std::int8_t> q8;
    std::vector<float> q8_scale;

    int64_t numel() const { return common::numel(shape); }
    const float *values() const { return mapped ? mapped : f32.data(); }
    const void *data() const { return dtype == common::DType::F32 ? static_cast<const void *>(values()) : bf16.data(); }
};

// A linear layer y = x·Wᵀ: the fp32 master [out, in] and its bf16 pack for bf16 mode (empty until
// Weights::ensure_packed).
struct Linear {
    const float *w = nullptr;
    int64_t out = 0, in = 0;
    int64_t param = -1;             // index of the master in Weights::params(); -1 = unused slot
    kernels::PackedWeight packed;
    kernels::QuantizedWeight q8;    // int8 mode (block linears only; empty until Weights::ensure_quantized)
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
    // and H_init/L_init as F32 (converted on load). Aligned F32 tensors are read in place: the
    // weights keep the file (its mapping) until destroyed.
    Weights(const Config &config, std::unique_ptr<const common::SafetensorsFile> file);
    // The typed pointers point into params_: not copyable.
    Weights(const Weights &) = delete;
    Weights &operator=(const Weights &) = delete;

    const std::vector<Param> &params() const { return params_; }
    const Param &find(const std::string &name) const;
    int64_t trainable_count() const;
    // Build the bf16 packs once (the first bf16 state needs them); thread-safe.
    void ensure_packed();
    // Build the int8 weights of the blocks' linears once (the first int8 state needs them):
    // the stored values of an int8 file, else the fp32 masters quantised; thread-safe.
    void ensure_quantized();
    // Names of the tensors int8 files store quantised (the blocks' linear weights), and the
    // key of a quantised tensor's scales.
    std::vector<std::string> quantizable() const;
    static std::string scale_key(const std::string &name) { return name + "_scale"; }
    // Loaded from an int8 model file (its default precision is then int8).
    bool int8_file() const {
        for (const Param &p : params_)
            if (!p.q8.empty()) return true;
        return false;
    }
    // Copy every mapped fp32 tensor into owned, writable storage (the training extension writes
    // the masters in place). Idempotent; [control].
    void materialize();
    // Rebuild the bf16 packs (if built) from the fp32 masters (after an optimizer step; [control]).
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
    std::unique_ptr<const common::SafetensorsFile> file_;   // the checkpoint mapped params read from
    std::vector<Param> params_;
    const float *embed_tokens_ = nullptr, *puzzle_emb_ = nullptr, *embed_pos_ = nullptr, *q_head_bias_ = nullptr;
    const Param *H_init_ = nullptr, *L_init_ = nullptr;
    Linear lm_head_, q_head_;
    std::vector<std::vector<BlockWeights>> nets_;
    std::once_flag pack_once_, quantize_once_;
    std::atomic<bool> quantized_{false};
    std::vector<Linear *> block_linears();
    std::atomic<bool> packed_{false};
    std::mutex materialize_mutex_;   // get_extension may be called from several threads
    bool materialized_ = false;

    void declare();   // fills params_ (names, shapes, init stds) in reference order
    void bind();      // lays out the linears (shapes, param indices) and points them at the values
    void point();     // (re)points the typed pointers and Linear::w at the params' current values
    std::vector<Linear *> linears();   // every used Linear slot
};

// JAX-style truncated normal (spec 1.2): values in [-2, 2]·comp_std whose actual std is `std`.
// Deterministic for a given (seed, stream).
void trunc_normal(float *out, int64_t n, double std, uint64_t seed, uint64_t stream);

}  // namespace hrm::models::core
