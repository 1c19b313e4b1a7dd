#include "train.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include "hrm/hrm_plugin.hpp"
#include "hrm/kernels/attention.hpp"
#include "hrm/kernels/elementwise.hpp"
#include "hrm/kernels/matmul.hpp"
#include "hrm/kernels/norm.hpp"
#include "hrm/kernels/rope.hpp"
#include "hrm/kernels/swiglu.hpp"

namespace hrm::models::hrm_model {

using hrm::plugin::require;

namespace {

size_t sz(int64_t v) { return static_cast<size_t>(v); }

hrm_tensor view(void *data, hrm_dtype dtype, int32_t ndim, const int64_t *shape) {
    hrm_tensor t{};
    t.data = data;
    t.dtype = dtype;
    t.ndim = ndim;
    t.shape = shape;
    t.strides = nullptr;
    t.device = HRM_DEVICE_CPU;
    return t;
}

// The learned-position factor of the input embedding, the same fp32 literal as model.cpp (spec 1.3).
constexpr float kPosScale = 0.707106781f;

// The state's linear in its precision, as model.cpp: fp32 master weights, or the bf16 pack with
// fp32 accumulation and one rounding of the output (spec 1.4.1, 1.7).
void linear(const float *x, const Linear &w, float *y, int64_t m) { kernels::linear(x, w.w, y, m, w.out, w.in); }
void linear(const kernels::bf16 *x, const Linear &w, kernels::bf16 *y, int64_t m) { kernels::linear(x, w.packed, y, m); }

// Saved activations are fp32 whatever the forward precision: the backward runs in fp32.
void save(const float *x, std::vector<float> &out) { std::copy(x, x + out.size(), out.begin()); }
void save(const kernels::bf16 *x, std::vector<float> &out) { kernels::to_float(x, out.data(), int64_t(out.size())); }

}  // namespace

Trainer::Trainer(const Model &model) : m_(model) {
    const auto &params = model.weights().params();
    auto index = [&](const std::string &name) -> int64_t {
        for (size_t i = 0; i < params.size(); ++i)
            if (params[i].name == name) return int64_t(i);
        return -1;
    };
    embed_tokens_ = index("inner.embed_tokens.embedding_weight");
    embed_pos_ = index("inner.embed_pos.embedding_weight");   // -1 with RoPE
    lm_head_ = index("inner.lm_head.weight");
    q_head_w_ = index("inner.q_head.weight");
    q_head_b_ = index("inner.q_head.bias");
    const Config &c = model.config();
    for (auto [level, count, out] : {std::tuple{"H_level", c.h_layers, &h_grads_}, std::tuple{"L_level", c.l_layers, &l_grads_}}) {
        for (int64_t i = 0; i < count; ++i) {
            const std::string pre = std::string("inner.") + level + ".layers." + std::to_string(i) + ".";
            out->push_back(BlockGrads{index(pre + "self_attn.qkv_proj.weight"), index(pre + "self_attn.o_proj.weight"),
                                      index(pre + "mlp.gate_up_proj.weight"), index(pre + "mlp.down_proj.weight")});
        }
    }
}

TrainState &Trainer::train_state(hrm_state &s) const {
    if (!s.train) s.train = std::make_unique<TrainState>();
    return *s.train;
}

void Trainer::ensure_grads(hrm_state &s, TrainState &t) const {
    if (!t.grads.empty()) return;
    const auto &params = m_.weights().params();
    t.grads.resize(params.size());
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i].trainable) t.grads[i].assign(sz(params[i].numel()), 0.0f);
    t.puzzle_grad.assign(sz(s.batch * m_.config().puzzle_emb_ndim), 0.0f);
}

void Trainer::ensure_saves(hrm_state &s, TrainState &t) const {
    if (!t.zH_out.empty()) return;
    const Config &c = m_.config();
    const int64_t B = s.batch, L = c.total_len(), D = c.hidden_size, I = c.intermediate_size();
    const int64_t M = B * L;
    auto alloc = [&](std::vector<BlockSave> &saves, int64_t layers) {
        saves.resize(sz(layers));
        for (BlockSave &sv : saves) {
            sv.in.assign(sz(M * D), 0.0f);
            sv.qkv.assign(sz(M * 3 * D), 0.0f);
            sv.attn.assign(sz(M * D), 0.0f);
            sv.lse.assign(sz(B * c.num_heads * L), 0.0f);
            sv.pre1.assign(sz(M * D), 0.0f);
            sv.n1.assign(sz(M * D), 0.0f);
            sv.gu.assign(sz(M * 2 * I), 0.0f);
            sv.act.assign(sz(M * I), 0.0f);
            sv.pre2.assign(sz(M * D), 0.0f);
        }
    };
    alloc(t.l_saves, c.l_layers);
    alloc(t.h_saves, c.h_layers);
    t.zH_out.assign(sz(M * D), 0.0f);
    t.tokens.assign(sz(B * c.seq_len), 0);
    t.puzzle_ids.assign(sz(B), 0);
    t.dz.assign(sz(M * D), 0.0f);
    t.dattn.assign(sz(M * D), 0.0f);
    t.dqkv.assign(sz(M * 3 * D), 0.0f);
    t.dgu.assign(sz(M * 2 * I), 0.0f);
    t.dact.assign(sz(M * I), 0.0f);
}

