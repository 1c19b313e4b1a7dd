// The ABI side of every model plugin of the family (hrm, trm, transformer): the hrm_model vtable,
// the training extension and instance creation. Argument checks happen here, the numerics live in
// model.cpp and train.cpp; each plugin adds only its class descriptor and entry point.
#include "glue.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "hrm/common/checkpoint.hpp"
#include "hrm/common/safetensors.hpp"
#include "hrm/ext/draft/train.h"
#include "hrm/hrm_model.h"
#include "hrm/hrm_plugin.hpp"
#include "hrm/kernels/cpu.hpp"

#include "config.hpp"
#include "model.hpp"
#include "state.hpp"
#include "train.hpp"
#include "weights.hpp"

namespace {

using hrm::plugin::checked_data;
using hrm::plugin::Error;
using hrm::plugin::guard;
using hrm::plugin::require;
namespace hm = hrm::models::core;

// One model instance: the vtable handed to the host plus the model it dispatches to.
struct Instance {
    hrm_model vtable{};
    const hrm_host *host = nullptr;
    std::unique_ptr<hm::Model> model;
    std::unique_ptr<hm::Trainer> trainer;   // the training extension (train.hpp)
};

Instance &inst(const hrm_model *self) {
    if (!self || !self->plugin_data) throw Error(HRM_E_INVALID_ARG, "model is NULL");
    return *static_cast<Instance *>(self->plugin_data);
}
// For the guard: the host of an instance, or null when self itself is bad.
const hrm_host *host_of(const hrm_model *self) {
    return self && self->plugin_data ? static_cast<Instance *>(self->plugin_data)->host : nullptr;
}

hrm_state &state_of(hrm_state *s) {
    require(s != nullptr, HRM_E_INVALID_ARG, "state is NULL");
    return *s;
}

// The training extension computes in fp32 or bf16: int8 states are inference only.
hrm_state &train_state_of(hrm_state *s) {
    hrm_state &st = state_of(s);
    require(st.precision != HRM_PRECISION_INT8, HRM_E_UNSUPPORTED,
            "HRM_PRECISION_INT8 states are inference only; train in HRM_PRECISION_FP32 or HRM_PRECISION_BF16");
    return st;
}

const uint8_t *mask_of(const hrm_tensor *mask, int64_t batch) {
    return mask ? checked_data<const uint8_t>(mask, HRM_DTYPE_U8, {batch}, "mask") : nullptr;
}

// ---- hrm_model entries ----------------------------------------------------------------------

hrm_status *HRM_ABI get_spec(const hrm_model *self, hrm_model_spec *out) {
    return guard(host_of(self), [&] {
        const hm::Model &m = *inst(self).model;
        require(out != nullptr && out->struct_size >= sizeof(uint32_t), HRM_E_INVALID_ARG, "spec is NULL");
        const hm::Config &c = m.config();
        hrm_model_spec s{};
        s.struct_size = out->struct_size;
        // An int8 model file (hrm export --precision int8) runs in int8 unless asked otherwise.
        s.default_precision = m.weights().int8_file() ? HRM_PRECISION_INT8 : HRM_PRECISION_FP32;
        s.seq_len = c.seq_len;
        s.prefix_len = c.prefix_len();
        s.vocab_size = c.vocab_size;
        s.hidden_size = c.hidden_size;
        s.num_puzzle_identifiers = c.num_puzzle_identifiers;
        s.h_cycles = int32_t(c.h_cycles);
        s.l_cycles = int32_t(c.l_cycles);
        s.halt_max_steps = int32_t(c.halt_max_steps);
        s.n_params = c.n_params();
        s.flops_per_segment = c.flops_per_segment();
        s.config = m.config_text().c_str();
        // A caller compiled against an older (smaller) struct gets the fields it knows.
        std::memcpy(out, &s, std::min<size_t>(out->struct_size, sizeof s));
    });
}

hrm_status *HRM_ABI state_create(const hrm_model *self, int64_t batch, hrm_precision precision, hrm_state **out) {
    return guard(host_of(self), [&] {
        hm::Model &m = *inst(self).model;
        require(out != nullptr, HRM_E_INVALID_ARG, "out is NULL");
        require(batch >= 1 && batch <= (int64_t(1) << 24), HRM_E_INVALID_ARG, "batch must be in 1..2^24, got " + std::to_string(batch));
        require(precision == HRM_PRECISION_FP32 || precision == HRM_PRECISION_BF16 || precision == HRM_PRECISION_INT8,
                HRM_E_UNSUPPORTED,
                "precision must be HRM_PRECISION_FP32, HRM_PRECISION_BF16 or HRM_PRECISION_INT8, got " + std::to_string(precision));
        // The first bf16 state builds the bf16 packs, the first int8 state the int8 weights
        // (thread-safe, once; int8 on a CPU whose int8 kernel is refused: HRM_E_UNSUPPORTED).
        m.prepare(precision);
        *out = new hrm_state(batch, precision, m.config());
    });
}

void HRM_ABI state_free(const hrm_model *, hrm_state *state) { delete state; }

hrm_status *HRM_ABI reset(const hrm_model *self, hrm_state *state, const hrm_tensor *mask, const hrm_reset_params *params) {
    return guard(host_of(self), [&] {
        const hm::Model &m = *inst(self).model;
        hrm_state &s = state_of(state);
        const uint8_t *mk = mask_of(mask, s.batch);
        float noise = 0.0f;
        const uint64_t *seeds = nullptr;
        if (params) {
            require(params->struct_size >= sizeof(hrm_reset_params), HRM_E_INVALID_ARG, "hrm_reset_params.struct_size is too small");
            noise = params->noise_std;
            require(noise >= 0.0f && std::isfinite(noise), HRM_E_INVALID_ARG, "noise_std must be finite and >= 0");
            seeds = params->row_seeds;
            require(noise == 0.0f || seeds != nullptr, HRM_E_INVALID_ARG, "row_seeds is required when noise_std > 0");
        }
        m.reset(s, mk, noise, seeds);
    });
}

hrm_status *HRM_ABI set_inputs(const hrm_model *self, hrm_state *state, const hrm_tensor *mask, const hrm_tensor *tokens,
                               const hrm_tensor *puzzle_ids) {
    return guard(host_of(self), [&] {
        const hm::Model &m = *inst(self).model;
        hrm_state &s = state_of(state);
        const uint8_t *mk = mask_of(mask, s.batch);
        const int32_t *tok = checked_data<const int32_t>(tokens, HRM_DTYPE_I32, {s.batch, m.config().seq_len}, "tokens");
        const int32_t *pid = puzzle_ids ? checked_data<const int32_t>(puzzle_ids, HRM_DTYPE_I32, {s.batch}, "puzzle_ids") : nullptr;
        m.set_inputs(s, mk, tok, pid);
    });
}

hrm_status *HRM_ABI update(const hrm_model *self, hrm_state *state, hrm_level level) {
    return guard(host_of(self), [&] {
        const Instance &i = inst(self);
        i.model->update(state_of(state), level, i.host);
    });
}

hrm_status *HRM_ABI readout(const hrm_model *self, hrm_state *state, hrm_tensor *logits, hrm_tensor *predictions, hrm_tensor *q) {
    return guard(host_of(self), [&] {
        const hm::Model &m = *inst(self).model;
        hrm_state &s = state_of(state);
        const int64_t S = m.config().seq_len, V = m.config().vocab_size;
        float *lg = logits ? checked_data<float>(logits, HRM_DTYPE_F32, {s.batch, S, V}, "logits") : nullptr;
        int32_t *pr = predictions ? checked_data<int32_t>(predictions, HRM_DTYPE_I32, {s.batch, S}, "predictions") : nullptr;
        float *qq = q ? checked_data<float>(q, HRM_DTYPE_F32, {s.batch, 2}, "q") : nullptr;
        m.readout(s, lg, pr, qq);
    });
}

int64_t HRM_ABI param_count(const hrm_model *self) {
    if (!self || !self->plugin_data) return 0;
    return int64_t(static_cast<Instance *>(self->plugin_data)->model->weights().params().size());
}

hrm_status *HRM_ABI param_get(const hrm_model *self, int64_t index, hrm_param *out) {
    return guard(host_of(self), [&] {
        const auto &params = inst(self).model->weights().params();
        require(out != nullptr && out->struct_size >= sizeof(hrm_param), HRM_E_INVALID_ARG, "out is NULL or too small");
        require(index >= 0 && index < int64_t(params.size()), HRM_E_INVALID_ARG,
                "parameter index " + std::to_string(index) + " is outside [0, " + std::to_string(params.size()) + ")");
        const hm::Param &p = params[size_t(index)];
        // The view is the model's own storage. It is writable once the training extension was
        // requested (get_extension materializes the masters): the training engine updates the fp32
        // master values in place, then calls params_changed (ext/draft/train.h). Before that, a
        // checkpoint's fp32 tensors are views of its read-only mapping.
        out->trainable = p.trainable ? 1 : 0;
        out->name = p.name.c_str();
        hrm_tensor t{};
        t.data = const_cast<void *>(p.data());
        t.dtype = p.dtype == hrm::common::DType::F32 ? HRM_DTYPE_F32 : HRM_DTYPE_BF16;
        t.ndim = int32_t(p.shape.size());
        t.shape = p.shape.data();
        t.strides = nullptr;
        t.device = HRM_DEVICE_CPU;
        out->tensor = t;
    });
}

// ---- training extension (ext/draft/train.h; numerics in train.cpp) ----------------------------

hrm_status *HRM_ABI train_segment_forward(const hrm_model *self, hrm_state *state, hrm_tensor *logits, hrm_tensor *q) {
    return guard(host_of(self), [&] {
        const Instance &i = inst(self);
        hrm_state &s = train_state_of(state);
        const hm::Config &c = i.model->config();
        float *lg = checked_data<float>(logits, HRM_DTYPE_F32, {s.batch, c.seq_len, c.vocab_size}, "logits");
        float *qq = checked_data<float>(q, HRM_DTYPE_F32, {s.batch, 2}, "q");
        i.trainer->segment_forward(s, lg, qq, i.host);
    });
}

hrm_status *HRM_ABI train_segment_backward(const hrm_model *self, hrm_state *state, const hrm_tensor *dlogits,
                                           const hrm_tensor *dq) {
    return guard(host_of(self), [&] {
        const Instance &i = inst(self);
        hrm_state &s = train_state_of(state);
        const hm::Config &c = i.model->config();
        const float *dl = checked_data<const float>(dlogits, HRM_DTYPE_F32, {s.batch, c.seq_len, c.vocab_size}, "dlogits");
        const float *dqq = checked_data<const float>(dq, HRM_DTYPE_F32, {s.batch, 2}, "dq");
        i.trainer->segment_backward(s, dl, dqq);
    });
}

hrm_status *HRM_ABI train_grad_zero(const hrm_model *self, hrm_state *state) {
    return guard(host_of(self), [&] { inst(self).trainer->grad_zero(train_state_of(state)); });
}

hrm_status *HRM_ABI train_grad_get(const hrm_model *self, hrm_state *state, int64_t index, hrm_tensor *out) {
    return guard(host_of(self), [&] {
        require(out != nullptr, HRM_E_INVALID_ARG, "out is NULL");
        *out = inst(self).trainer->grad_get(train_state_of(state), index);
    });
}

hrm_status *HRM_ABI train_puzzle_grad_get(const hrm_model *self, hrm_state *state, hrm_tensor *out) {
    return guard(host_of(self), [&] {
        require(out != nullptr, HRM_E_INVALID_ARG, "out is NULL");
        *out = inst(self).trainer->puzzle_grad_get(train_state_of(state));
    });
}

// The engine wrote new master values through the param_get views (they point at the model's own
// fp32 storage): only the bf16 packs derived from them need rebuilding.
hrm_status *HRM_ABI train_params_changed(const hrm_model *self) {
    return guard(host_of(self), [&] { inst(self).model->params_changed(); });
}

int64_t HRM_ABI train_carry_count(const hrm_model *self) {
    if (!self || !self->plugin_data) return 0;
    return static_cast<Instance *>(self->plugin_data)->trainer->carry_count();
}

// TRM's halting head only: no continue head, so no bootstrap target and no continue loss.
uint32_t HRM_ABI train_flags(const hrm_model *self) {
    if (!self || !self->plugin_data) return 0;
    return static_cast<Instance *>(self->plugin_data)->model->config().no_act_continue ? uint32_t(HRM_TRAIN_NO_Q_CONTINUE) : 0u;
}

hrm_status *HRM_ABI train_carry_get(const hrm_model *self, hrm_state *state, int64_t index, hrm_param *out) {
    return guard(host_of(self), [&] {
        require(out != nullptr && out->struct_size >= sizeof(hrm_param), HRM_E_INVALID_ARG, "out is NULL or too small");
        const hrm_param p = inst(self).trainer->carry_get(train_state_of(state), index);
        out->trainable = p.trainable;
        out->name = p.name;
        out->tensor = p.tensor;
    });
}

hrm_model_train_ext make_train_ext() {
    hrm_model_train_ext e{};
    e.struct_size = sizeof e;
    e.api_version = HRM_API_VERSION;
    e.segment_forward = train_segment_forward;
    e.segment_backward = train_segment_backward;
    e.grad_zero = train_grad_zero;
    e.grad_get = train_grad_get;
    e.puzzle_grad_get = train_puzzle_grad_get;
    e.params_changed = train_params_changed;
    e.carry_count = train_carry_count;
    e.carry_get = train_carry_get;
    e.train_flags = train_flags;
    return e;
}

const hrm_model_train_ext kTrainExt = make_train_ext();

// An inference-only instance reads a checkpoint's fp32 weights in place from its read-only mapping
// (weights.hpp). The training extension writes the masters in place through the param_get views, so
// the first request for it copies them into owned storage; param_get views taken before that point
// at the mapping and keep the loaded values. Requesting the extension must not overlap stepping
// states (the training engine asks for it when it wraps the model, before creating any state).
// NULL if the copy fails (out of memory): the caller sees a model without the extension.
const void *HRM_ABI get_extension(const hrm_model *self, const char *id) {
    if (!self || !self->plugin_data || !id || std::strcmp(id, HRM_EXT_TRAIN) != 0) return nullptr;
    try {
        static_cast<Instance *>(self->plugin_data)->model->materialize_weights();
    } catch (...) {
        return nullptr;
    }
    return &kTrainExt;
}

void HRM_ABI destroy(const hrm_model *self) {
    if (self) delete static_cast<Instance *>(self->plugin_data);
}

}  // namespace

