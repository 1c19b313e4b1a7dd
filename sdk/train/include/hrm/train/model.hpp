// The engine's handle on a trainable model: the hrm_model vtable plus its draft training
// extension (ext/draft/train.h), with every status turned into an exception. Nothing else of the
// model is visible to the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hrm/ext/draft/train.h>
#include <hrm/hrm_plugin.hpp>

namespace hrm::train {

using Error = hrm::plugin::Error;

// How to read and free a status returned by the model. hrm_train does not link libhrm, so the
// host passes libhrm's hrm_status_code / hrm_status_message / hrm_status_free (tests pass their own).
struct StatusOps {
    hrm_code (*code)(const hrm_status *) = nullptr;
    const char *(*message)(const hrm_status *) = nullptr;
    void (*free)(hrm_status *) = nullptr;
};

// One param_get entry with a compact F32/BF16 view of its values (writable for trainable models).
struct Param {
    int64_t index = 0;
    std::string name;
    bool trainable = false;
    hrm_tensor tensor{};
    std::vector<int64_t> shape;
    int64_t numel = 0;
    float *f32() const;   // the values; throws unless the view is F32
};

class ModelRef {
public:
    // training = true: throws HRM_E_UNSUPPORTED when the model has no training extension.
    // training = false (evaluation only): the extension is optional and only the inference path
    // (reset, set_inputs, update, readout) is used.
    ModelRef(const hrm_model *model, StatusOps ops, bool training = true);

    void check(hrm_status *status, const char *what) const;

    const hrm_model *model() const { return model_; }
    const hrm_model_train_ext *ext() const;   // throws when the model has no training extension
    const hrm_model_spec &spec() const { return spec_; }
    std::vector<Param> &params() { return params_; }
    const std::vector<Param> &params() const { return params_; }
    // The extension's train_flags (HRM_TRAIN_*), 0 when the model does not have the slot.
    uint32_t train_flags() const;
    // The puzzle-embedding table (spec 3.5), or nullptr when the model has none.
    Param *puzzle_table();
    void params_changed() const;

private:
    const hrm_model *model_;
    const hrm_model_train_ext *ext_;
    StatusOps ops_;
    hrm_model_spec spec_{};
    std::vector<Param> params_;
};

// An hrm_state of `rows` rows, freed on destruction, with typed calls.
class State {
public:
    State(const ModelRef &model, int64_t rows, hrm_precision precision);
    ~State();
    State(const State &) = delete;
    State &operator=(const State &) = delete;

    int64_t rows() const { return rows_; }
    // mask [rows] (1 = reset/set this row); empty = all rows.
    void reset(const std::vector<uint8_t> &mask);
    void set_inputs(const int32_t *tokens, const int32_t *puzzle_ids);
    // One segment of the inference path (the model's L/H schedule), then readout; logits may be null.
    void segment_infer(float *logits, float *q);
    void segment_forward(float *logits, float *q);
    void segment_backward(const float *dlogits, const float *dq);
    void grad_zero();
    hrm_tensor grad(int64_t param_index);
    hrm_tensor puzzle_grad();
    // Carry tensor i (ext carry_get) as a raw writable byte range.
    struct Carry {
        std::string name;
        hrm_dtype dtype;
        std::vector<int64_t> shape;
        void *data;
        size_t nbytes;
    };
    Carry carry(int64_t i);
    int64_t carry_count() const;
    void copy_carry_from(State &src);

private:
    const ModelRef &m_;
    int64_t rows_;
    hrm_state *state_ = nullptr;
};

size_t dtype_bytes(hrm_dtype dtype);
int64_t numel(const hrm_tensor &t);

}  // namespace hrm::train