// ---- forward ------------------------------------------------------------------------------------

// Model::block (spec 1.4.6) with the same kernel calls in the state's precision, keeping its
// activations (in fp32) for the backward:
//   h = rms_norm(h + o_proj(attn(rope(qkv_proj(h)))));  h = rms_norm(h + down(swiglu(gate_up(h))))
// The state's scratch buffers hold the intermediate results of all rows.
template <class T>
void Trainer::block_forward(const BlockWeights &w, BlockSave &sv, Buffers<T> &b, T *h, int64_t rows) const {
    const Config &c = m_.config();
    const int64_t L = c.total_len(), D = c.hidden_size, I = c.intermediate_size();
    const int64_t H = c.num_heads, Dh = c.head_dim(), M = rows * L;
    const float eps = float(c.rms_norm_eps);

    save(h, sv.in);
    linear(h, w.qkv, b.qkv.data(), M);
    if (m_.rope()) kernels::rope(b.qkv.data(), rows, 2 * H, 3 * D, *m_.rope());
    kernels::attention(b.qkv.data(), b.attn.data(), rows, L, H, Dh, sv.lse.data());
    save(b.qkv.data(), sv.qkv);
    save(b.attn.data(), sv.attn);
    linear(b.attn.data(), w.o, b.proj.data(), M);
    kernels::add(h, b.proj.data(), h, M * D);
    save(h, sv.pre1);
    kernels::rms_norm(h, h, M, D, eps);
    save(h, sv.n1);

    linear(h, w.gate_up, b.gu.data(), M);
    kernels::swiglu(b.gu.data(), b.act.data(), M, I);
    save(b.gu.data(), sv.gu);
    save(b.act.data(), sv.act);
    linear(b.act.data(), w.down, b.proj.data(), M);
    kernels::add(h, b.proj.data(), h, M * D);
    save(h, sv.pre2);
    kernels::rms_norm(h, h, M, D, eps);
}

// The one-step-gradient part of the segment (spec 1.5): z_L = L_level(z_L, z_H + x), then
// z_H = H_level(z_H, z_L), with the arithmetic of Model::module_rows (the injection is formed
// first, checklist 8.2).
template <class T>
void Trainer::grad_updates(hrm_state &s, Buffers<T> &b, TrainState &t) const {
    const Config &c = m_.config();
    const int64_t n = s.batch * c.total_len() * c.hidden_size;
    kernels::add(b.zH.data(), b.x.data(), b.inj.data(), n);
    kernels::add(b.zL.data(), b.inj.data(), b.zL.data(), n);
    for (size_t k = 0; k < m_.weights().l_blocks().size(); ++k)
        block_forward(m_.weights().l_blocks()[k], t.l_saves[k], b, b.zL.data(), s.batch);
    kernels::add(b.zH.data(), b.zL.data(), b.zH.data(), n);
    for (size_t k = 0; k < m_.weights().h_blocks().size(); ++k)
        block_forward(m_.weights().h_blocks()[k], t.h_saves[k], b, b.zH.data(), s.batch);
    save(b.zH.data(), t.zH_out);
}

void Trainer::segment_forward(hrm_state &s, float *logits, float *q, const hrm_host *host) const {
    for (int64_t r = 0; r < s.batch; ++r)
        require(s.was_reset[sz(r)] && s.has_inputs[sz(r)], HRM_E_INVALID_ARG,
                "row " + std::to_string(r) + " has no " + (s.was_reset[sz(r)] ? "inputs (call set_inputs)" : "carry (call reset)"));
    TrainState &t = train_state(s);
    ensure_saves(s, t);
    t.has_forward = false;

    // No-grad part of the segment (spec 1.5): N·T−1 L updates and N−1 H updates in the reference's
    // order, on the inference path; their activations are not needed (the carry is detached).
    const Config &c = m_.config();
    const int64_t N = c.h_cycles, T = c.l_cycles;
    for (int64_t i = 0; i < N; ++i) {
        for (int64_t j = 0; j < T; ++j)
            if (!(i == N - 1 && j == T - 1)) m_.update(s, HRM_LEVEL_L, host);
        if (i != N - 1) m_.update(s, HRM_LEVEL_H, host);
    }

    if (s.precision == HRM_PRECISION_FP32) grad_updates(s, s.f32, t);
    else grad_updates(s, s.bf16, t);
    t.tokens = s.tokens;
    t.puzzle_ids = s.puzzle_ids;
    t.has_forward = true;
    m_.readout(s, logits, nullptr, q);
}

