// status.cpp - hrm_status objects, code names and the host allocator's free.
#include "status.hpp"

#include <cstdlib>
#include <new>

namespace hrm::detail {

namespace {
// Returned when a status itself cannot be allocated; never freed.
hrm_status g_out_of_memory{HRM_E_OUT_OF_MEMORY, "out of memory"};
}  // namespace

hrm_status *make_status(hrm_code code, const char *message) noexcept {
    try {
        return new hrm_status{code, message ? message : ""};
    } catch (...) {
        return &g_out_of_memory;
    }
}

TakenStatus take_status(hrm_status *status) {
    TakenStatus taken{status->code, status->message};
    hrm_status_free(status);
    return taken;
}

}  // namespace hrm::detail

extern "C" {

HRM_API hrm_code hrm_status_code(const hrm_status *status) { return status ? status->code : HRM_OK; }

HRM_API const char *hrm_status_message(const hrm_status *status) { return status ? status->message.c_str() : ""; }

HRM_API void hrm_status_free(hrm_status *status) {
    if (status != &hrm::detail::g_out_of_memory) delete status;
}

// HRM_OK gives NULL: a status object always means failure.
HRM_API hrm_status *hrm_status_create(hrm_code code, const char *message) {
    return code == HRM_OK ? nullptr : hrm::detail::make_status(code, message);
}

HRM_API const char *hrm_code_name(hrm_code code) {
    switch (code) {
    case HRM_OK: return "ok";
    case HRM_E_INVALID_ARG: return "invalid argument";
    case HRM_E_NOT_FOUND: return "not found";
    case HRM_E_UNSUPPORTED: return "unsupported";
    case HRM_E_VERSION: return "version mismatch";
    case HRM_E_PLUGIN: return "plugin error";
    case HRM_E_IO: return "i/o error";
    case HRM_E_FORMAT: return "format error";
    case HRM_E_OUT_OF_MEMORY: return "out of memory";
    case HRM_E_CANCELLED: return "cancelled";
    case HRM_E_INTERNAL: return "internal error";
    default: return "unknown error";
    }
}

// The host allocator (host.cpp) uses posix_memalign, so plain free releases it.
HRM_API void hrm_free(void *ptr) { std::free(ptr); }

}  // extern "C"
