#include "hrm/train/model.hpp"

#include <cstddef>
#include <cstring>

namespace hrm::train {

size_t dtype_bytes(hrm_dtype dtype) { return size_t(dtype & 0xff) / 8; }

int64_t numel(const hrm_tensor &t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t.ndim; ++i) n *= t.shape[i];
    return n;
}

namespace {

// The extension up to carry_get is required; later draft slots (train_flags) are optional.
constexpr size_t kMinExtSize = offsetof(hrm_model_train_ext, carry_get) + sizeof(hrm_model_train_ext::carry_get);

// The engine reads flat buffers: every view it gets must be compact row-major on the CPU.
void require_compact(const hrm_tensor &t, const std::string &what) {
    if (!t.data || t.device != HRM_DEVICE_CPU) throw Error(HRM_E_UNSUPPORTED, what + ": not a CPU tensor");
    if (!t.strides) return;
    int64_t expect = 1;
    for (int32_t i = t.ndim - 1; i >= 0; --i) {
        if (t.shape[i] != 1 && t.strides[i] != expect) throw Error(HRM_E_UNSUPPORTED, what + ": strided view");
        expect *= t.shape[i];
    }
}

void *data_of(const hrm_tensor &t) { return static_cast<char *>(t.data) + t.byte_offset; }

hrm_tensor view(void *data, hrm_dtype dtype, std::initializer_list<int64_t> shape, int64_t *storage) {
    int32_t n = 0;
    for (int64_t d : shape) storage[n++] = d;
    hrm_tensor t{};
    t.data = data;
    t.dtype = dtype;
    t.ndim = n;
    t.shape = storage;
    t.device = HRM_DEVICE_CPU;
    return t;
}

}  // namespace

float *Param::f32() const {
    if (tensor.dtype != HRM_DTYPE_F32) throw Error(HRM_E_UNSUPPORTED, name + ": training needs F32 master values");
    return static_cast<float *>(data_of(tensor));
}

ModelRef::ModelRef(const hrm_model *model, StatusOps ops, bool training) : model_(model), ops_(ops) {
    if (!model_) throw Error(HRM_E_INVALID_ARG, "train: model is NULL");
    ext_ = static_cast<const hrm_model_train_ext *>(model_->get_extension ? model_->get_extension(model_, HRM_EXT_TRAIN)
                                                                           : nullptr);
    if (!ext_ && training)
        throw Error(HRM_E_UNSUPPORTED, std::string("model '") + model_->desc->id + "' does not implement " + HRM_EXT_TRAIN);
    if (ext_ && ext_->struct_size < kMinExtSize && training)
        throw Error(HRM_E_VERSION, std::string("model '") + model_->desc->id + "' implements an older draft of " +
                                       HRM_EXT_TRAIN + " (no carry_get)");
    spec_.struct_size = sizeof spec_;
    check(model_->get_spec(model_, &spec_), "get_spec");
    const int64_t n = model_->param_count(model_);
    for (int64_t i = 0; i < n; ++i) {
        hrm_param p{};
        p.struct_size = sizeof p;
        check(model_->param_get(model_, i, &p), "param_get");
        require_compact(p.tensor, p.name);
        Param q;
        q.index = i;
        q.name = p.name;
        q.trainable = p.trainable != 0;
        q.tensor = p.tensor;
        q.shape.assign(p.tensor.shape, p.tensor.shape + p.tensor.ndim);
        q.numel = train::numel(p.tensor);
        if (q.trainable && training) q.f32();   // fail early on non-F32 trainables
        params_.push_back(std::move(q));
    }
}

uint32_t ModelRef::train_flags() const {
    const hrm_model_train_ext *e = ext();
    if (e->struct_size < offsetof(hrm_model_train_ext, train_flags) + sizeof e->train_flags || !e->train_flags) return 0;
    return e->train_flags(model_);
}

const hrm_model_train_ext *ModelRef::ext() const {
    if (!ext_ || ext_->struct_size < kMinExtSize)
        throw Error(HRM_E_UNSUPPORTED, std::string("model '") + model_->desc->id + "' does not implement " + HRM_EXT_TRAIN);
    return ext_;
}

void ModelRef::check(hrm_status *status, const char *what) const {
    if (!status) return;
    const hrm_code code = ops_.code ? ops_.code(status) : HRM_E_INTERNAL;
    std::string message = ops_.message ? ops_.message(status) : "(no message)";
    if (ops_.free) ops_.free(status);
    throw Error(code, std::string(what) + ": " + message);
}

Param *ModelRef::puzzle_table() {
    for (auto &p : params_)
        if (p.name == "inner.puzzle_emb.weights") return &p;
    return nullptr;
}

void ModelRef::params_changed() const { check(ext()->params_changed(model_), "params_changed"); }

State::State(const ModelRef &model, int64_t rows, hrm_precision precision) : m_(model), rows_(rows) {
    m_.check(m_.model()->state_create(m_.model(), rows, precision, &state_), "state_create");
}

State::~State() { m_.model()->state_free(m_.model(), state_); }

