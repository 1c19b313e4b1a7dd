#include "toy_plugins.hpp"

#include "hrm/hrm_plugin.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace toy {
namespace {

using hrm::plugin::checked_data;
using hrm::plugin::guard;
using hrm::plugin::require;

// ---- Host ---------------------------------------------------------------------------------------

std::atomic<int64_t> g_live{0};

hrm_status *status_create(hrm_code code, const char *message) {
    ++g_live;
    return new hrm_status{code, message ? message : ""};
}
hrm_code status_code(const hrm_status *s) { return s ? s->code : HRM_OK; }
const char *status_message(const hrm_status *s) { return s ? s->message.c_str() : ""; }
void status_free(hrm_status *s) {
    if (s) --g_live;
    delete s;
}

hrm_status *HRM_ABI host_status_create(const hrm_host *, hrm_code code, const char *message) {
    return status_create(code, message);
}
void HRM_ABI host_log(const hrm_host *, hrm_log_level, const char *) {}
void *HRM_ABI host_alloc(const hrm_host *, size_t size) { return std::malloc(size ? size : 1); }
void HRM_ABI host_free(const hrm_host *, void *p) { std::free(p); }
bool HRM_ABI host_parallel_for(const hrm_host *, uint32_t, void(HRM_ABI *)(void *, uint32_t), void *) { return false; }
const void *HRM_ABI host_get_extension(const hrm_host *, const char *) { return nullptr; }

const hrm_host kHost = {sizeof(hrm_host), HRM_API_VERSION, nullptr, host_status_create, host_log,
                        host_alloc, host_free, host_parallel_for, host_get_extension};

const hrm::sched::Services kServices = {status_create, status_code, status_message, status_free, std::free};

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// ---- Encoder ------------------------------------------------------------------------------------

// Digits of a well-formed instance; throws naming the problem otherwise.
std::vector<int32_t> parse(std::string_view text, bool *checkable) {
    std::string_view digits = text;
    *checkable = true;
    if (!digits.empty() && digits.back() == '?') {
        digits.remove_suffix(1);
        *checkable = false;
    }
    require(digits.size() == static_cast<size_t>(kSeqLen), HRM_E_FORMAT,
            "expected 4 digits, got " + std::to_string(digits.size()) + " characters");
    std::vector<int32_t> out;
    for (size_t j = 0; j < digits.size(); ++j) {
        require(digits[j] >= '0' && digits[j] <= '9', HRM_E_FORMAT,
                std::string("character '") + digits[j] + "' at position " + std::to_string(j) + " is not a digit");
        out.push_back(digits[j] - '0');
    }
    return out;
}

hrm_status *HRM_ABI enc_get_spec(const hrm_encoder *, hrm_encoder_spec *out) {
    hrm_encoder_spec s{};
    s.struct_size = sizeof s;
    s.seq_len = kSeqLen;
    s.vocab_size = kVocab;
    s.pad_id = 0;
    s.ignore_label_id = -1;
    s.num_puzzle_identifiers = 1;
    *out = s;
    return nullptr;
}

hrm_status *HRM_ABI enc_encode(const hrm_encoder *, const hrm_blob *instance, hrm_tensor *tokens, hrm_tensor *,
                               int32_t *, int32_t *puzzle_id) {
    return guard(&kHost, [&] {
        bool checkable = true;
        std::vector<int32_t> x = parse(hrm::plugin::view(instance), &checkable);
        int32_t *t = checked_data<int32_t>(tokens, HRM_DTYPE_I32, {kSeqLen}, "tokens");
        std::memcpy(t, x.data(), x.size() * sizeof(int32_t));
        if (puzzle_id) *puzzle_id = 0;
    });
}

hrm_status *HRM_ABI enc_decode(const hrm_encoder *, const hrm_blob *, const hrm_tensor *predictions,
                               hrm_blob *solution) {
    return guard(&kHost, [&] {
        const int32_t *p = checked_data<int32_t>(predictions, HRM_DTYPE_I32, {kSeqLen}, "predictions");
        std::string text;
        for (int64_t j = 0; j < kSeqLen; ++j) {
            require(p[j] >= 0 && p[j] <= 9, HRM_E_FORMAT, "prediction is not a digit");
            text += static_cast<char>('0' + p[j]);
        }
        *solution = hrm::plugin::make_blob(&kHost, text);
    });
}

hrm_status *HRM_ABI enc_verify(const hrm_encoder *, const hrm_blob *instance, const hrm_blob *solution,
                               int32_t *valid, double *score) {
    return guard(&kHost, [&] {
        std::string text(hrm::plugin::view(instance));
        bool checkable = true;
        parse(text, &checkable);
        require(checkable, HRM_E_UNSUPPORTED, "this instance has no verifier");
        *valid = std::string(hrm::plugin::view(solution)) == toy_answer(text);
        if (score) *score = *valid;
    });
}

hrm_status *HRM_ABI enc_get_spec_masked(const hrm_encoder *self, hrm_encoder_spec *out) {
    enc_get_spec(self, out);
    out->caps |= HRM_ENCODER_CAN_MASK;
    return nullptr;
}

// Every digit but the input's: the answer (x + 1) mod 10 never repeats it. For "9999" it plays a
// buggy plugin and allows nothing at all, which the scheduler must catch.
hrm_status *HRM_ABI enc_output_mask(const hrm_encoder *, const hrm_blob *instance, hrm_tensor *mask) {
    return guard(&kHost, [&] {
        bool checkable = true;
        const std::vector<int32_t> x = parse(hrm::plugin::view(instance), &checkable);
        if (hrm::plugin::view(instance) == "9999") {
            uint8_t *m = checked_data<uint8_t>(mask, HRM_DTYPE_U8, {kSeqLen, kVocab}, "mask");
            std::fill(m, m + kSeqLen * kVocab, uint8_t{0});
            return;
        }
        hrm::plugin::OutputMask m(kSeqLen, kVocab);
        for (int64_t j = 0; j < kSeqLen; ++j)
            for (int32_t v = 0; v < kVocab; ++v)
                if (v != x[static_cast<size_t>(j)]) m.allow(j, v);
        m.write(mask);
    });
}

const void *HRM_ABI enc_get_extension(const hrm_encoder *, const char *) { return nullptr; }
void HRM_ABI enc_destroy(const hrm_encoder *self) { delete self; }

// ---- Model --------------------------------------------------------------------------------------

struct Model {
    hrm_model vtable{};   // first: the vtable pointer is the Model pointer
    ModelConfig config;
};

const Model &model_of(const hrm_model *m) { return *reinterpret_cast<const Model *>(m); }

struct Row {
    int32_t x[kSeqLen] = {0, 0, 0, 0};
    int32_t h_updates = 0;      // since the row's reset
    double u = 0;               // q offset from the reset noise
    bool overconfident = false;
};

}  // namespace
}  // namespace toy