// ---- backward -----------------------------------------------------------------------------------

// Back through one block: on entry t.dz holds d(loss)/d(block output), on return d(loss)/d(block
// input); the four weight gradients accumulate. Each step undoes one line of block_forward.
void Trainer::block_backward(const BlockWeights &w, const BlockGrads &gi, const BlockSave &sv, TrainState &t,
                             int64_t rows) const {
    const Config &c = m_.config();
    const int64_t L = c.total_len(), D = c.hidden_size, I = c.intermediate_size();
    const int64_t H = c.num_heads, Dh = c.head_dim(), M = rows * L;
    const float eps = float(c.rms_norm_eps);
    float *dh = t.dz.data();

    // h = rms_norm(pre2), pre2 = n1 + down(swiglu(gate_up(n1)))
    kernels::rms_norm_backward(sv.pre2.data(), dh, dh, M, D, eps);
    kernels::linear_backward_weight(dh, sv.act.data(), t.grads[sz(gi.down)].data(), M, D, I);
    kernels::linear_backward_input(dh, w.down.w, t.dact.data(), M, D, I);
    kernels::swiglu_backward(sv.gu.data(), t.dact.data(), t.dgu.data(), M, I);
    kernels::linear_backward_weight(t.dgu.data(), sv.n1.data(), t.grads[sz(gi.gate_up)].data(), M, 2 * I, D);
    kernels::linear_backward_input(t.dgu.data(), w.gate_up.w, dh, M, 2 * I, D, /*accumulate=*/true);   // + residual

    // n1 = rms_norm(pre1), pre1 = in + o_proj(attn(rope(qkv_proj(in))))
    kernels::rms_norm_backward(sv.pre1.data(), dh, dh, M, D, eps);
    kernels::linear_backward_weight(dh, sv.attn.data(), t.grads[sz(gi.o)].data(), M, D, D);
    kernels::linear_backward_input(dh, w.o.w, t.dattn.data(), M, D, D);
    kernels::attention_backward(sv.qkv.data(), sv.attn.data(), t.dattn.data(), sv.lse.data(), t.dqkv.data(), rows, L, H, Dh);
    if (m_.rope()) kernels::rope_backward(t.dqkv.data(), rows, 2 * H, 3 * D, *m_.rope());
    kernels::linear_backward_weight(t.dqkv.data(), sv.in.data(), t.grads[sz(gi.qkv)].data(), M, 3 * D, D);
    kernels::linear_backward_input(t.dqkv.data(), w.qkv.w, dh, M, 3 * D, D, /*accumulate=*/true);   // + residual
}