void State::reset(const std::vector<uint8_t> &mask) {
    int64_t shape[1];
    hrm_tensor t = view(const_cast<uint8_t *>(mask.data()), HRM_DTYPE_U8, {rows_}, shape);
    m_.check(m_.model()->reset(m_.model(), state_, mask.empty() ? nullptr : &t, nullptr), "reset");
}

void State::set_inputs(const int32_t *tokens, const int32_t *puzzle_ids) {
    int64_t s1[2], s2[1];
    hrm_tensor t = view(const_cast<int32_t *>(tokens), HRM_DTYPE_I32, {rows_, m_.spec().seq_len}, s1);
    hrm_tensor p = view(const_cast<int32_t *>(puzzle_ids), HRM_DTYPE_I32, {rows_}, s2);
    m_.check(m_.model()->set_inputs(m_.model(), state_, nullptr, &t, &p), "set_inputs");
}

void State::segment_infer(float *logits, float *q) {
    const auto &s = m_.spec();
    for (int32_t h = 0; h < s.h_cycles; ++h) {
        for (int32_t l = 0; l < s.l_cycles; ++l) m_.check(m_.model()->update(m_.model(), state_, HRM_LEVEL_L), "update");
        m_.check(m_.model()->update(m_.model(), state_, HRM_LEVEL_H), "update");
    }
    int64_t s1[3], s2[2];
    hrm_tensor lt = view(logits, HRM_DTYPE_F32, {rows_, s.seq_len, s.vocab_size}, s1);
    hrm_tensor qt = view(q, HRM_DTYPE_F32, {rows_, 2}, s2);
    m_.check(m_.model()->readout(m_.model(), state_, logits ? &lt : nullptr, nullptr, &qt), "readout");
}

void State::segment_forward(float *logits, float *q) {
    const auto &s = m_.spec();
    int64_t s1[3], s2[2];
    hrm_tensor lt = view(logits, HRM_DTYPE_F32, {rows_, s.seq_len, s.vocab_size}, s1);
    hrm_tensor qt = view(q, HRM_DTYPE_F32, {rows_, 2}, s2);
    m_.check(m_.ext()->segment_forward(m_.model(), state_, &lt, &qt), "segment_forward");
}

void State::segment_backward(const float *dlogits, const float *dq) {
    const auto &s = m_.spec();
    int64_t s1[3], s2[2];
    hrm_tensor lt = view(const_cast<float *>(dlogits), HRM_DTYPE_F32, {rows_, s.seq_len, s.vocab_size}, s1);
    hrm_tensor qt = view(const_cast<float *>(dq), HRM_DTYPE_F32, {rows_, 2}, s2);
    m_.check(m_.ext()->segment_backward(m_.model(), state_, &lt, &qt), "segment_backward");
}

void State::grad_zero() { m_.check(m_.ext()->grad_zero(m_.model(), state_), "grad_zero"); }

hrm_tensor State::grad(int64_t param_index) {
    hrm_tensor t{};
    m_.check(m_.ext()->grad_get(m_.model(), state_, param_index, &t), "grad_get");
    require_compact(t, "grad_get");
    if (t.dtype != HRM_DTYPE_F32) throw Error(HRM_E_UNSUPPORTED, "grad_get: gradients must be F32");
    t.data = data_of(t);
    t.byte_offset = 0;
    return t;
}

hrm_tensor State::puzzle_grad() {
    hrm_tensor t{};
    m_.check(m_.ext()->puzzle_grad_get(m_.model(), state_, &t), "puzzle_grad_get");
    require_compact(t, "puzzle_grad_get");
    if (t.dtype != HRM_DTYPE_F32 || t.ndim != 2 || t.shape[0] != rows_)
        throw Error(HRM_E_INVALID_ARG, "puzzle_grad_get: expected F32 [rows, D]");
    t.data = data_of(t);
    t.byte_offset = 0;
    return t;
}

int64_t State::carry_count() const { return m_.ext()->carry_count(m_.model()); }

State::Carry State::carry(int64_t i) {
    hrm_param p{};
    p.struct_size = sizeof p;
    m_.check(m_.ext()->carry_get(m_.model(), state_, i, &p), "carry_get");
    require_compact(p.tensor, "carry_get");
    if (p.tensor.ndim < 1 || p.tensor.shape[0] != rows_) throw Error(HRM_E_INVALID_ARG, "carry_get: dim 0 is not the batch");
    Carry c;
    c.name = p.name ? p.name : ("carry" + std::to_string(i));
    c.dtype = p.tensor.dtype;
    c.shape.assign(p.tensor.shape, p.tensor.shape + p.tensor.ndim);
    c.data = data_of(p.tensor);
    c.nbytes = size_t(train::numel(p.tensor)) * dtype_bytes(c.dtype);
    return c;
}

void State::copy_carry_from(State &src) {
    const int64_t n = carry_count();
    for (int64_t i = 0; i < n; ++i) {
        const Carry from = src.carry(i);
        const Carry to = carry(i);
        if (from.nbytes != to.nbytes || from.dtype != to.dtype) throw Error(HRM_E_INTERNAL, "carry copy: states differ");
        std::memcpy(to.data, from.data, from.nbytes);
    }
}

}  // namespace hrm::train