struct hrm_state {
    std::vector<toy::Row> rows;
    int32_t l_since_h = 0;          // L updates since the last H update
    int32_t h_since_readout = 0;    // H updates since the segment started (checks the schedule)
    int64_t h_total = 0;
};

namespace toy {
namespace {

std::vector<uint8_t> read_mask(const hrm_tensor *mask, int64_t rows) {
    if (!mask) return std::vector<uint8_t>(static_cast<size_t>(rows), 1);
    const uint8_t *m = checked_data<uint8_t>(mask, HRM_DTYPE_U8, {rows}, "mask");
    return std::vector<uint8_t>(m, m + rows);
}

hrm_status *HRM_ABI model_get_spec(const hrm_model *self, hrm_model_spec *out) {
    const ModelConfig &c = model_of(self).config;
    hrm_model_spec s{};
    s.struct_size = sizeof s;
    s.default_precision = HRM_PRECISION_FP32;
    s.seq_len = c.seq_len;
    s.prefix_len = 0;
    s.vocab_size = kVocab;
    s.hidden_size = 1;
    s.num_puzzle_identifiers = 1;
    s.h_cycles = c.h_cycles;
    s.l_cycles = c.l_cycles;
    s.halt_max_steps = 16;
    s.config = "";
    *out = s;
    return nullptr;
}

hrm_status *HRM_ABI model_state_create(const hrm_model *, int64_t batch, hrm_precision, hrm_state **out) {
    return guard(&kHost, [&] {
        auto *s = new hrm_state;
        s->rows.resize(static_cast<size_t>(batch));
        *out = s;
    });
}

void HRM_ABI model_state_free(const hrm_model *, hrm_state *state) { delete state; }

hrm_status *HRM_ABI model_reset(const hrm_model *, hrm_state *state, const hrm_tensor *mask,
                                const hrm_reset_params *params) {
    return guard(&kHost, [&] {
        const int64_t n = static_cast<int64_t>(state->rows.size());
        require(state->h_since_readout == 0 && state->l_since_h == 0, HRM_E_INVALID_ARG, "reset inside a segment");
        std::vector<uint8_t> m = read_mask(mask, n);
        const float noise = params ? params->noise_std : 0.0f;
        require(noise == 0.0f || params->row_seeds, HRM_E_INVALID_ARG, "noise without row seeds");
        for (int64_t i = 0; i < n; ++i) {
            if (!m[static_cast<size_t>(i)]) continue;
            Row &r = state->rows[static_cast<size_t>(i)];
            r.h_updates = 0;
            r.u = 0;
            r.overconfident = false;
            if (noise > 0.0f) {
                const double unit = toy_unit_noise(params->row_seeds[i]);
                r.u = static_cast<double>(noise) * unit;
                r.overconfident = unit > 0.5;
            }
        }
    });
}

hrm_status *HRM_ABI model_set_inputs(const hrm_model *self, hrm_state *state, const hrm_tensor *mask,
                                     const hrm_tensor *tokens, const hrm_tensor *puzzle_ids) {
    return guard(&kHost, [&] {
        const int64_t n = static_cast<int64_t>(state->rows.size());
        const int64_t S = model_of(self).config.seq_len;
        std::vector<uint8_t> m = read_mask(mask, n);
        const int32_t *t = checked_data<int32_t>(tokens, HRM_DTYPE_I32, {n, S}, "tokens");
        if (puzzle_ids) checked_data<int32_t>(puzzle_ids, HRM_DTYPE_I32, {n}, "puzzle_ids");
        for (int64_t i = 0; i < n; ++i) {
            if (!m[static_cast<size_t>(i)]) continue;
            for (int64_t j = 0; j < S; ++j) {
                require(t[i * S + j] >= 0 && t[i * S + j] < kVocab, HRM_E_INVALID_ARG, "token out of range");
                if (j < kSeqLen) state->rows[static_cast<size_t>(i)].x[j] = t[i * S + j];
            }
        }
    });
}

hrm_status *HRM_ABI model_update(const hrm_model *self, hrm_state *state, hrm_level level) {
    return guard(&kHost, [&] {
        const ModelConfig &c = model_of(self).config;
        if (level == HRM_LEVEL_L) {
            ++state->l_since_h;
            return;
        }
        require(state->l_since_h == c.l_cycles, HRM_E_INTERNAL,
                "schedule violated: " + std::to_string(state->l_since_h) + " L updates before H");
        require(c.fail_after_h_updates < 0 || state->h_total < c.fail_after_h_updates, HRM_E_INTERNAL,
                "toy model failure");
        state->l_since_h = 0;
        ++state->h_since_readout;
        ++state->h_total;
        for (Row &r : state->rows) ++r.h_updates;
    });
}

hrm_status *HRM_ABI model_readout(const hrm_model *self, hrm_state *state, hrm_tensor *logits,
                                  hrm_tensor *predictions, hrm_tensor *q) {
    return guard(&kHost, [&] {
        const ModelConfig &c = model_of(self).config;
        const int64_t n = static_cast<int64_t>(state->rows.size());
        require(logits == nullptr || c.copy_logits, HRM_E_UNSUPPORTED, "the toy model has no logits");
        // Readout comes after a whole segment, or again right after one (predictions at halt).
        require(state->l_since_h == 0 && (state->h_since_readout == c.h_cycles || state->h_since_readout == 0),
                HRM_E_INTERNAL, "readout in the middle of a segment");
        state->h_since_readout = 0;
        int32_t *p = predictions ? checked_data<int32_t>(predictions, HRM_DTYPE_I32, {n, c.seq_len}, "predictions") : nullptr;
        float *qv = q ? checked_data<float>(q, HRM_DTYPE_F32, {n, 2}, "q") : nullptr;
        float *lg = logits ? checked_data<float>(logits, HRM_DTYPE_F32, {n, c.seq_len, kVocab}, "logits") : nullptr;
        for (int64_t i = 0; i < n; ++i) {
            const Row &r = state->rows[static_cast<size_t>(i)];
            const int32_t s = r.h_updates / c.h_cycles;
            const int32_t d = 1 + r.x[0] % 7;
            for (int64_t j = 0; j < c.seq_len; ++j) {
                const int32_t x = j < kSeqLen ? r.x[j] : 0;
                const int32_t answer = r.overconfident ? (x + 5) % 10 : s >= d ? (x + 1) % 10 : (x + 2 + s) % 10;
                if (p) p[i * c.seq_len + j] = c.copy_logits ? x : answer;  // the argmax of the logits
                if (!lg) continue;
                float *row = lg + (i * c.seq_len + j) * kVocab;
                std::fill(row, row + kVocab, 0.0f);
                row[answer] = 1.0f;
                row[x] = 2.0f;
            }
            if (qv) {
                qv[2 * i] = r.overconfident ? 5.0f : static_cast<float>(s - d + 0.5 + r.u);
                qv[2 * i + 1] = 0.0f;
            }
        }
    });
}

int64_t HRM_ABI model_param_count(const hrm_model *) { return 0; }
hrm_status *HRM_ABI model_param_get(const hrm_model *, int64_t, hrm_param *) {
    return status_create(HRM_E_NOT_FOUND, "no parameters");
}
const void *HRM_ABI model_get_extension(const hrm_model *, const char *) { return nullptr; }
void HRM_ABI model_destroy(const hrm_model *self) { delete &const_cast<Model &>(model_of(self)); }

// ---- Policy plugin ------------------------------------------------------------------------------

const hrm_factory *policy_factory() {
    static const hrm_factory *factory = [] {
        hrm_loader_info loader{sizeof(hrm_loader_info), 1, 1, HRM_API_VERSION, &kHost};
        hrm_plugin_info info{};
        info.struct_size = sizeof info;
        hrm_status *st = hrm_plugin_negotiate(&loader, &info);
        if (st || !info.init(&kHost, "in-process")) std::abort();
        return info.get_factory(HRM_FACTORY_POLICY);
    }();
    return factory;
}

}  // namespace

const hrm::sched::Services &services() { return kServices; }
const hrm_host *host() { return &kHost; }
int64_t live_statuses() { return g_live.load(); }

ModelPtr make_model(const ModelConfig &config) {
    auto *m = new Model;
    m->config = config;
    hrm_model &v = m->vtable;
    v.struct_size = sizeof v;
    v.api_version = HRM_API_VERSION;
    v.get_spec = model_get_spec;
    v.state_create = model_state_create;
    v.state_free = model_state_free;
    v.reset = model_reset;
    v.set_inputs = model_set_inputs;
    v.update = model_update;
    v.readout = model_readout;
    v.param_count = model_param_count;
    v.param_get = model_param_get;
    v.get_extension = model_get_extension;
    v.destroy = model_destroy;
    return ModelPtr(&m->vtable);
}

EncoderPtr make_encoder(bool masked) {
    auto *e = new hrm_encoder{};
    e->struct_size = sizeof *e;
    e->api_version = HRM_API_VERSION;
    e->get_spec = enc_get_spec;
    e->encode = enc_encode;
    e->decode = enc_decode;
    e->verify = enc_verify;
    e->get_extension = enc_get_extension;
    e->destroy = enc_destroy;
    if (masked) {
        e->get_spec = enc_get_spec_masked;
        e->output_mask = enc_output_mask;
    }
    return EncoderPtr(e);
}

PolicyPtr make_policy(const char *id, const char *config, hrm_status **error) {
    hrm_instance_params params;
    hrm_instance_params_init(&params, sizeof params);
    params.config = config;
    const void *out = nullptr;
    const hrm_factory *f = policy_factory();
    hrm_status *st = f->create(f, id, &kHost, &params, &out);
    if (st) {
        if (error) *error = st;
        else status_free(st);
        return nullptr;
    }
    return PolicyPtr(static_cast<const hrm_policy *>(out));
}

int32_t toy_difficulty(const std::string &instance) { return 1 + (instance.at(0) - '0') % 7; }

std::string toy_answer(const std::string &instance) {
    std::string out;
    for (int j = 0; j < kSeqLen; ++j) out += static_cast<char>('0' + (instance.at(j) - '0' + 1) % 10);
    return out;
}

double toy_unit_noise(uint64_t seed) {
    return static_cast<double>(splitmix64(seed) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

}  // namespace toy
