// Small adapters between C++ values and the C ABI's blobs and tensors, for the runner's direct
// calls into plugin vtables (task.cpp, cmd_check_plugin.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <hrm/hrm.h>

namespace hrm::runner {

// A borrowed blob over s (s must outlive the call).
inline hrm_blob blob(std::string_view s) {
    return hrm_blob{s.data(), s.size()};
}

// Takes ownership of a host-allocated blob and returns its bytes.
inline std::string take_blob(hrm_blob b) {
    std::string s(static_cast<const char *>(b.data), b.size);
    hrm_free(const_cast<void *>(b.data));
    return s;
}

// A compact CPU view of v with the given dtype and shape (shape must outlive the call).
template <class T>
hrm_tensor tensor_view(std::vector<T> &v, hrm_dtype dtype, const int64_t *shape, int32_t ndim) {
    hrm_tensor t{};
    t.data = v.data();
    t.dtype = dtype;
    t.ndim = ndim;
    t.shape = shape;
    t.device = HRM_DEVICE_CPU;
    return t;
}

}  // namespace hrm::runner
