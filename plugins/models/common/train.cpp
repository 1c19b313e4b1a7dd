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

#include "ops.hpp"

namespace hrm::models::core {

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

using ops::linear;
using ops::save;

}  // namespace

Trainer::Trainer(const Model &model) : m_(model) {
    const auto &params = model.weights().params();
    auto index = [&](const std::string &name) -> int64_t {
        for (size_t i = 0; i < params.size(); ++i)
            if (params[i].name == name) return int64_t(i);
        return -1;
    };
    embed_tokens_ = index("inner.embed_tokens.embedding_weight");
    embed_pos_ = index("inner.embed_pos.embedding_weight");   // -1 without learned positions
    lm_head_ = index("inner.lm_head.weight");
    q_head_w_ = index("inner.q_head.weight");
    q_head_b_ = index("inner.q_head.bias");
    const Config &c = model.config();
    for (const NetSpec &net : c.nets()) {
        std::vector<BlockGrads> blocks;
        for (int64_t i = 0; i < net.layers; ++i) {
            const std::string pre = "inner." + net.name + ".layers." + std::to_string(i) + ".";
            blocks.push_back(BlockGrads{index(pre + "self_attn.qkv_proj.weight"), index(pre + "self_attn.o_proj.weight"),
                                        index(pre + "mlp.gate_up_proj.weight"), index(pre + "mlp.down_proj.weight"),
                                        index(pre + "mlp_t.gate_up_proj.weight"), index(pre + "mlp_t.down_proj.weight")});
        }
        grads_of_.push_back(std::move(blocks));
    }
    for (int64_t h = 0; h < c.h_cycles; ++h) {
        for (int64_t l = 0; l < c.l_cycles; ++l) schedule_.push_back(HRM_LEVEL_L);
        schedule_.push_back(HRM_LEVEL_H);
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
    const int64_t It = c.mlp_t ? c.mlp_t_size() : 0, M = B * L;
    const int64_t K = std::min<int64_t>(c.grad_updates(), int64_t(schedule_.size()));
    t.saves.resize(sz(K));
    for (int64_t j = 0; j < K; ++j) {
        UpdateSave &u = t.saves[sz(j)];
        u.level = schedule_[schedule_.size() - sz(K) + sz(j)];
        u.blocks.resize(sz(c.nets()[sz(c.net_of(u.level))].layers));
        for (BlockSave &sv : u.blocks) {
            sv.in.assign(sz(M * D), 0.0f);
            if (c.mlp_t) {
                sv.tgu.assign(sz(B * D * 2 * It), 0.0f);
                sv.tact.assign(sz(B * D * It), 0.0f);
            } else {
                sv.qkv.assign(sz(M * 3 * D), 0.0f);
                sv.attn.assign(sz(M * D), 0.0f);
                sv.lse.assign(sz(B * c.num_heads * L), 0.0f);
            }
            sv.pre1.assign(sz(M * D), 0.0f);
            sv.n1.assign(sz(M * D), 0.0f);
            sv.gu.assign(sz(M * 2 * I), 0.0f);
            sv.act.assign(sz(M * I), 0.0f);
            sv.pre2.assign(sz(M * D), 0.0f);
        }
    }
    t.zH_out.assign(sz(M * D), 0.0f);
    t.tokens.assign(sz(B * c.seq_len), 0);
    t.puzzle_ids.assign(sz(B), 0);
    for (auto *v : {&t.dzh, &t.dx, &t.dgu}) v->assign(sz(v == &t.dgu ? M * 2 * I : M * D), 0.0f);
    if (c.has_z_l()) t.dzl.assign(sz(M * D), 0.0f);
    t.dact.assign(sz(M * I), 0.0f);
    if (c.mlp_t) {
        t.dt.assign(sz(M * D), 0.0f);
        t.dtgu.assign(sz(B * D * 2 * It), 0.0f);
        t.dtact.assign(sz(B * D * It), 0.0f);
    } else {
        t.dattn.assign(sz(M * D), 0.0f);
        t.dqkv.assign(sz(M * 3 * D), 0.0f);
    }
}

// ---- forward ------------------------------------------------------------------------------------

// Model::block (spec 1.4.6) with the same kernel calls in the state's precision, keeping its
// activations (in fp32) for the backward:
//   h = rms_norm(h + o_proj(attn(rope(qkv_proj(h)))))    or, with mlp_t (Model::mlp_t_mixer),
//   hᵀ = rms_norm_L(hᵀ + down_t(swiglu(gate_up_t(hᵀ))));  then
//   h = rms_norm(h + down(swiglu(gate_up(h))))
// The state's scratch buffers hold the intermediate results of all rows.
template <class T>
void Trainer::block_forward(const BlockWeights &w, BlockSave &sv, Buffers<T> &b, T *h, int64_t rows) const {
    const Config &c = m_.config();
    const int64_t L = c.total_len(), D = c.hidden_size, I = c.intermediate_size();
    const int64_t H = c.num_heads, Dh = c.head_dim(), M = rows * L;
    const float eps = float(c.rms_norm_eps);

    if (c.mlp_t) {
        const int64_t It = c.mlp_t_size(), Mt = rows * D;
        ops::transpose(h, b.tx.data(), rows, L, D);
        save(b.tx.data(), sv.in);   // transposed
        linear(b.tx.data(), w.t_gate_up, b.tgu.data(), Mt);
        kernels::swiglu(b.tgu.data(), b.tact.data(), Mt, It);
        save(b.tgu.data(), sv.tgu);
        save(b.tact.data(), sv.tact);
        linear(b.tact.data(), w.t_down, b.tproj.data(), Mt);
        kernels::add(b.tx.data(), b.tproj.data(), b.tx.data(), Mt * L);
        save(b.tx.data(), sv.pre1);   // transposed
        kernels::rms_norm(b.tx.data(), b.tx.data(), Mt, L, eps);
        ops::transpose(b.tx.data(), h, rows, D, L);
    } else {
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
    }
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

// One differentiated update with the arithmetic of Model::module_rows (the injection z_H + x is
// formed first, checklist 8.2), on all rows of the state.
template <class T>
void Trainer::grad_update(hrm_state &s, Buffers<T> &b, UpdateSave &u) const {
    const Config &c = m_.config();
    const int64_t n = s.batch * c.total_len() * c.hidden_size;
    const auto &blocks = m_.weights().net(size_t(c.net_of(u.level)));
    T *target = b.zH.data();
    if (u.level == HRM_LEVEL_L) {
        kernels::add(b.zH.data(), b.x.data(), b.inj.data(), n);
        kernels::add(b.zL.data(), b.inj.data(), b.zL.data(), n);
        target = b.zL.data();
    } else {
        kernels::add(b.zH.data(), c.has_z_l() ? b.zL.data() : b.x.data(), b.zH.data(), n);
    }
    for (size_t k = 0; k < blocks.size(); ++k) block_forward(blocks[k], u.blocks[k], b, target, s.batch);
}

void Trainer::segment_forward(hrm_state &s, float *logits, float *q, const hrm_host *host) const {
    for (int64_t r = 0; r < s.batch; ++r)
        require(s.was_reset[sz(r)] && s.has_inputs[sz(r)], HRM_E_INVALID_ARG,
                "row " + std::to_string(r) + " has no " + (s.was_reset[sz(r)] ? "inputs (call set_inputs)" : "carry (call reset)"));
    TrainState &t = train_state(s);
    ensure_saves(s, t);
    t.has_forward = false;

    // No-grad part of the segment on the inference path: its activations are not needed (the
    // carry entering the differentiated updates is detached). HRM: N·T−1 L and N−1 H updates
    // (spec 1.5); TRM: T−1 full recursions.
    const size_t K = t.saves.size(), first = schedule_.size() - K;
    for (size_t i = 0; i < first; ++i) m_.update(s, schedule_[i], host);
    for (size_t j = 0; j < K; ++j) {
        if (s.precision == HRM_PRECISION_FP32) grad_update(s, s.f32, t.saves[j]);
        else grad_update(s, s.bf16, t.saves[j]);
    }
    if (s.precision == HRM_PRECISION_FP32) save(s.f32.zH.data(), t.zH_out);
    else save(s.bf16.zH.data(), t.zH_out);
    t.tokens = s.tokens;
    t.puzzle_ids = s.puzzle_ids;
    t.has_forward = true;
    m_.readout(s, logits, nullptr, q);
}

// ---- backward -----------------------------------------------------------------------------------

// Back through one block: on entry dh holds d(loss)/d(block output), on return d(loss)/d(block
// input); the weight gradients accumulate. Each step undoes one line of block_forward.
void Trainer::block_backward(const BlockWeights &w, const BlockGrads &gi, const BlockSave &sv, TrainState &t, float *dh,
                             int64_t rows) const {
    const Config &c = m_.config();
    const int64_t L = c.total_len(), D = c.hidden_size, I = c.intermediate_size();
    const int64_t H = c.num_heads, Dh = c.head_dim(), M = rows * L;
    const float eps = float(c.rms_norm_eps);

    // h = rms_norm(pre2), pre2 = n1 + down(swiglu(gate_up(n1)))
    kernels::rms_norm_backward(sv.pre2.data(), dh, dh, M, D, eps);
    kernels::linear_backward_weight(dh, sv.act.data(), t.grads[sz(gi.down)].data(), M, D, I);
    kernels::linear_backward_input(dh, w.down.w, t.dact.data(), M, D, I);
    kernels::swiglu_backward(sv.gu.data(), t.dact.data(), t.dgu.data(), M, I);
    kernels::linear_backward_weight(t.dgu.data(), sv.n1.data(), t.grads[sz(gi.gate_up)].data(), M, 2 * I, D);
    kernels::linear_backward_input(t.dgu.data(), w.gate_up.w, dh, M, 2 * I, D, /*accumulate=*/true);   // + residual

    if (c.mlp_t) {
        // n1ᵀ = rms_norm_L(pre1ᵀ), pre1ᵀ = inᵀ + down_t(swiglu(gate_up_t(inᵀ))), per channel row
        const int64_t It = c.mlp_t_size(), Mt = rows * D;
        float *dt = t.dt.data();
        ops::transpose(dh, dt, rows, L, D);
        kernels::rms_norm_backward(sv.pre1.data(), dt, dt, Mt, L, eps);
        kernels::linear_backward_weight(dt, sv.tact.data(), t.grads[sz(gi.t_down)].data(), Mt, L, It);
        kernels::linear_backward_input(dt, w.t_down.w, t.dtact.data(), Mt, L, It);
        kernels::swiglu_backward(sv.tgu.data(), t.dtact.data(), t.dtgu.data(), Mt, It);
        kernels::linear_backward_weight(t.dtgu.data(), sv.in.data(), t.grads[sz(gi.t_gate_up)].data(), Mt, 2 * It, L);
        kernels::linear_backward_input(t.dtgu.data(), w.t_gate_up.w, dt, Mt, 2 * It, L, /*accumulate=*/true);   // + residual
        ops::transpose(dt, dh, rows, D, L);
        return;
    }
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
    const int64_t S = c.seq_len, V = c.vocab_size, n = B * L * D;
    float *dzh = t.dzh.data(), *dzl = t.dzl.data(), *dx = t.dx.data();
    const float *zh = t.zH_out.data();
    for (auto *v : {&t.dzh, &t.dzl, &t.dx}) std::fill(v->begin(), v->end(), 0.0f);

    // Readout (spec 1.5): logits[r] = z_H[r, P:] · lm_headᵀ, then q[r] = q_head(z_H[r, 0]) + bias.
    float *g_lm = t.grads[sz(lm_head_)].data();
    for (int64_t r = 0; r < B; ++r) {
        const float *dl = dlogits + r * S * V;
        kernels::linear_backward_weight(dl, zh + (r * L + P) * D, g_lm, S, V, D);
        kernels::linear_backward_input(dl, W.lm_head().w, dzh + (r * L + P) * D, S, V, D);
    }
    // Without a continue head q_continue is the constant 0 (readout): only q_halt has a gradient.
    const int heads = c.no_act_continue ? 1 : 2;
    const float *qw = W.q_head().w;
    float *g_qw = t.grads[sz(q_head_w_)].data(), *g_qb = t.grads[sz(q_head_b_)].data();
    for (int64_t r = 0; r < B; ++r) {
        const float *z0 = zh + r * L * D;
        float *dz0 = dzh + r * L * D;
        for (int k = 0; k < heads; ++k) {
            const float g = dq[2 * r + k];
            g_qb[k] += g;
            for (int64_t d = 0; d < D; ++d) {
                g_qw[k * D + d] += g * z0[d];
                dz0[d] += g * qw[k * D + d];
            }
        }
    }

    // The differentiated updates in reverse. Each is z = net(z_old + inj): the blocks' backward
    // turns d(z) into d(z_old + inj), which is d(z_old) and is added to every injected tensor:
    //   L: inj = z_H + x;  H: inj = z_L (HRM, TRM) or x (transformer).
    // What reaches z_H / z_L of the first differentiated update is dropped (detached carry); what
    // reaches x goes to the input embedding. For HRM this is the one-step gradient of spec 1.5.
    for (size_t j = t.saves.size(); j-- > 0;) {
        const UpdateSave &u = t.saves[j];
        const int net = c.net_of(u.level);
        float *dz = u.level == HRM_LEVEL_L ? dzl : dzh;
        for (size_t k = u.blocks.size(); k-- > 0;)
            block_backward(W.net(size_t(net))[k], grads_of_[size_t(net)][k], u.blocks[k], t, dz, B);
        if (u.level == HRM_LEVEL_L) {
            kernels::add(dzh, dz, dzh, n);
            kernels::add(dx, dz, dx, n);
        } else {
            kernels::add(c.has_z_l() ? dzl : dx, dz, c.has_z_l() ? dzl : dx, n);
        }
    }

    // Input embedding (spec 1.3): x = sqrt(D)·e, or sqrt(D)·0.707106781·(e + embed_pos) with learned
    // positions; e = [puzzle_emb row zero-padded to P·D, token embeddings].
    kernels::scale(dx, float(std::sqrt(double(D))), dx, n);
    if (c.learned_positions()) {
        kernels::scale(dx, kPosScale, dx, n);
        float *g_pos = t.grads[sz(embed_pos_)].data();
        for (int64_t r = 0; r < B; ++r) kernels::add(g_pos, dx + r * L * D, g_pos, L * D);
    }
    float *g_tok = t.grads[sz(embed_tokens_)].data();
    for (int64_t r = 0; r < B; ++r)
        kernels::embedding_backward(dx + (r * L + P) * D, t.tokens.data() + r * S, S, D, g_tok);
    // The puzzle rows' gradient is per state row (the reference's local_weights.grad, spec 3.5);
    // the engine sums equal ids for its sparse SignSGD.
    const int64_t nd = c.puzzle_emb_ndim;
    for (int64_t r = 0; r < B && nd > 0; ++r) kernels::add(t.puzzle_grad.data() + r * nd, dx + r * L * D, t.puzzle_grad.data() + r * nd, nd);

    // Release the activations (see TrainState); the next segment_forward allocates them again.
    t.has_forward = false;
    std::vector<UpdateSave>().swap(t.saves);
    for (auto *v : {&t.zH_out, &t.dzh, &t.dzl, &t.dx, &t.dattn, &t.dqkv, &t.dgu, &t.dact, &t.dt, &t.dtgu, &t.dtact})
        std::vector<float>().swap(*v);
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
    require(index >= 0 && index < carry_count(), HRM_E_INVALID_ARG,
            "carry index " + std::to_string(index) + " is outside [0, " + std::to_string(carry_count()) + ")");
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

}  // namespace hrm::models::core
