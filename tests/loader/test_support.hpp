// test_support.hpp - helpers shared by the loader tests: log capture, owned handles, scratch
// folders, status checks and a look at /proc/self/maps.
#pragma once

#include <hrm/hrm.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace test {

namespace fs = std::filesystem;

inline const std::string kPluginDir = HRM_TEST_PLUGIN_DIR;
inline const std::string kExample = HRM_EXAMPLE_PLUGIN;
inline std::string plugin(const std::string &name) { return kPluginDir + "/test_" + name + ".so"; }

// Collects every log line (the runtime calls the sink from any thread).
struct LogCapture {
    std::mutex mutex;
    std::vector<std::pair<hrm_log_level, std::string>> lines;

    static void HRM_ABI sink(hrm_log_level level, const char *message, void *user_data) {
        auto *self = static_cast<LogCapture *>(user_data);
        std::lock_guard<std::mutex> lock(self->mutex);
        self->lines.emplace_back(level, message);
    }
    int count(hrm_log_level level, const std::string &needle) {
        std::lock_guard<std::mutex> lock(mutex);
        int n = 0;
        for (const auto &[l, text] : lines) n += l == level && text.find(needle) != std::string::npos;
        return n;
    }
};

struct RuntimeDeleter {
    void operator()(hrm_runtime *r) const { hrm_runtime_free(r); }
};
struct InstanceDeleter {
    void operator()(hrm_instance *i) const { hrm_instance_free(i); }
};
using RuntimePtr = std::unique_ptr<hrm_runtime, RuntimeDeleter>;
using InstancePtr = std::unique_ptr<hrm_instance, InstanceDeleter>;

// A runtime logging everything (DEBUG and up) into log; plugin_path may be NULL.
inline RuntimePtr make_runtime(LogCapture *log = nullptr, const char *plugin_path = nullptr) {
    hrm_runtime_params p;
    hrm_runtime_params_init(&p, sizeof p);
    p.n_threads = 2;
    p.plugin_path = plugin_path;
    if (log) {
        p.log_fn = LogCapture::sink;
        p.log_user_data = log;
        p.log_level = HRM_LOG_DEBUG;
    }
    hrm_runtime *rt = nullptr;
    hrm_status *s = hrm_runtime_create(&p, &rt);
    EXPECT_EQ(s, nullptr) << hrm_status_message(s);
    hrm_status_free(s);
    return RuntimePtr(rt);
}

// Expect `status` to fail with `code` and a message containing every needle; frees it.
inline void expect_failure(hrm_status *status, hrm_code code, const std::vector<std::string> &needles) {
    ASSERT_NE(status, nullptr) << "expected " << hrm_code_name(code) << ", got success";
    const std::string message = hrm_status_message(status);
    EXPECT_EQ(hrm_status_code(status), code) << message;
    for (const auto &n : needles) EXPECT_NE(message.find(n), std::string::npos) << "'" << n << "' not in: " << message;
    hrm_status_free(status);
}

inline void expect_ok(hrm_status *status) {
    EXPECT_EQ(status, nullptr) << hrm_status_message(status);
    hrm_status_free(status);
}

// An empty folder of its own for the current test, under the build tree.
inline fs::path scratch_dir() {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    fs::path dir = fs::path(HRM_TEST_SCRATCH_DIR) / (std::string(info->test_suite_name()) + "." + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

inline fs::path copy_into(const fs::path &file, const fs::path &dir) {
    fs::path to = dir / file.filename();
    fs::copy_file(file, to, fs::copy_options::overwrite_existing);
    return to;
}

// Whether a file is mapped into this process (a loaded library is).
inline bool is_mapped(const fs::path &file) {
    const std::string canonical = fs::canonical(file).string();
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);)
        if (line.size() >= canonical.size() && line.compare(line.size() - canonical.size(), canonical.size(), canonical) == 0)
            return true;
    return false;
}

// Sets (or unsets, for nullptr) an environment variable for the lifetime of the object.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const char *value) : name_(name) {
        if (const char *old = std::getenv(name)) old_ = old, had_ = true;
        if (value) setenv(name, value, 1);
        else unsetenv(name);
    }
    ~ScopedEnv() {
        if (had_) setenv(name_.c_str(), old_.c_str(), 1);
        else unsetenv(name_.c_str());
    }

private:
    std::string name_, old_;
    bool had_ = false;
};

// Changes the current folder for the lifetime of the object.
class ScopedCwd {
public:
    explicit ScopedCwd(const fs::path &dir) : old_(fs::current_path()) { fs::current_path(dir); }
    ~ScopedCwd() { fs::current_path(old_); }

private:
    fs::path old_;
};

// Index of the loaded plugin with this id, or -1.
inline int32_t find_plugin(const hrm_runtime *rt, const std::string &id, std::string *path = nullptr) {
    for (int32_t i = 0; i < hrm_runtime_plugin_count(rt); ++i) {
        hrm_plugin_record r{};
        r.struct_size = sizeof r;
        hrm_status *s = hrm_runtime_plugin(rt, i, &r);
        if (s) {
            hrm_status_free(s);
            continue;
        }
        if (id == r.id) {
            if (path) *path = r.path;
            return i;
        }
    }
    return -1;
}

}  // namespace test
