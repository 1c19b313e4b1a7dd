#include "task.hpp"

#include "c_views.hpp"

namespace hrm::runner {
namespace {

void require_slot(const void *slot, const char *task, const char *what) {
    if (!slot) throw Error(HRM_E_UNSUPPORTED, std::string("task '") + task + "' has no " + what);
}

}  // namespace

Task::Task(const hrm_encoder *encoder) : encoder_(encoder) {
    spec_.struct_size = sizeof spec_;
    check(encoder_->get_spec(encoder_, &spec_));
}

std::vector<std::string_view> Task::split(std::string_view text) const {
    std::vector<std::string_view> records;
    const hrm_blob whole = blob(text);
    size_t offset = 0;
    for (;;) {
        hrm_blob record{};
        check(encoder_->split(encoder_, &whole, &offset, &record));
        if (!record.data) break;
        records.emplace_back(static_cast<const char *>(record.data), record.size);
    }
    return records;
}

Encoded Task::encode(std::string_view instance) const {
    Encoded e;
    e.tokens.resize(size_t(spec_.seq_len));
    e.labels.resize(size_t(spec_.seq_len));
    const int64_t shape[1] = {spec_.seq_len};
    hrm_tensor tokens = tensor_view(e.tokens, HRM_DTYPE_I32, shape, 1), labels = tensor_view(e.labels, HRM_DTYPE_I32, shape, 1);
    const hrm_blob in = blob(instance);
    int32_t has_labels = 0;
    check(encoder_->encode(encoder_, &in, &tokens, &labels, &has_labels, &e.puzzle_id));
    if (!has_labels) e.labels.clear();
    return e;
}

std::string Task::decode(std::string_view instance, const std::vector<int32_t> &predictions) const {
    const int64_t shape[1] = {int64_t(predictions.size())};
    std::vector<int32_t> copy = predictions;
    const hrm_tensor preds = tensor_view(copy, HRM_DTYPE_I32, shape, 1);
    const hrm_blob in = blob(instance);
    hrm_blob out{};
    check(encoder_->decode(encoder_, &in, &preds, &out));
    return take_blob(out);
}

Verdict Task::verify(std::string_view instance, std::string_view solution) const {
    const hrm_blob in = blob(instance), sol = blob(solution);
    int32_t valid = 0;
    Verdict v;
    check(encoder_->verify(encoder_, &in, &sol, &valid, &v.score));
    v.valid = valid != 0;
    return v;
}

Oracle Task::solve(std::string_view instance) const {
    require_slot(reinterpret_cast<const void *>(encoder_->solve), name(), "exact solver");
    const hrm_blob in = blob(instance);
    hrm_blob out{};
    hrm_solve_stats stats{};
    stats.struct_size = sizeof stats;
    check(encoder_->solve(encoder_, &in, &out, &stats));
    return Oracle{take_blob(out), stats.solutions, stats.rating};
}

std::string Task::generate(uint64_t seed, const std::string &options) const {
    require_slot(reinterpret_cast<const void *>(encoder_->generate), name(), "generator");
    hrm_blob out{};
    check(encoder_->generate(encoder_, seed, options.empty() ? nullptr : options.c_str(), &out));
    return take_blob(out);
}

void Task::augment(uint64_t augmentation, bool inverse, std::vector<int32_t> &rows) const {
    require_slot(reinterpret_cast<const void *>(encoder_->augment), name(), "augmentations");
    const int64_t shape[2] = {int64_t(rows.size()) / spec_.seq_len, spec_.seq_len};
    std::vector<int32_t> out(rows.size());
    const hrm_tensor src = tensor_view(rows, HRM_DTYPE_I32, shape, 2);
    hrm_tensor dst = tensor_view(out, HRM_DTYPE_I32, shape, 2);
    check(encoder_->augment(encoder_, augmentation, inverse ? 1 : 0, &src, &dst));
    rows.swap(out);
}

std::string Task::render(std::string_view instance, std::optional<std::string_view> solution,
                         hrm_render_format format) const {
    require_slot(reinterpret_cast<const void *>(encoder_->render), name(), "renderer");
    const hrm_blob in = blob(instance);
    const hrm_blob sol = solution ? blob(*solution) : hrm_blob{};
    hrm_blob out{};
    check(encoder_->render(encoder_, &in, solution ? &sol : nullptr, format, &out));
    return take_blob(out);
}

}  // namespace hrm::runner
