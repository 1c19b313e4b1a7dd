// host.hpp - the services libhrm lends to plugins: logging, aligned memory, statuses and oneTBB
// workers, handed over as the hrm_host table (hrm_plugin.h).
#pragma once

#include "hrm/hrm.h"

#include <memory>
#include <string>

#include <tbb/task_arena.h>

namespace hrm::detail {

// What a runtime shares with its plugins: the log sink and the worker arena. Plugin hosts hold it
// by shared_ptr because instances, and so their host table, may outlive the runtime.
class RuntimeCore {
public:
    explicit RuntimeCore(const hrm_runtime_params &params);

    // [thread-safe] Send one line to the log sink if level passes the threshold.
    void log(hrm_log_level level, const std::string &message) const noexcept;
    tbb::task_arena &arena() { return arena_; }

private:
    hrm_log_fn log_fn_;
    void *log_user_data_;
    hrm_log_level log_level_;
    tbb::task_arena arena_;
};

// One hrm_host table per plugin library, so that log lines carry the plugin's id.
// table.host_data points back at this object.
class PluginHost {
public:
    PluginHost(std::shared_ptr<RuntimeCore> core, std::string log_prefix);
    PluginHost(const PluginHost &) = delete;
    PluginHost &operator=(const PluginHost &) = delete;

    const hrm_host *table() const { return &table_; }
    RuntimeCore &core() const { return *core_; }
    // Called once negotiation tells us the plugin id (until then the file name is used).
    void set_log_prefix(std::string prefix) { prefix_ = std::move(prefix); }
    const std::string &log_prefix() const { return prefix_; }

private:
    hrm_host table_;
    std::shared_ptr<RuntimeCore> core_;
    std::string prefix_;
};

}  // namespace hrm::detail