void Trainer::segment_backward(hrm_state &s, const float *dlogits, const float *dq) const {
    TrainState &t = train_state(s);
    require(t.has_forward, HRM_E_INVALID_ARG, "segment_backward needs a segment_forward on the state first");
    ensure_grads(s, t);
    const Config &c = m_.config();
    const Weights &W = m_.weights();
    const int64_t B = s.batch, L = c.total_len(), P = c.prefix_len(), D = c.hidden_size;
    const int64_t S = c.seq_len, V = c.vocab_size;
    float *dz = t.dz.data();
    const float *zh = t.zH_out.data();
    std::fill(t.dz.begin(), t.dz.end(), 0.0f);

    // Readout (spec 1.5): logits[r] = z_H[r, P:] · lm_headᵀ, then q[r] = q_head(z_H[r, 0]) + bias.
    float *g_lm = t.grads[sz(lm_head_)].data();
    for (int64_t r = 0; r < B; ++r) {
        const float *dl = dlogits + r * S * V;
        kernels::linear_backward_weight(dl, zh + (r * L + P) * D, g_lm, S, V, D);
        kernels::linear_backward_input(dl, W.lm_head().w, dz + (r * L + P) * D, S, V, D);
    }
    const float *qw = W.q_head().w;
    float *g_qw = t.grads[sz(q_head_w_)].data(), *g_qb = t.grads[sz(q_head_b_)].data();
    for (int64_t r = 0; r < B; ++r) {
        const float *z0 = zh + r * L * D;
        float *dz0 = dz + r * L * D;
        for (int k = 0; k < 2; ++k) {
            const float g = dq[2 * r + k];
            g_qb[k] += g;
            for (int64_t d = 0; d < D; ++d) {
                g_qw[k * D + d] += g * z0[d];
                dz0[d] += g * qw[k * D + d];
            }
        }
    }

    // H update: z_H = H_level(z_H_in + z_L). z_H_in is the detached carry, so the gradient of the
    // blocks' input is the gradient of the new z_L.
    for (size_t k = W.h_blocks().size(); k-- > 0;) block_backward(W.h_blocks()[k], h_grads_[k], t.h_saves[k], t, B);
    // L update: z_L = L_level(z_L_in + (z_H_in + x)); only x is differentiable.
    for (size_t k = W.l_blocks().size(); k-- > 0;) block_backward(W.l_blocks()[k], l_grads_[k], t.l_saves[k], t, B);

    // Input embedding (spec 1.3): x = sqrt(D)·e, or sqrt(D)·0.707106781·(e + embed_pos) with learned
    // positions; e = [puzzle_emb row zero-padded to P·D, token embeddings].
    kernels::scale(dz, float(std::sqrt(double(D))), dz, B * L * D);
    if (c.learned_positions()) {
        kernels::scale(dz, kPosScale, dz, B * L * D);
        float *g_pos = t.grads[sz(embed_pos_)].data();
        for (int64_t r = 0; r < B; ++r) kernels::add(g_pos, dz + r * L * D, g_pos, L * D);
    }
    float *g_tok = t.grads[sz(embed_tokens_)].data();
    for (int64_t r = 0; r < B; ++r)
        kernels::embedding_backward(dz + (r * L + P) * D, t.tokens.data() + r * S, S, D, g_tok);
    // The puzzle rows' gradient is per state row (the reference's local_weights.grad, spec 3.5);
    // the engine sums equal ids for its sparse SignSGD.
    const int64_t nd = c.puzzle_emb_ndim;
    for (int64_t r = 0; r < B && nd > 0; ++r) kernels::add(t.puzzle_grad.data() + r * nd, dz + r * L * D, t.puzzle_grad.data() + r * nd, nd);

    // Release the activations (see TrainState); the next segment_forward allocates them again.
    t.has_forward = false;
    for (auto *saves : {&t.l_saves, &t.h_saves}) std::vector<BlockSave>().swap(*saves);
    for (auto *v : {&t.zH_out, &t.dz, &t.dattn, &t.dqkv, &t.dgu, &t.dact}) std::vector<float>().swap(*v);
}

// ---- gradient and carry views -------------------------------------------------------------------

void Trainer::grad_zero(hrm_state &s) const {
    TrainState &t = train_state(s);
    ensure_grads(s, t);
    for (auto &g : t.grads) std::fill(g.begin(), g.end(), 0.0f);
    std::fill(t.puzzle_grad.begin(), t.puzzle_grad.end(), 0.0f);
}

hrm_tensor Trainer::grad_get(hrm_state &s, int64_t index) const {
    const auto &params = m_.weights().params();
    require(index >= 0 && index < int64_t(params.size()), HRM_E_INVALID_ARG,
            "parameter index " + std::to_string(index) + " is outside [0, " + std::to_string(params.size()) + ")");
    const Param &p = params[sz(index)];
    require(p.trainable, HRM_E_INVALID_ARG, "\"" + p.name + "\" is not trainable: it has no gradient");
    TrainState &t = train_state(s);
    ensure_grads(s, t);
    return view(t.grads[sz(index)].data(), HRM_DTYPE_F32, int32_t(p.shape.size()), p.shape.data());
}

hrm_tensor Trainer::puzzle_grad_get(hrm_state &s) const {
    const int64_t nd = m_.config().puzzle_emb_ndim;
    require(nd > 0, HRM_E_UNSUPPORTED, "the model has no puzzle embedding (puzzle_emb_ndim = 0)");
    TrainState &t = train_state(s);
    ensure_grads(s, t);
    t.puzzle_shape[0] = s.batch;
    t.puzzle_shape[1] = nd;
    return view(t.puzzle_grad.data(), HRM_DTYPE_F32, 2, t.puzzle_shape);
}

hrm_param Trainer::carry_get(hrm_state &s, int64_t index) const {
    require(index >= 0 && index < kCarryCount, HRM_E_INVALID_ARG,
            "carry index " + std::to_string(index) + " is outside [0, 2)");
    TrainState &t = train_state(s);
    const Config &c = m_.config();
    t.carry_shape[0] = s.batch;
    t.carry_shape[1] = c.total_len();
    t.carry_shape[2] = c.hidden_size;
    hrm_param out{};
    out.trainable = 0;
    out.name = index == 0 ? "z_H" : "z_L";
    if (s.precision == HRM_PRECISION_FP32)
        out.tensor = view(index == 0 ? s.f32.zH.data() : s.f32.zL.data(), HRM_DTYPE_F32, 3, t.carry_shape);
    else
        out.tensor = view(index == 0 ? s.bf16.zH.data() : s.bf16.zL.data(), HRM_DTYPE_BF16, 3, t.carry_shape);
    return out;
}

}  // namespace hrm::models::hrm_model
