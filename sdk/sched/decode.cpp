// hrm.h "Decoding logits": hrm_masked_argmax, the C face of argmax.hpp. Only argument checks here.
#include "argmax.hpp"

#include "hrm/hrm.h"

#include <string>
#include <vector>

namespace {

std::string shape_text(const hrm_tensor &t) {
    std::string s = "[";
    for (int32_t i = 0; i < t.ndim; ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
    return s + "]";
}

// Empty when t is a compact CPU tensor of dtype, else what is wrong with it.
std::string problem(const hrm_tensor *t, hrm_dtype dtype, const char *what) {
    if (!t || !t->data || !t->shape) return std::string(what) + " is NULL";
    if (t->device != HRM_DEVICE_CPU) return std::string(what) + " is not a CPU tensor";
    if (t->dtype != dtype) return std::string(what) + " has the wrong dtype";
    if (t->ndim < 1 || t->ndim > HRM_MAX_DIMS)
        return std::string(what) + " has " + std::to_string(t->ndim) + " dimensions";
    if (t->strides || t->byte_offset) return std::string(what) + " is not compact (strides or byte_offset set)";
    return {};
}

bool same_dims(const hrm_tensor &a, const hrm_tensor &b, int32_t from_a, int32_t n) {
    for (int32_t i = 0; i < n; ++i)
        if (a.shape[from_a + i] != b.shape[i]) return false;
    return true;
}

}  // namespace

extern "C" {

HRM_API hrm_status *hrm_masked_argmax(const hrm_tensor *logits, const hrm_tensor *mask, hrm_tensor *predictions) {
    std::string bad = problem(logits, HRM_DTYPE_F32, "logits");
    if (bad.empty()) bad = problem(predictions, HRM_DTYPE_I32, "predictions");
    if (bad.empty() && mask) bad = problem(mask, HRM_DTYPE_U8, "mask");
    if (!bad.empty()) return hrm_status_create(HRM_E_INVALID_ARG, ("hrm_masked_argmax: " + bad).c_str());

    // logits [N, S, V] or [S, V]; predictions drop V; a mask is per row or shared by the rows.
    const int32_t nd = logits->ndim;
    const bool shapes_ok = (nd == 2 || nd == 3) && predictions->ndim == nd - 1 &&
                           same_dims(*logits, *predictions, 0, nd - 1) &&
                           (!mask || (mask->ndim == nd && same_dims(*logits, *mask, 0, nd)) ||
                            (mask->ndim == 2 && same_dims(*logits, *mask, nd - 2, 2)));
    if (!shapes_ok)
        return hrm_status_create(HRM_E_INVALID_ARG,
                                 ("hrm_masked_argmax: shapes do not fit: logits " + shape_text(*logits) + ", mask " +
                                  (mask ? shape_text(*mask) : std::string("NULL")) + ", predictions " +
                                  shape_text(*predictions) + " (want [N, S, V], [N, S, V] or [S, V], [N, S])")
                                     .c_str());
    const int64_t N = nd == 3 ? logits->shape[0] : 1, S = logits->shape[nd - 2], V = logits->shape[nd - 1];
    const auto *lg = static_cast<const float *>(logits->data);
    const auto *mk = mask ? static_cast<const uint8_t *>(mask->data) : nullptr;
    const bool per_row = mask && mask->ndim == nd && nd == 3;
    // Check every mask first: on failure predictions stay untouched.
    for (int64_t n = 0; mk && n < (per_row ? N : 1); ++n)
        if (const int64_t s = hrm::sched::empty_mask_position(mk + n * S * V, S, V); s >= 0)
            return hrm_status_create(HRM_E_INVALID_ARG, ("hrm_masked_argmax: the mask allows no token at row " +
                                                         std::to_string(n) + ", position " + std::to_string(s))
                                                            .c_str());
    auto *out = static_cast<int32_t *>(predictions->data);
    for (int64_t n = 0; n < N; ++n)
        hrm::sched::masked_argmax(lg + n * S * V, mk ? mk + (per_row ? n * S * V : 0) : nullptr, S, V, out + n * S);
    return nullptr;
}

}  // extern "C"
