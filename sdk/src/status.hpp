// status.hpp - the hrm_status object and the error plumbing every libhrm entry point uses.
//
// Inside libhrm errors travel as hrm::detail::Error exceptions; each hrm_* function wraps its body
// in guard(), which turns any exception into a status, so nothing ever unwinds across the C ABI.
#pragma once

#include "hrm/hrm.h"

#include <stdexcept>
#include <string>

struct hrm_status {
    hrm_code code;
    std::string message;
};

namespace hrm::detail {

class Error : public std::runtime_error {
public:
    Error(hrm_code code, const std::string &message) : std::runtime_error(message), code_(code) {}
    hrm_code code() const noexcept { return code_; }

private:
    hrm_code code_;
};

// A new status (message copied). Never NULL: if even that allocation fails, a static
// out-of-memory status is returned, which hrm_status_free knows not to delete.
hrm_status *make_status(hrm_code code, const char *message) noexcept;

// Run f() (returning void) and turn whatever it throws into a status; NULL on success.
template <class F>
hrm_status *guard(F &&f) noexcept {
    try {
        f();
        return nullptr;
    } catch (const Error &e) {
        return make_status(e.code(), e.what());
    } catch (const std::bad_alloc &) {
        return make_status(HRM_E_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return make_status(HRM_E_INTERNAL, e.what());
    } catch (...) {
        return make_status(HRM_E_INTERNAL, "unknown exception");
    }
}

// Take ownership of a status returned by a plugin: returns its code and message and frees it.
struct TakenStatus {
    hrm_code code;
    std::string message;
};
TakenStatus take_status(hrm_status *status);

}  // namespace hrm::detail
