// host.cpp - RuntimeCore (log sink, task arena) and the hrm_host table handed to plugins.
#include "host.hpp"

#include "status.hpp"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include <tbb/parallel_for.h>
#include <tbb/task.h>
#include <tbb/task_arena.h>

namespace hrm::detail {

namespace {

const char *level_name(hrm_log_level level) {
    switch (level) {
    case HRM_LOG_DEBUG: return "debug";
    case HRM_LOG_INFO: return "info";
    case HRM_LOG_WARN: return "warning";
    default: return "error";
    }
}

const PluginHost &host_of(const hrm_host *host) { return *static_cast<const PluginHost *>(host->host_data); }

hrm_status *HRM_ABI host_status_create(const hrm_host *, hrm_code code, const char *message) {
    // A plugin asking for a status with HRM_OK still gets an object ("never NULL"); make it an
    // internal error so the caller does not mistake it for success.
    return make_status(code == HRM_OK ? HRM_E_INTERNAL : code, message);
}

void HRM_ABI host_log(const hrm_host *host, hrm_log_level level, const char *message) {
    try {
        const PluginHost &h = host_of(host);
        h.core().log(level, "[" + h.log_prefix() + "] " + (message ? message : ""));
    } catch (...) {   // the message could not be built (out of memory): drop it
    }
}

void *HRM_ABI host_alloc(const hrm_host *, size_t size) {
    void *p = nullptr;
    // size 0 still yields a unique pointer that hrm_free accepts.
    if (posix_memalign(&p, 64, size ? size : 1) != 0) return nullptr;
    return p;
}

void HRM_ABI host_free(const hrm_host *, void *ptr) { std::free(ptr); }

bool HRM_ABI host_parallel_for(const hrm_host *host, uint32_t n_tasks, void(HRM_ABI *task)(void *, uint32_t),
                               void *ctx) {
    if (!task) return false;
    if (n_tasks == 0) return true;
    // done[i] records which tasks ran, so that if oneTBB fails part-way (it can only throw
    // bad_alloc here: task is C and does not throw) the rest still run, serially, and the
    // "false means nothing ran" promise is kept.
    std::vector<unsigned char> done;
    try {
        done.assign(n_tasks, 0);
    } catch (...) {
        return false;
    }
    try {
        auto run = [&] {
            tbb::parallel_for(uint32_t{0}, n_tasks, [&](uint32_t i) {
                task(ctx, i);
                done[i] = 1;
            });
        };
        // A caller inside a oneTBB task (a session's or a trainer's shard) keeps its arena and so
        // its thread count: entering the runtime's arena from there would let a "1 thread" session
        // use every core. Other callers get the runtime's arena (hrm_runtime_params.n_threads).
        if (tbb::task::current_context()) run();   // non-null only inside a task
        else host_of(host).core().arena().execute(run);
    } catch (...) {
        for (uint32_t i = 0; i < n_tasks; ++i)
            if (!done[i]) task(ctx, i);
    }
    return true;
}

// No host extensions are defined in API version 1.
const void *HRM_ABI host_get_extension(const hrm_host *, const char *) { return nullptr; }

}  // namespace

RuntimeCore::RuntimeCore(const hrm_runtime_params &params)
    : log_fn_(params.log_fn),
      log_user_data_(params.log_user_data),
      log_level_(params.log_level),
      arena_(params.n_threads > 0 ? params.n_threads : tbb::task_arena::automatic) {}

void RuntimeCore::log(hrm_log_level level, const std::string &message) const noexcept {
    if (level < log_level_) return;
    if (log_fn_) {
        log_fn_(level, message.c_str(), log_user_data_);
    } else if (level >= HRM_LOG_WARN) {   // default sink: only what a user must see
        std::fprintf(stderr, "hrm: %s: %s\n", level_name(level), message.c_str());
    }
}

PluginHost::PluginHost(std::shared_ptr<RuntimeCore> core, std::string log_prefix)
    : table_{}, core_(std::move(core)), prefix_(std::move(log_prefix)) {
    table_.struct_size = sizeof(hrm_host);
    table_.api_version = HRM_API_VERSION;
    table_.host_data = this;
    table_.status_create = host_status_create;
    table_.log = host_log;
    table_.alloc = host_alloc;
    table_.free = host_free;
    table_.parallel_for = host_parallel_for;
    table_.get_extension = host_get_extension;
}

}  // namespace hrm::detail
