// hrm.h "Sessions": the C functions over the Scheduler. They only translate: size-tagged structs
// in and out, instances to vtables, and no exception ever leaves.
#include "scheduler.hpp"

#include "hrm/hrm.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

struct hrm_session {
    std::unique_ptr<hrm::sched::Scheduler> engine;
};

namespace {

// The engine reaches libhrm only through these.
const hrm::sched::Services kServices = {hrm_status_create, hrm_status_code, hrm_status_message, hrm_status_free,
                                        hrm_free};

hrm_session_params default_params() {
    hrm_session_params p;
    std::memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.n_threads = 0;
    p.batch_size = 64;
    p.shard_size = 0;
    p.precision = -1;   // the model's default_precision (hrm_precision values are >= 0)
    p.seed = 0;
    return p;
}

}  // namespace

extern "C" {

HRM_API void hrm_session_params_init(hrm_session_params *params, size_t size) {
    if (!params || size < sizeof(uint32_t)) return;
    hrm_session_params p = default_params();
    std::memset(params, 0, size);
    std::memcpy(params, &p, std::min(size, sizeof p));
    params->struct_size = static_cast<uint32_t>(size);
}

HRM_API hrm_status *hrm_session_create(const hrm_instance *model, const hrm_instance *encoder,
                                       const hrm_instance *policy, const hrm_session_params *params,
                                       hrm_session **out) {
    if (!out) return hrm_status_create(HRM_E_INVALID_ARG, "hrm_session_create: out is NULL");
    const hrm_model *m = model ? hrm_instance_model(model) : nullptr;
    const hrm_encoder *e = encoder ? hrm_instance_encoder(encoder) : nullptr;
    const hrm_policy *p = policy ? hrm_instance_policy(policy) : nullptr;
    if (!m) return hrm_status_create(HRM_E_INVALID_ARG, "hrm_session_create: the model argument is not a model instance");
    if (!e) return hrm_status_create(HRM_E_INVALID_ARG, "hrm_session_create: the encoder argument is not an encoder instance");
    if (!p) return hrm_status_create(HRM_E_INVALID_ARG, "hrm_session_create: the policy argument is not a policy instance");

    // A caller compiled against an older header passes a shorter struct: its missing fields keep
    // their defaults.
    hrm_session_params sp = default_params();
    if (params) std::memcpy(&sp, params, std::min<size_t>(params->struct_size, sizeof sp));

    hrm::sched::Options opts;
    opts.n_threads = sp.n_threads;
    opts.batch_size = sp.batch_size;
    opts.shard_size = sp.shard_size;
    opts.precision = sp.precision;
    opts.seed = sp.seed;

    std::unique_ptr<hrm::sched::Scheduler> engine;
    if (hrm_status *st = hrm::sched::Scheduler::create(m, e, p, kServices, opts, &engine)) return st;
    auto *session = new (std::nothrow) hrm_session;
    if (!session) return hrm_status_create(HRM_E_OUT_OF_MEMORY, "hrm_session_create: out of memory");
    session->engine = std::move(engine);
    *out = session;
    return nullptr;
}

HRM_API void hrm_session_free(hrm_session *session) { delete session; }

HRM_API void hrm_result_clear(hrm_result *result) {
    if (!result) return;
    hrm_free(const_cast<void *>(result->solution.data));
    hrm_status_free(result->error);
    result->solution = hrm_blob{nullptr, 0};
    result->error = nullptr;
}

HRM_API hrm_status *hrm_session_solve(hrm_session *session, const hrm_blob *instances, int64_t n, hrm_result *results,
                                      size_t result_size, hrm_progress_fn progress, void *user_data) {
    if (!session || n < 0 || (n > 0 && (!instances || !results)))
        return hrm_status_create(HRM_E_INVALID_ARG, "hrm_session_solve: session, instances and results are required");
    if (result_size < sizeof(hrm_result))
        return hrm_status_create(HRM_E_VERSION, "hrm_session_solve: result_size is smaller than hrm_result of API 1");
    if (result_size == sizeof(hrm_result))
        return session->engine->solve(instances, n, results, progress, user_data);

    // A newer caller's larger elements: solve into our layout, then place each one at its stride
    // with the members we do not know zeroed.
    std::vector<hrm_result> tmp;
    try {
        tmp.resize(static_cast<size_t>(n));
    } catch (const std::bad_alloc &) {
        return hrm_status_create(HRM_E_OUT_OF_MEMORY, "hrm_session_solve: out of memory");
    }
    hrm_status *st = session->engine->solve(instances, n, tmp.data(), progress, user_data);
    auto *bytes = reinterpret_cast<unsigned char *>(results);
    for (int64_t i = 0; i < n; ++i) {
        unsigned char *dst = bytes + static_cast<size_t>(i) * result_size;
        std::memset(dst, 0, result_size);
        std::memcpy(dst, &tmp[static_cast<size_t>(i)], sizeof(hrm_result));
    }
    return st;
}

}  // extern "C"
