// A minimal host for loading a model plugin (hrm, trm, transformer) in tests: dlopen + hrm_plugin_negotiate with a
// host table of our own (statuses, log, aligned alloc, serial or threaded parallel_for).
#pragma once

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hrm/hrm_model.h"
#include "hrm/hrm_plugin.h"

struct hrm_status {
    hrm_code code;
    std::string message;
};

namespace test_host {

inline hrm_status *HRM_ABI status_create(const hrm_host *, hrm_code code, const char *message) {
    return new hrm_status{code, message ? message : ""};
}
inline void HRM_ABI log(const hrm_host *, hrm_log_level, const char *) {}
inline void *HRM_ABI alloc(const hrm_host *, size_t size) { return std::aligned_alloc(64, (size + 63) / 64 * 64); }
inline void HRM_ABI free_(const hrm_host *, void *p) { std::free(p); }
// Runs the tasks on two std::threads (exercises the plugin's per-row parallelism).
inline bool HRM_ABI parallel_for(const hrm_host *, uint32_t n, void(HRM_ABI *task)(void *, uint32_t), void *ctx) {
    std::thread t([&] { for (uint32_t i = 1; i < n; i += 2) task(ctx, i); });
    for (uint32_t i = 0; i < n; i += 2) task(ctx, i);
    t.join();
    return true;
}
inline const void *HRM_ABI get_extension(const hrm_host *, const char *) { return nullptr; }

// Throws with the status message; frees the status.
inline void check(hrm_status *s, const char *what = "") {
    if (!s) return;
    std::string msg = std::string(what) + ": " + s->message;
    delete s;
    throw std::runtime_error(msg);
}

class Plugin {
public:
    explicit Plugin(const std::string &path) {
        host_.struct_size = sizeof host_;
        host_.api_version = HRM_API_VERSION;
        host_.status_create = status_create;
        host_.log = log;
        host_.alloc = alloc;
        host_.free = free_;
        host_.parallel_for = parallel_for;
        host_.get_extension = get_extension;
        lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
        auto negotiate = reinterpret_cast<hrm_plugin_negotiate_fn>(dlsym(lib_, HRM_PLUGIN_ENTRY_SYMBOL));
        if (!negotiate) throw std::runtime_error("no hrm_plugin_negotiate");
        hrm_loader_info li{sizeof li, 1, 1, HRM_API_VERSION, &host_};
        info_.struct_size = sizeof info_;
        check(negotiate(&li, &info_), "negotiate");
        if (info_.abi_major != 1 || !info_.init(&host_, path.c_str())) throw std::runtime_error("init failed");
        factory_ = info_.get_factory(HRM_FACTORY_MODEL);
        if (!factory_) throw std::runtime_error("no model factory");
        // Each model plugin has one class: create() asks for it by its descriptor's id.
        if (factory_->count(factory_) < 1) throw std::runtime_error("the model factory has no class");
        class_id_ = factory_->get_descriptor(factory_, 0)->id;
    }
    ~Plugin() {
        info_.deinit();
        dlclose(lib_);
    }
    const hrm_factory *factory() const { return factory_; }
    const hrm_host *host() const { return &host_; }

    // Creates a model; returns the status message instead of throwing when `error` is given.
    const hrm_model *create(const std::string &config, const std::string &weights, uint64_t seed = 0,
                            std::string *error = nullptr) const {
        hrm_instance_params p;
        hrm_instance_params_init(&p, sizeof p);
        p.config = config.c_str();
        p.weights = weights.empty() ? nullptr : weights.c_str();
        p.seed = seed;
        const void *out = nullptr;
        hrm_status *s = factory_->create(factory_, class_id_.c_str(), &host_, &p, &out);
        if (s && error) {
            *error = s->message;
            delete s;
            return nullptr;
        }
        check(s, "create");
        return static_cast<const hrm_model *>(out);
    }

private:
    hrm_host host_{};
    hrm_plugin_info info_{};
    void *lib_ = nullptr;
    const hrm_factory *factory_ = nullptr;
    std::string class_id_;
};

// A compact CPU tensor view over a vector.
template <class T>
struct View {
    std::vector<int64_t> shape;
    hrm_tensor t{};
    View(std::vector<T> &data, std::vector<int64_t> s, hrm_dtype dtype) : shape(std::move(s)) {
        t.data = data.data();
        t.dtype = dtype;
        t.ndim = int32_t(shape.size());
        t.shape = shape.data();
        t.device = HRM_DEVICE_CPU;
    }
    View(const View &) = delete;
    hrm_tensor *get() { return &t; }
};

// Whole file as text (empty if missing), and whether it exists.
inline std::string read_text(const std::string &path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
inline bool exists(const std::string &path) { return bool(std::ifstream(path)); }

// Owns a model instance created through the factory: destroyed with the test.
struct ModelPtr {
    const hrm_model *m;
    explicit ModelPtr(const hrm_model *model) : m(model) {}
    ~ModelPtr() { if (m) m->destroy(m); }
    const hrm_model *operator->() const { return m; }
};

}  // namespace test_host
