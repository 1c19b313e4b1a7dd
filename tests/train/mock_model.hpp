// A tiny trainable model behind the real ABI (hrm_model + the draft training extension), so the
// engine is tested without the HRM plugin. Per position t of a row:
//   e[t]  = embed[token[t]] + puzzle[puzzle_id]            (set_inputs)
//   L:      z[t] = 0.5 * z[t] + e[t]        H: identity     (update; carry z = "z_H")
//   logits[t] = lm · z[t];   q = qw · mean_t z[t] + qb      (readout)
// segment_forward runs the L/H schedule and keeps the last L update differentiable (the reference's
// one-step gradient: the incoming carry is detached), so the analytic gradients are
//   dlm += dlogits[t] ⊗ z[t];  dqw += dq ⊗ mean z;  dqb += dq;
//   dz[t] = lmᵀ dlogits[t] + qwᵀ dq / S;  dembed[token[t]] += dz[t];  dpuzzle[row] += Σ_t dz[t].
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <hrm/ext/draft/train.h>

#include "hrm/train/model.hpp"
#include "hrm/train/rng.hpp"

#ifndef MOCK_AS_PLUGIN
// hrm_status is opaque to the ABI; without libhrm the test defines it.
struct hrm_status {
    hrm_code code;
    std::string message;
};
#endif

namespace mock {

#ifndef MOCK_AS_PLUGIN
inline hrm_code status_code(const hrm_status *s) { return s ? s->code : HRM_OK; }
inline const char *status_message(const hrm_status *s) { return s ? s->message.c_str() : ""; }
inline void status_free(hrm_status *s) { delete s; }
inline hrm::train::StatusOps status_ops() { return {status_code, status_message, status_free}; }
inline hrm_status *fail(const std::string &m) { return new hrm_status{HRM_E_INVALID_ARG, m}; }
#else
// As a plugin (mock_plugin.cpp), statuses come from the host.
inline const hrm_host *g_host = nullptr;
inline hrm_status *fail(const std::string &m) { return g_host->status_create(g_host, HRM_E_INVALID_ARG, m.c_str()); }
#endif

struct Config {
    int64_t S = 4, V = 5, D = 6, N = 3;
    int32_t M = 4, h_cycles = 1, l_cycles = 1;
    uint64_t seed = 1;
};

struct Tensor {   // a named F32 tensor with its shape storage
    std::string name;
    bool trainable;
    std::vector<int64_t> shape;
    std::vector<float> v;
};

struct State {
    int64_t rows;
    std::vector<float> z, e, grads_flat, pgrad;
    std::vector<int32_t> tok, pid;
    std::vector<std::vector<float>> grads;
    int64_t shape3[3], shape2[2];
};

class Model {
public:
    explicit Model(Config c) : c_(c) {
        hrm::train::Rng r(c.seed);
        auto add = [&](const char *n, bool tr, std::vector<int64_t> shape, double scale) {
            int64_t k = 1;
            for (auto d : shape) k *= d;
            Tensor t{n, tr, shape, std::vector<float>(size_t(k))};
            for (auto &x : t.v) x = float((r.uniform() * 2 - 1) * scale);
            tensors_.push_back(std::move(t));
        };
        add("inner.H_init", false, {c.D}, 1.0);
        add("inner.embed_tokens.embedding_weight", true, {c.V, c.D}, 0.5);
        add("inner.lm_head.weight", true, {c.V, c.D}, 0.5);
        add("inner.q_head.weight", true, {2, c.D}, 0.1);
        add("inner.q_head.bias", true, {2}, 0.0);
        add("inner.puzzle_emb.weights", false, {c.N, c.D}, 0.0);
        desc_ = hrm_descriptor{sizeof(hrm_descriptor), HRM_KIND_MODEL, "org.hrm-sdk.test.mock", "mock", "1.0", "", "", "", nullptr};
        vt_ = hrm_model{};
        vt_.struct_size = sizeof vt_;
        vt_.api_version = HRM_API_VERSION;
        vt_.desc = &desc_;
        vt_.plugin_data = this;
        vt_.get_spec = get_spec;
        vt_.state_create = state_create;
        vt_.state_free = state_free;
        vt_.reset = reset;
        vt_.set_inputs = set_inputs;
        vt_.update = update;
        vt_.readout = readout;
        vt_.param_count = param_count;
        vt_.param_get = param_get;
        vt_.get_extension = get_extension;
        vt_.destroy = [](const hrm_model *m) { delete self(m); };
        config_text_ = "[model]\narch = \"mock\"\nseq_len = " + std::to_string(c.S) + "\nvocab_size = " + std::to_string(c.V) +
                       "\nhidden_size = " + std::to_string(c.D) + "\nnum_puzzle_identifiers = " + std::to_string(c.N) +
                       "\nhalt_max_steps = " + std::to_string(c.M) + "\n";
        ext_ = hrm_model_train_ext{};
        ext_.struct_size = sizeof ext_;
        ext_.api_version = HRM_API_VERSION;
        ext_.segment_forward = segment_forward;
        ext_.segment_backward = segment_backward;
        ext_.grad_zero = grad_zero;
        ext_.grad_get = grad_get;
        ext_.puzzle_grad_get = puzzle_grad_get;
        ext_.params_changed = params_changed;
        ext_.carry_count = carry_count;
        ext_.carry_get = carry_get;
    }

