#include "hrm/train/train_state.hpp"

#include <cmath>
#include <cstring>

#include <hrm/common/checked.hpp>

namespace hrm::train {

using common::DType;
using common::fail;

namespace {

const std::string &meta(const common::SafetensorsFile &f, const char *key) {
    const auto it = f.metadata().find(key);
    if (it == f.metadata().end()) fail(HRM_E_FORMAT, f.path() + ": no '" + key + "' in the metadata");
    return it->second;
}

template <class T>
T meta_int(const common::SafetensorsFile &f, const char *key) {
    return common::parse_integer<T>(meta(f, key), f.path() + ": metadata '" + key + "'");
}

bool meta_flag(const common::SafetensorsFile &f, const char *key) {
    const std::string &v = meta(f, key);
    if (v != "0" && v != "1") fail(HRM_E_FORMAT, f.path() + ": metadata '" + key + "' must be 0 or 1");
    return v == "1";
}

template <class T>
std::vector<T> tensor(const common::SafetensorsFile &f, const std::string &name, DType dtype,
                      const std::vector<int64_t> &shape) {
    const common::TensorView &t = f.get(name, dtype, shape);
    std::vector<T> out(t.nbytes / sizeof(T));   // get() checked dtype and shape: nbytes = size * sizeof(T)
    if (!out.empty()) std::memcpy(out.data(), t.data, out.size() * sizeof(T));
    return out;
}

// Every value of a carry tensor in [lo, hi] (or equal to `also`), else an error naming the row.
template <class T>
void check_range(const common::SafetensorsFile &f, const char *name, const std::vector<T> &v, int64_t row_len,
                 int64_t lo, int64_t hi, int64_t also) {
    for (size_t i = 0; i < v.size(); ++i)
        if ((int64_t(v[i]) < lo || int64_t(v[i]) > hi) && int64_t(v[i]) != also)
            fail(HRM_E_FORMAT, f.path() + ": " + name + " row " + std::to_string(int64_t(i) / row_len) + " holds " +
                                   std::to_string(int64_t(v[i])) + ", outside [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
}

}  // namespace

TrainStateMeta read_train_state_meta(const common::SafetensorsFile &st, const TrainStateExpect &expect) {
    if (meta(st, "format") != kStateFormat) fail(HRM_E_FORMAT, st.path() + ": not a training state");
    const int64_t batch = meta_int<int64_t>(st, "global_batch_size"), shard = meta_int<int64_t>(st, "shard_size");
    if (batch != expect.global_batch_size || shard != expect.shard_size)
        fail(HRM_E_INVALID_ARG, st.path() + ": saved with global_batch_size " + std::to_string(batch) + " and shard_size " +
                                    std::to_string(shard) +
                                    "; resume needs the same values (the carry is laid out by them)");
    if (meta_flag(st, "ema") != expect.ema) fail(HRM_E_INVALID_ARG, st.path() + ": ema on/off differs from the config");

    TrainStateMeta m;
    m.step = meta_int<int64_t>(st, "step");
    if (m.step < 0) fail(HRM_E_FORMAT, st.path() + ": metadata 'step' is negative");
    // The optimizer's float32 step count, stored as its bit pattern for an exact round trip.
    const uint32_t bits = meta_int<uint32_t>(st, "adam_step_bits");
    std::memcpy(&m.adam_step, &bits, 4);
    if (!std::isfinite(m.adam_step) || m.adam_step < 0)
        fail(HRM_E_FORMAT, st.path() + ": metadata 'adam_step_bits' is not a finite non-negative step count");
    m.sampler.iter = meta_int<int64_t>(st, "sampler_iter");
    m.sampler.cursor = meta_int<int64_t>(st, "sampler_cursor");
    m.sampler.rng = meta_int<uint64_t>(st, "sampler_rng");
    if (m.sampler.iter < -1) fail(HRM_E_FORMAT, st.path() + ": metadata 'sampler_iter' is below -1");
    if (m.sampler.cursor < 0) fail(HRM_E_FORMAT, st.path() + ": metadata 'sampler_cursor' is negative");
    m.rng = meta_int<uint64_t>(st, "rng");
    m.exhausted = meta_flag(st, "exhausted");
    return m;
}

void read_train_carry(const common::SafetensorsFile &st, const TrainStateExpect &e, ActCarry &carry) {
    const int64_t B = e.global_batch_size, S = e.seq_len;
    carry.rows = B;
    carry.seq_len = S;
    carry.inputs = tensor<int32_t>(st, "carry.inputs", DType::I32, {B, S});
    carry.labels = tensor<int32_t>(st, "carry.labels", DType::I32, {B, S});
    carry.puzzle_ids = tensor<int32_t>(st, "carry.puzzle_ids", DType::I32, {B});
    carry.steps = tensor<int32_t>(st, "carry.steps", DType::I32, {B});
    carry.halted = tensor<uint8_t>(st, "carry.halted", DType::U8, {B});
    check_range(st, "carry.inputs", carry.inputs, S, 0, e.vocab_size - 1, 0);
    check_range(st, "carry.labels", carry.labels, S, 0, e.vocab_size - 1, kIgnoreLabel);
    check_range(st, "carry.puzzle_ids", carry.puzzle_ids, 1, 0, e.num_puzzle_identifiers - 1, 0);
    check_range(st, "carry.steps", carry.steps, 1, 0, e.halt_max_steps, 0);
    check_range(st, "carry.halted", carry.halted, 1, 0, 1, 0);
}

}  // namespace hrm::train