namespace hrm::models::core {

const char *simd_feature() {
    static const std::string feature = [] {
        try {
            return "simd:" + hrm::kernels::cpu_target().name;
        } catch (const std::exception &) {
            return std::string("simd:unsupported");
        }
    }();
    return feature.c_str();
}

// Config: params->config if given, else the config stored in the checkpoint's metadata, else the
// arch's reference config (spec 1.1). Weights: params->weights (a safetensors checkpoint with the
// reference key names) or a fresh seeded init.
hrm_status *create_instance(const hrm_descriptor *desc, const char *arch, const char *id, const hrm_host *host,
                            const hrm_instance_params *params, const void **out) {
    return guard(host, [&] {
        require(id != nullptr && std::strcmp(id, desc->id) == 0, HRM_E_NOT_FOUND,
                std::string("unknown class id \"") + (id ? id : "(null)") + "\"");
        require(out != nullptr, HRM_E_INVALID_ARG, "out is NULL");
        // The capability gate: the kernels' target selection (HRM_CPU_TARGET, what this CPU runs)
        // is checked before any kernel runs, so a bad setting is a status here and never a crash.
        try {
            hrm::kernels::cpu_target();
        } catch (const hrm::kernels::UnsupportedCpu &e) {
            throw Error(HRM_E_UNSUPPORTED, e.what());
        } catch (const std::invalid_argument &e) {
            throw Error(HRM_E_INVALID_ARG, e.what());
        }
        require(params == nullptr || params->struct_size >= sizeof(hrm_instance_params), HRM_E_INVALID_ARG,
                "hrm_instance_params.struct_size is too small");
        const std::string config_text = params && params->config ? params->config : "";
        const std::string weights_path = params && params->weights ? params->weights : "";

        std::unique_ptr<const hrm::common::SafetensorsFile> file;
        if (!weights_path.empty()) file = std::make_unique<hrm::common::SafetensorsFile>(weights_path);
        hm::Config config = hm::Config::defaults(arch);
        if (!config_text.empty()) {
            config = hm::parse_config(config_text, "<instance config>", arch);
        } else if (file) {
            const std::string stored = hrm::common::checkpoint_config(*file);
            require(!stored.empty(), HRM_E_FORMAT,
                    weights_path + ": the checkpoint has no \"config\" metadata; pass the model config explicitly");
            config = hm::parse_config(stored, weights_path + " (metadata config)", arch);
        }
        require(config.arch == arch, HRM_E_INVALID_ARG,
                "model.arch is \"" + config.arch + "\" but this is the " + arch + " model plugin (" + desc->id + ")");
        // The weights keep the file: its fp32 tensors are read in place (weights.hpp).
        auto weights = file ? std::make_unique<hm::Weights>(config, std::move(file))
                            : std::make_unique<hm::Weights>(config, params ? params->seed : 0);
        auto instance = std::make_unique<Instance>();
        instance->host = host;
        instance->model = std::make_unique<hm::Model>(config, std::move(weights));
        instance->trainer = std::make_unique<hm::Trainer>(*instance->model);
        hrm_model &v = instance->vtable;
        v.struct_size = sizeof(hrm_model);
        v.api_version = HRM_API_VERSION;
        v.desc = desc;
        v.plugin_data = instance.get();
        v.get_spec = get_spec;
        v.state_create = state_create;
        v.state_free = state_free;
        v.reset = reset;
        v.set_inputs = set_inputs;
        v.update = update;
        v.readout = readout;
        v.param_count = param_count;
        v.param_get = param_get;
        v.get_extension = get_extension;
        v.destroy = destroy;
        *out = &instance.release()->vtable;
    });
}

}  // namespace hrm::models::core
