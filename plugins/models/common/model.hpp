// The forward pass of the family (HRM spec 1.3-1.7; TRM and the transformer reuse every piece) on
// the kernels of hrm_kernels, as single module updates driven from outside (hrm_model.h): reset,
// set_inputs, update(L|H), readout. The updates (Config::net_of picks the network):
//   L  z_L = net_L(z_L + (z_H + x))                     HRM, TRM
//   H  z_H = net_H(z_H + z_L)                           HRM, TRM (TRM: net_H = net_L)
//   H  z_H = net(z_H + x)                               transformer (no z_L, no L update)
//
// Three precisions share one templated code path (model.cpp):
//   fp32  reference mode, every activation in fp32 (H_init/L_init keep their bf16 values);
//   bf16  the reference's forward dtype: activations stored in bf16 at the rounding points of
//         spec 1.7 (every op output), bf16 matmuls with fp32 accumulation, RMSNorm/RoPE/softmax
//         computed in fp32 and rounded once;
//   int8  inference only: fp32 activations as in fp32 mode, the blocks' linears as int8 products
//         (weights per output channel, activations per row, kernels/int8.hpp); the embeddings,
//         lm_head and Q head stay fp32.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "hrm/hrm_model.h"
#include "hrm/kernels/rope.hpp"

#include "config.hpp"
#include "state.hpp"
#include "weights.hpp"

namespace hrm::models::core {

class Model {
public:
    Model(const Config &config, std::unique_ptr<Weights> weights);

    const Config &config() const { return config_; }
    const Weights &weights() const { return *weights_; }
    const std::string &config_text() const { return config_text_; }
    // The RoPE table (spec 1.4.3), or nullptr with learned or no positions.
    const kernels::RopeTable *rope() const { return rope_ ? &*rope_ : nullptr; }
    // The training extension changed fp32 master values in place: rebuild the bf16 packs.
    void params_changed() { weights_->repack(); }
    // Before a state of `precision` is created: bf16 builds the bf16 packs, int8 the int8 weights,
    // once each (thread-safe), so an fp32-only process never holds them.
    void prepare(hrm_precision precision) {
        if (precision == HRM_PRECISION_BF16) weights_->ensure_packed();
        if (precision == HRM_PRECISION_INT8) weights_->ensure_quantized();
    }
    // The training extension writes the fp32 masters in place: give them owned storage
    // (Weights::materialize; [control]).
    void materialize_weights() { weights_->materialize(); }

    // mask: [batch] bytes, nullptr = all rows. Shapes were checked by the caller (plugin.cpp).
    void reset(hrm_state &s, const uint8_t *mask, float noise_std, const uint64_t *row_seeds) const;
    // tokens [batch, S] in [0, V); puzzle_ids [batch] in [0, N_id) or nullptr (all 0).
    void set_inputs(hrm_state &s, const uint8_t *mask, const int32_t *tokens, const int32_t *puzzle_ids) const;
    // One module update for every row; host (may be null) provides parallel_for over rows.
    void update(hrm_state &s, hrm_level level, const hrm_host *host) const;
    // Each output may be null: logits [batch, S, V], predictions [batch, S], q [batch, 2].
    void readout(hrm_state &s, float *logits, int32_t *predictions, float *q) const;

private:
    Config config_;
    std::string config_text_;
    std::unique_ptr<Weights> weights_;
    std::optional<kernels::RopeTable> rope_;   // S+P positions (spec 1.4.3), rope mode only

    template <class T> void reset_t(hrm_state &s, Buffers<T> &b, const uint8_t *mask, float noise_std, const uint64_t *seeds) const;
    template <class T> void embed_row(Buffers<T> &b, int64_t row, const int32_t *tokens, int32_t puzzle_id) const;
    // How a module call spreads its position-wise work: over `parts` chunks of positions on the
    // host's workers (parts > 1 only when a state has fewer rows than workers, e.g. one puzzle).
    struct Split {
        const hrm_host *host = nullptr;
        int64_t parts = 1;
    };
    template <class T> void module_rows(Buffers<T> &b, hrm_level level, int64_t row0, int64_t rows, Split split) const;
    template <class T> void block(Buffers<T> &b, const BlockWeights &w, T *h, int64_t row0, int64_t rows, Split split) const;
    template <class T> void mlp_t_mixer(Buffers<T> &b, const BlockWeights &w, T *h, int64_t row0, int64_t rows, Split split) const;
    template <class T> void readout_t(hrm_state &s, Buffers<T> &b, float *logits, int32_t *predictions, float *q) const;
};

}  // namespace hrm::models::core