    const hrm_model *vtable() const { return &vt_; }
    Tensor &tensor(const std::string &name) {
        for (auto &t : tensors_)
            if (t.name == name) return t;
        throw std::runtime_error("no tensor " + name);
    }
    std::vector<Tensor> &tensors() { return tensors_; }
    const Config &config() const { return c_; }
    int params_changed_calls = 0;

    // q of one row for a given carry z [S*D] (test oracle).
    void q_of(const float *z, float *q) const {
        const auto &qw = tensors_[3].v, &qb = tensors_[4].v;
        for (int k = 0; k < 2; ++k) {
            double acc = 0;
            for (int64_t d = 0; d < c_.D; ++d) {
                double m = 0;
                for (int64_t t = 0; t < c_.S; ++t) m += z[t * c_.D + d];
                acc += double(qw[size_t(k * c_.D + d)]) * (m / double(c_.S));
            }
            q[k] = float(acc) + qb[size_t(k)];
        }
    }

private:
    static Model *self(const hrm_model *m) { return static_cast<Model *>(m->plugin_data); }
    static State *st(hrm_state *s) { return reinterpret_cast<State *>(s); }

    static hrm_status *get_spec(const hrm_model *m, hrm_model_spec *out) {
        const Config &c = self(m)->c_;
        out->default_precision = HRM_PRECISION_FP32;
        out->seq_len = c.S;
        out->prefix_len = 0;
        out->vocab_size = c.V;
        out->hidden_size = c.D;
        out->num_puzzle_identifiers = c.N;
        out->h_cycles = c.h_cycles;
        out->l_cycles = c.l_cycles;
        out->halt_max_steps = c.M;
        out->n_params = 0;
        out->flops_per_segment = 0;
        out->config = self(m)->config_text_.c_str();
        return nullptr;
    }
    static hrm_status *state_create(const hrm_model *m, int64_t batch, hrm_precision, hrm_state **out) {
        const Config &c = self(m)->c_;
        auto *s = new State{};
        s->rows = batch;
        s->z.assign(size_t(batch * c.S * c.D), 0.0f);
        s->e = s->z;
        s->tok.assign(size_t(batch * c.S), 0);
        s->pid.assign(size_t(batch), 0);
        s->pgrad.assign(size_t(batch * c.D), 0.0f);
        for (auto &t : self(m)->tensors_)
            if (t.trainable) s->grads.emplace_back(t.v.size(), 0.0f);
        *out = reinterpret_cast<hrm_state *>(s);
        return nullptr;
    }
    static void state_free(const hrm_model *, hrm_state *s) { delete st(s); }
    static hrm_status *reset(const hrm_model *m, hrm_state *s, const hrm_tensor *mask, const hrm_reset_params *) {
        const Config &c = self(m)->c_;
        State *x = st(s);
        const auto &h = self(m)->tensors_[0].v;
        for (int64_t r = 0; r < x->rows; ++r) {
            if (mask && !static_cast<const uint8_t *>(mask->data)[r]) continue;
            for (int64_t t = 0; t < c.S; ++t) std::memcpy(&x->z[size_t((r * c.S + t) * c.D)], h.data(), size_t(c.D) * 4);
        }
        return nullptr;
    }
    static hrm_status *set_inputs(const hrm_model *m, hrm_state *s, const hrm_tensor *mask, const hrm_tensor *tokens,
                                  const hrm_tensor *pids) {
        Model *me = self(m);
        const Config &c = me->c_;
        State *x = st(s);
        if (mask) return fail("mock: masked set_inputs not used by the engine");
        const int32_t *tk = static_cast<const int32_t *>(tokens->data);
        const int32_t *pi = static_cast<const int32_t *>(pids->data);
        const auto &emb = me->tensors_[1].v, &pz = me->tensors_[5].v;
        for (int64_t r = 0; r < x->rows; ++r) {
            if (pi[r] < 0 || pi[r] >= c.N) return fail("mock: puzzle id out of range");
            x->pid[size_t(r)] = pi[r];
            for (int64_t t = 0; t < c.S; ++t) {
                const int32_t v = tk[r * c.S + t];
                if (v < 0 || v >= c.V) return fail("mock: token out of range");
                x->tok[size_t(r * c.S + t)] = v;
                for (int64_t d = 0; d < c.D; ++d)
                    x->e[size_t((r * c.S + t) * c.D + d)] = emb[size_t(v * c.D + d)] + pz[size_t(pi[r] * c.D + d)];
            }
        }
        return nullptr;
    }
    static hrm_status *update(const hrm_model *, hrm_state *s, hrm_level level) {
        State *x = st(s);
        if (level == HRM_LEVEL_L)
            for (size_t i = 0; i < x->z.size(); ++i) x->z[i] = 0.5f * x->z[i] + x->e[i];
        return nullptr;
    }
    static hrm_status *readout(const hrm_model *m, hrm_state *s, hrm_tensor *logits, hrm_tensor *preds, hrm_tensor *q) {
        Model *me = self(m);
        const Config &c = me->c_;
        State *x = st(s);
        const auto &lm = me->tensors_[2].v;
        for (int64_t r = 0; r < x->rows; ++r) {
            const float *z = &x->z[size_t(r * c.S * c.D)];
            if (q) me->q_of(z, static_cast<float *>(q->data) + 2 * r);
            for (int64_t t = 0; t < c.S; ++t) {
                int32_t best = 0;
                float bestv = 0;
                for (int64_t v = 0; v < c.V; ++v) {
                    float acc = 0;
                    for (int64_t d = 0; d < c.D; ++d) acc += lm[size_t(v * c.D + d)] * z[t * c.D + d];
                    if (logits) static_cast<float *>(logits->data)[(r * c.S + t) * c.V + v] = acc;
                    if (v == 0 || acc > bestv) best = int32_t(v), bestv = acc;
                }
                if (preds) static_cast<int32_t *>(preds->data)[r * c.S + t] = best;
            }
        }
        return nullptr;
    }
    static hrm_status *segment_forward(const hrm_model *m, hrm_state *s, hrm_tensor *logits, hrm_tensor *q) {
        const Config &c = self(m)->c_;
        if (!logits || !q) return fail("mock: segment_forward needs logits and q");
        for (int h = 0; h < c.h_cycles; ++h) {
            for (int l = 0; l < c.l_cycles; ++l) update(m, s, HRM_LEVEL_L);
            update(m, s, HRM_LEVEL_H);
        }
        return readout(m, s, logits, nullptr, q);
    }
    static hrm_status *segment_backward(const hrm_model *m, hrm_state *s, const hrm_tensor *dlogits, const hrm_tensor *dq) {
        Model *me = self(m);
        const Config &c = me->c_;
        State *x = st(s);
        const auto &lm = me->tensors_[2].v, &qw = me->tensors_[3].v;
        auto &g_emb = x->grads[0], &g_lm = x->grads[1], &g_qw = x->grads[2], &g_qb = x->grads[3];
        const float *dl = static_cast<const float *>(dlogits->data);
        const float *dqp = static_cast<const float *>(dq->data);
        for (int64_t r = 0; r < x->rows; ++r) {
            const float *z = &x->z[size_t(r * c.S * c.D)];
            const float *dqr = dqp + 2 * r;
            for (int k = 0; k < 2; ++k) {
                g_qb[size_t(k)] += dqr[k];
                for (int64_t d = 0; d < c.D; ++d) {
                    float mean = 0;
                    for (int64_t t = 0; t < c.S; ++t) mean += z[t * c.D + d];
                    g_qw[size_t(k * c.D + d)] += dqr[k] * (mean / float(c.S));
                }
            }
            for (int64_t t = 0; t < c.S; ++t) {
                const float *dlt = dl + (r * c.S + t) * c.V;
                const int32_t tok = x->tok[size_t(r * c.S + t)];
                for (int64_t d = 0; d < c.D; ++d) {
                    float dz = (dqr[0] * qw[size_t(d)] + dqr[1] * qw[size_t(c.D + d)]) / float(c.S);
                    for (int64_t v = 0; v < c.V; ++v) {
                        g_lm[size_t(v * c.D + d)] += dlt[v] * z[t * c.D + d];
                        dz += lm[size_t(v * c.D + d)] * dlt[v];
                    }
                    g_emb[size_t(tok * c.D + d)] += dz;   // de/dembed = 1; the last L update has dz/de = 1
                    x->pgrad[size_t(r * c.D + d)] += dz;
                }
            }
        }
        return nullptr;
    }
    static hrm_status *grad_zero(const hrm_model *, hrm_state *s) {
        for (auto &g : st(s)->grads) std::fill(g.begin(), g.end(), 0.0f);
        std::fill(st(s)->pgrad.begin(), st(s)->pgrad.end(), 0.0f);
        return nullptr;
    }
    static hrm_tensor view(float *data, int32_t ndim, const int64_t *shape) {
        hrm_tensor t{};
        t.data = data;
        t.dtype = HRM_DTYPE_F32;
        t.ndim = ndim;
        t.shape = shape;
        t.device = HRM_DEVICE_CPU;
        return t;
    }
    static hrm_status *grad_get(const hrm_model *m, hrm_state *s, int64_t index, hrm_tensor *out) {
        Model *me = self(m);
        int64_t k = 0;
        for (int64_t i = 0; i < int64_t(me->tensors_.size()); ++i) {
            if (!me->tensors_[size_t(i)].trainable) continue;
            if (i == index) {
                *out = view(st(s)->grads[size_t(k)].data(), int32_t(me->tensors_[size_t(i)].shape.size()),
                            me->tensors_[size_t(i)].shape.data());
                return nullptr;
            }
            ++k;
        }
        return fail("mock: grad_get of a non-trainable index");
    }
    static hrm_status *puzzle_grad_get(const hrm_model *m, hrm_state *s, hrm_tensor *out) {
        State *x = st(s);
        x->shape2[0] = x->rows;
        x->shape2[1] = self(m)->c_.D;
        *out = view(x->pgrad.data(), 2, x->shape2);
        return nullptr;
    }
    static hrm_status *params_changed(const hrm_model *m) {
        self(m)->params_changed_calls++;
        return nullptr;
    }
    static int64_t carry_count(const hrm_model *) { return 1; }
    static hrm_status *carry_get(const hrm_model *m, hrm_state *s, int64_t index, hrm_param *out) {
        if (index != 0) return fail("mock: one carry tensor");
        State *x = st(s);
        x->shape3[0] = x->rows;
        x->shape3[1] = self(m)->c_.S;
        x->shape3[2] = self(m)->c_.D;
        out->trainable = 0;
        out->name = "z_H";
        out->tensor = view(x->z.data(), 3, x->shape3);
        return nullptr;
    }
    static int64_t param_count(const hrm_model *m) { return int64_t(self(m)->tensors_.size()); }
    static hrm_status *param_get(const hrm_model *m, int64_t index, hrm_param *out) {
        Tensor &t = self(m)->tensors_.at(size_t(index));
        out->trainable = t.trainable;
        out->name = t.name.c_str();
        out->tensor = view(t.v.data(), int32_t(t.shape.size()), t.shape.data());
        return nullptr;
    }
    static const void *get_extension(const hrm_model *m, const char *id) {
        return std::string(id) == HRM_EXT_TRAIN ? &self(m)->ext_ : nullptr;
    }

    Config c_;
    std::string config_text_;
    std::vector<Tensor> tensors_;
    hrm_descriptor desc_;
    hrm_model vt_;
    hrm_model_train_ext ext_;
};

}  // namespace mock
