#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <type_traits>

#include "hrm/hrm_plugin.hpp"
#include "hrm/kernels/attention.hpp"
#include "hrm/kernels/bf16.hpp"
#include "hrm/kernels/elementwise.hpp"
#include "hrm/kernels/int8.hpp"
#include "hrm/kernels/matmul.hpp"
#include "hrm/kernels/norm.hpp"
#include "hrm/kernels/swiglu.hpp"

#include "ops.hpp"

namespace hrm::models::core {

using kernels::bf16;
using hrm::plugin::Error;

namespace {

using ops::from_f;
using ops::linear;
using ops::to_f;

// A block's linear in the state's precision: int8 states (fp32 buffers) run the int8 product of
// the quantised weight (Weights::ensure_quantized); the heads stay in fp32 (readout_t).
template <class T>
void block_linear(const Buffers<T> &b, const T *x, const Linear &w, T *y, int64_t m) {
    if constexpr (std::is_same_v<T, float>) {
        if (b.int8) return kernels::linear_int8(x, w.q8, y, m);
    }
    linear(x, w, y, m);
}

// y [m, out] = down(swiglu(gate_up(x))) for x [m, in]; gu [m, 2·inter] and act [m, inter] are
// the scratch of the intermediate values. int8 states run it in chunks of rows, the SwiGLU fused
// into the down product (kernels/int8.hpp), so a chunk's gate_up output is still in the cache when
// the SwiGLU reads it (the whole gu of a task is megabytes).
template <class T>
void swiglu_mlp(const Buffers<T> &b, const T *x, const Linear &gate_up, const Linear &down, T *gu, T *act, T *y, int64_t m) {
    const int64_t in = gate_up.in, inter = down.in, out = down.out;
    if constexpr (std::is_same_v<T, float>) {
        if (b.int8) {
            constexpr int64_t kRows = 32;
            for (int64_t r = 0; r < m; r += kRows) {
                const int64_t n = std::min(kRows, m - r);
                kernels::linear_int8(x + r * in, gate_up.q8, gu + r * 2 * inter, n);
                kernels::swiglu_linear_int8(gu + r * 2 * inter, down.q8, y + r * out, n);
            }
            return;
        }
    }
    linear(x, gate_up, gu, m);
    kernels::swiglu(gu, act, m, inter);
    linear(act, down, y, m);
}

// Run fn(i) for i in [0, n), on the host's workers when it offers them (serially otherwise).
template <class F>
void for_tasks(const hrm_host *host, int64_t n, F &&fn) {
    struct Ctx { F *fn; };
    Ctx ctx{&fn};
    auto task = [](void *p, uint32_t i) { (*static_cast<Ctx *>(p)->fn)(int64_t(i)); };
    if (n > 1 && host && host->parallel_for &&
        host->parallel_for(host, uint32_t(n), +task, &ctx))
        return;
    for (int64_t i = 0; i < n; ++i) fn(i);
}

// fn(m0, count) over [0, m) in `parts` consecutive chunks on the host's workers. Every op split
// this way treats its rows independently, so the chunking changes no value.
template <class F>
void over_parts(const hrm_host *host, int64_t parts, int64_t m, F &&fn) {
    parts = std::min(parts, m / 16);   // at least 16 rows per task
    if (parts <= 1) return fn(int64_t(0), m);
    const int64_t chunk = (m + parts - 1) / parts;
    for_tasks(host, (m + chunk - 1) / chunk, [&](int64_t t) { fn(t * chunk, std::min(chunk, m - t * chunk)); });
}

}  // namespace

Model::Model(const Config &config, std::unique_ptr<Weights> weights)
    : config_(config), config_text_(config.to_toml()), weights_(std::move(weights)) {
    if (config_.rope())
        rope_.emplace(config_.total_len(), config_.head_dim(), float(config_.rope_theta));
}

// ---- reset (spec 1.6) -------------------------------------------------------------------------

namespace {
// Element d of H_init/L_init: bf16 (the reference's bf16 runs) or F32 (forward_dtype float32).
float init_value(const Param &p, int64_t d) {
    return p.dtype == common::DType::BF16 ? kernels::to_float(bf16{p.bf16[size_t(d)]}) : p.values()[d];
}
}  // namespace

template <class T>
void Model::reset_t(hrm_state &s, Buffers<T> &b, const uint8_t *mask, float noise_std, const uint64_t *seeds) const {
    const int64_t L = config_.total_len(), D = config_.hidden_size;
    const Param &hi = weights_->H_init();
    const Param *l_init = weights_->L_init();   // nullptr without z_L
    for (int64_t r = 0; r < s.batch; ++r) {
        if (mask && !mask[r]) continue;
        T *zh = b.zH.data() + r * L * D, *zl = l_init ? b.zL.data() + r * L * D : nullptr;
        // z = broadcast of the bf16 init vector to every position; optional per-row Gaussian
        // noise (multi-start refinement, not in the reference) from the row's own seed.
        // Box-Muller on mt19937_64's raw bits: the same noise everywhere for a row seed (up to libm
        // rounding; std::normal_distribution is implementation-defined).
        std::mt19937_64 rng(seeds ? seeds[r] : 0);
        auto normal_pair = [&rng, noise_std](float &a, float &b) {
            const double u1 = (double(rng() >> 11) + 1.0) * 0x1.0p-53, u2 = double(rng() >> 11) * 0x1.0p-53;
            const double rad = std::sqrt(-2.0 * std::log(u1)) * noise_std;
            a += float(rad * std::cos(2.0 * M_PI * u2));
            b += float(rad * std::sin(2.0 * M_PI * u2));
        };
        for (int64_t p = 0; p < L; ++p) {
            for (int64_t d = 0; d < D; ++d) {
                float h = init_value(hi, d);
                float l = l_init ? init_value(*l_init, d) : 0.0f;
                if (noise_std > 0.0f) normal_pair(h, l);   // one pair per element either way: same z_H noise
                zh[p * D + d] = from_f<T>(h);
                if (zl) zl[p * D + d] = from_f<T>(l);
            }
        }
        s.was_reset[size_t(r)] = 1;
    }
}

void Model::reset(hrm_state &s, const uint8_t *mask, float noise_std, const uint64_t *row_seeds) const {
    if (s.precision != HRM_PRECISION_BF16) reset_t(s, s.f32, mask, noise_std, row_seeds);
    else reset_t(s, s.bf16, mask, noise_std, row_seeds);
}

// ---- input embedding (spec 1.3) ---------------------------------------------------------------

template <class T>
void Model::embed_row(Buffers<T> &b, int64_t row, const int32_t *tokens, int32_t puzzle_id) const {
    const int64_t L = config_.total_len(), P = config_.prefix_len(), D = config_.hidden_size;
    T *x = b.x.data() + row * L * D;
    // Puzzle token(s) first: the puzzle_emb row, zero-padded to P·D. In bf16 mode the fp32 table
    // is rounded on lookup, like the reference's cast of the table to bf16.
    if (P > 0) {
        const int64_t nd = config_.puzzle_emb_ndim;
        const float *pe = weights_->puzzle_emb() + int64_t(puzzle_id) * nd;
        for (int64_t i = 0; i < P * D; ++i) x[i] = from_f<T>(i < nd ? pe[i] : 0.0f);
    }
    kernels::embedding(weights_->embed_tokens(), D, tokens, config_.seq_len, x + P * D);
    if (config_.learned_positions()) {
        // e = 0.707106781·(e + embed_pos): the reference's literal; each op rounds in bf16 mode.
        const float *pos = weights_->embed_pos();
        for (int64_t i = 0; i < L * D; ++i) {
            const float e = to_f(from_f<T>(to_f(x[i]) + to_f(from_f<T>(pos[i]))));
            x[i] = from_f<T>(0.707106781f * e);
        }
    }
    kernels::scale(x, float(std::sqrt(double(D))), x, L * D);   // embed_scale = sqrt(D)
}

void Model::set_inputs(hrm_state &s, const uint8_t *mask, const int32_t *tokens, const int32_t *puzzle_ids) const {
    const int64_t S = config_.seq_len;
    // Validate every masked row before changing anything.
    for (int64_t r = 0; r < s.batch; ++r) {
        if (mask && !mask[r]) continue;
        for (int64_t t = 0; t < S; ++t) {
            const int32_t v = tokens[r * S + t];
            if (v < 0 || v >= config_.vocab_size)
                throw Error(HRM_E_INVALID_ARG, "tokens[" + std::to_string(r) + ", " + std::to_string(t) + "] = " +
                                                   std::to_string(v) + " is outside [0, " + std::to_string(config_.vocab_size) + ")");
        }
        // Without a puzzle embedding the id selects nothing and, as in the reference, any id is
        // accepted (a converted checkpoint then has num_puzzle_identifiers = 1 unless its
        // dataset says otherwise).
        const int32_t pid = puzzle_ids ? puzzle_ids[r] : 0;
        if (pid < 0 || (config_.puzzle_emb_ndim > 0 && pid >= config_.num_puzzle_identifiers))
            throw Error(HRM_E_INVALID_ARG, "puzzle_ids[" + std::to_string(r) + "] = " + std::to_string(pid) + " is outside [0, " +
                                               std::to_string(config_.num_puzzle_identifiers) + ")");
    }
    for (int64_t r = 0; r < s.batch; ++r) {
        if (mask && !mask[r]) continue;
        std::memcpy(s.tokens.data() + r * S, tokens + r * S, size_t(S) * sizeof(int32_t));
        s.puzzle_ids[size_t(r)] = puzzle_ids ? puzzle_ids[r] : 0;
        if (s.precision != HRM_PRECISION_BF16) embed_row(s.f32, r, s.tokens.data() + r * S, s.puzzle_ids[size_t(r)]);
        else embed_row(s.bf16, r, s.tokens.data() + r * S, s.puzzle_ids[size_t(r)]);
        s.has_inputs[size_t(r)] = 1;
    }
}

// ---- blocks and modules (spec 1.4.4-1.4.7) ------------------------------------------------------

// TRM's sequence mixer (mlp_t) on h [rows, L, D], in place: per row, the SwiGLU of width L runs
// on each channel's sequence and the post-norm RMSNorm normalises over the sequence axis (the
// reference transposes to [B, D, L] around both):
//   hᵀ = rms_norm_L(hᵀ + down_t(swiglu(gate_up_t(hᵀ))))
template <class T>
void Model::mlp_t_mixer(Buffers<T> &b, const BlockWeights &w, T *h, int64_t row0, int64_t rows, Split split) const {
    const int64_t L = config_.total_len(), D = config_.hidden_size, It = config_.mlp_t_size(), M = rows * D;
    T *tx = b.tx.data() + row0 * L * D, *tproj = b.tproj.data() + row0 * L * D;
    T *tgu = b.tgu.data() + row0 * D * 2 * It, *tact = b.tact.data() + row0 * D * It;
    ops::transpose(h, tx, rows, L, D);
    over_parts(split.host, split.parts, M, [&](int64_t m0, int64_t m) {
        swiglu_mlp(b, tx + m0 * L, w.t_gate_up, w.t_down, tgu + m0 * 2 * It, tact + m0 * It, tproj + m0 * L, m);
        kernels::add(tx + m0 * L, tproj + m0 * L, tx + m0 * L, m * L);
        kernels::rms_norm(tx + m0 * L, tx + m0 * L, m, L, float(config_.rms_norm_eps));
    });
    ops::transpose(tx, h, rows, D, L);
}

// Post-norm block on h = rows·L positions, in place:
//   h = rms_norm(h + o_proj(attn(rope(qkv_proj(h)))))   (or the sequence mixer with mlp_t)
//   h = rms_norm(h + down(swiglu(gate_up(h))))
// Everything but attention is position-wise and runs over split.parts chunks of positions.
template <class T>
void Model::block(Buffers<T> &b, const BlockWeights &w, T *h, int64_t row0, int64_t rows, Split split) const {
    const int64_t L = config_.total_len(), D = config_.hidden_size, I = config_.intermediate_size();
    const int64_t H = config_.num_heads, Dh = config_.head_dim(), M = rows * L;
    const float eps = float(config_.rms_norm_eps);
    T *attn = b.attn.data() + row0 * L * D;
    T *proj = b.proj.data() + row0 * L * D, *gu = b.gu.data() + row0 * L * 2 * I, *act = b.act.data() + row0 * L * I;
    auto residual_norm = [&](int64_t m0, int64_t m) {   // h = rms_norm(h + proj)
        kernels::add(h + m0 * D, proj + m0 * D, h + m0 * D, m * D);
        kernels::rms_norm(h + m0 * D, h + m0 * D, m, D, eps);
    };

    if (config_.mlp_t) {
        mlp_t_mixer(b, w, h, row0, rows, split);
    } else {
        T *qkv = b.qkv.data() + row0 * L * 3 * D;
        over_parts(split.host, split.parts, M, [&](int64_t m0, int64_t m) { block_linear(b, h + m0 * D, w.qkv, qkv + m0 * 3 * D, m); });
        if (rope_) kernels::rope(qkv, rows, 2 * H, 3 * D, *rope_);   // Q and K heads, half-split
        kernels::attention(qkv, attn, rows, L, H, Dh);                 // non-causal, no mask
        over_parts(split.host, split.parts, M, [&](int64_t m0, int64_t m) {
            block_linear(b, attn + m0 * D, w.o, proj + m0 * D, m);
            residual_norm(m0, m);
        });
    }

    over_parts(split.host, split.parts, M, [&](int64_t m0, int64_t m) {
        swiglu_mlp(b, h + m0 * D, w.gate_up, w.down, gu + m0 * 2 * I, act + m0 * I, proj + m0 * D, m);
        residual_norm(m0, m);
    });
}

// One module call on rows [row0, row0+rows), in place on the carry (spec 1.5, checklist 8.2):
//   L: z_L = net_L(z_L, z_H + x): the injection (z_H + x) is formed (and rounded) first,
//      then z_L + inj, then the blocks;
//   H: z_H = net_H(z_H, z_L): z_H + z_L, then the blocks; the transformer injects x instead.
template <class T>
void Model::module_rows(Buffers<T> &b, hrm_level level, int64_t row0, int64_t rows, Split split) const {
    const int64_t n = rows * config_.total_len() * config_.hidden_size;
    const int64_t off = row0 * config_.total_len() * config_.hidden_size;
    const auto &blocks = weights_->net(size_t(config_.net_of(level)));
    T *zh = b.zH.data() + off;
    if (level == HRM_LEVEL_L) {
        T *zl = b.zL.data() + off, *inj = b.inj.data() + off;
        kernels::add(zh, b.x.data() + off, inj, n);
        kernels::add(zl, inj, zl, n);
        for (const BlockWeights &w : blocks) block(b, w, zl, row0, rows, split);
    } else {
        kernels::add(zh, config_.has_z_l() ? b.zL.data() + off : b.x.data() + off, zh, n);
        for (const BlockWeights &w : blocks) block(b, w, zh, row0, rows, split);
    }
}

void Model::update(hrm_state &s, hrm_level level, const hrm_host *host) const {
    if (level != HRM_LEVEL_L && level != HRM_LEVEL_H)
        throw Error(HRM_E_INVALID_ARG, "level must be HRM_LEVEL_L (0) or HRM_LEVEL_H (1), got " + std::to_string(level));
    if (config_.net_of(level) < 0)
        throw Error(HRM_E_INVALID_ARG, "the " + config_.arch + " model has no HRM_LEVEL_L update (its segment is one HRM_LEVEL_H update)");
    for (int64_t r = 0; r < s.batch; ++r)
        if (!s.was_reset[size_t(r)] || !s.has_inputs[size_t(r)])
            throw Error(HRM_E_INVALID_ARG, "row " + std::to_string(r) + " has no " +
                                               (s.was_reset[size_t(r)] ? "inputs (call set_inputs)" : "carry (call reset)"));
    // Rows are independent through the whole module: split them into tasks of consecutive rows,
    // about two per hardware thread, so the matmuls see M = rows·L instead of L.
    const int64_t workers = std::max<int64_t>(1, int64_t(std::thread::hardware_concurrency()));
    const int64_t per_task = std::max<int64_t>(1, (s.batch + 2 * workers - 1) / (2 * workers));
    const int64_t tasks = (s.batch + per_task - 1) / per_task;
    // Fewer rows than workers (a single puzzle): each row's position-wise work is split instead.
    // Both choices depend on the batch and the machine only, never on the caller's thread count.
    const Split split{host, tasks < workers ? workers : 1};
    auto run = [&](auto &buffers) {
        for_tasks(host, tasks, [&](int64_t t) {
            const int64_t r0 = t * per_task;
            module_rows(buffers, level, r0, std::min(per_task, s.batch - r0), split);
        });
    };
    if (s.precision != HRM_PRECISION_BF16) run(s.f32);
    else run(s.bf16);
}

// ---- readout (spec 1.5: lm_head on positions P.., Q head on position 0) ------------------------

template <class T>
void Model::readout_t(hrm_state &s, Buffers<T> &b, float *logits, int32_t *predictions, float *q) const {
    const int64_t L = config_.total_len(), P = config_.prefix_len(), D = config_.hidden_size;
    const int64_t S = config_.seq_len, V = config_.vocab_size;
    for (int64_t r = 0; r < s.batch; ++r)
        if (!s.was_reset[size_t(r)]) throw Error(HRM_E_INVALID_ARG, "row " + std::to_string(r) + " has no carry (call reset)");
    if (logits || predictions) {
        for (int64_t r = 0; r < s.batch; ++r)
            linear(b.zH.data() + (r * L + P) * D, weights_->lm_head(), b.logits.data() + r * S * V, S);
        if (logits)
            for (int64_t i = 0; i < s.batch * S * V; ++i) logits[i] = to_f(b.logits[size_t(i)]);
        if (predictions) {
            // argmax over the stored (bf16 in bf16 mode) logits, first max wins (spec 1.7).
            for (int64_t i = 0; i < s.batch * S; ++i) {
                const T *row = b.logits.data() + i * V;
                int32_t best = 0;
                float bv = to_f(row[0]);
                for (int64_t v = 1; v < V; ++v)
                    if (to_f(row[v]) > bv) { bv = to_f(row[v]); best = int32_t(v); }
                predictions[i] = best;
            }
        }
    }
    if (q) {
        for (int64_t r = 0; r < s.batch; ++r)
            std::memcpy(b.head_in.data() + r * D, b.zH.data() + r * L * D, size_t(D) * sizeof(T));
        // q = q_head(z_H[:, 0]) with bias; in bf16 mode the head's output (bias included) is
        // rounded once to bf16 and then read as fp32 (spec 1.7 "q logits").
        // One row per call, so a row's q does not depend on the batch it runs in: oneDNN's AVX2
        // sgemm picks its kernel (and so its summation order) by the row count.
        for (int64_t r = 0; r < s.batch; ++r) {
            if constexpr (std::is_same_v<T, float>) {
                kernels::linear(b.head_in.data() + r * D, weights_->q_head().w, s.q.data() + r * 2, 1, 2, D);
            } else {
                kernels::linear(b.head_in.data() + r * D, weights_->q_head().packed, s.q.data() + r * 2, 1);
            }
        }
        const float *bias = weights_->q_head_bias();
        for (int64_t r = 0; r < s.batch; ++r)
            for (int k = 0; k < 2; ++k) {
                float v = s.q[size_t(r * 2 + k)] + to_f(from_f<T>(bias[k]));
                q[r * 2 + k] = to_f(from_f<T>(v));
            }
        // Without a continue head (TRM's no_act_continue) q_continue reads 0: the halting rule
        // q_halt > q_continue is then TRM's q_halt > 0 (hrm_model.h readout).
        if (config_.no_act_continue)
            for (int64_t r = 0; r < s.batch; ++r) q[r * 2 + 1] = 0.0f;
    }
}

void Model::readout(hrm_state &s, float *logits, int32_t *predictions, float *q) const {
    if (s.precision != HRM_PRECISION_BF16) readout_t(s, s.f32, logits, predictions, q);
    else readout_t(s, s.bf16, logits, predictions, q);
}

}  // namespace hrm::models::core
