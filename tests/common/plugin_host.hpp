// A minimal fake host for tests that load a plugin .so with dlopen and drive it through the C ABI
// exactly as libhrm would: a status type of its own, no-op log, aligned alloc, a parallel_for that
// refuses (the plugin loops serially), and the load/negotiate/init/get_factory sequence.
// Header-only; the tests link hrm_test_common (tests/CMakeLists.txt) for the include path.
#pragma once

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "hrm/hrm_plugin.h"

// The host owns the status type; this fake host defines its own.
struct hrm_status {
  hrm_code code;
  std::string message;
};

namespace test_host {

inline hrm_status* HRM_ABI status_create(const hrm_host*, hrm_code code, const char* message) {
  return new hrm_status{code, message ? message : ""};
}
inline void HRM_ABI log(const hrm_host*, hrm_log_level, const char*) {}
inline void* HRM_ABI alloc(const hrm_host*, size_t size) { return std::aligned_alloc(64, (size + 63) / 64 * 64); }
inline void HRM_ABI free_(const hrm_host*, void* p) { std::free(p); }
inline bool HRM_ABI parallel_for(const hrm_host*, uint32_t, void(HRM_ABI*)(void*, uint32_t), void*) { return false; }
inline const void* HRM_ABI get_extension(const hrm_host*, const char*) { return nullptr; }

inline const hrm_host kHost = {sizeof(hrm_host), HRM_API_VERSION, nullptr,      status_create, log,
                               alloc,            free_,           parallel_for, get_extension};

// Takes a status; returns "" for success, else "<code>: <message>".
inline std::string take(hrm_status* st) {
  if (!st) return "";
  std::string s = std::to_string(st->code) + ": " + st->message;
  delete st;
  return s;
}

// Takes a blob the plugin allocated through the host; returns its bytes.
inline std::string take(hrm_blob b) {
  std::string s(static_cast<const char*>(b.data), b.size);
  std::free(const_cast<void*>(b.data));
  return s;
}

// A borrowed blob over s (valid while s is).
inline hrm_blob blob(const std::string& s) { return hrm_blob{s.data(), s.size()}; }
hrm_blob blob(std::string&&) = delete;   // a view of a temporary would dangle

// A compact CPU int32 tensor view over a vector.
struct View {
  std::vector<int64_t> shape;
  hrm_tensor t{};
  View(std::vector<int32_t>& v, std::vector<int64_t> dims) : shape(std::move(dims)) {
    t.data = v.data();
    t.dtype = HRM_DTYPE_I32;
    t.ndim = static_cast<int32_t>(shape.size());
    t.shape = shape.data();
    t.device = HRM_DEVICE_CPU;
  }
};

// One loaded plugin library: dlopen, negotiate, init and the factory for factory_id (throws
// std::runtime_error on any failure); deinit and dlclose when destroyed.
class Library {
 public:
  Library(const char* path, const char* factory_id) {
    lib_ = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib_) throw std::runtime_error(dlerror());
    auto negotiate = reinterpret_cast<hrm_plugin_negotiate_fn>(dlsym(lib_, HRM_PLUGIN_ENTRY_SYMBOL));
    if (!negotiate) throw std::runtime_error("no entry symbol");
    hrm_loader_info loader{sizeof(hrm_loader_info), 1, 1, HRM_API_VERSION, &kHost};
    info_.struct_size = sizeof(info_);
    if (!take(negotiate(&loader, &info_)).empty() || info_.abi_major != 1) throw std::runtime_error("negotiate");
    if (!info_.init(&kHost, path)) throw std::runtime_error("init");
    factory = info_.get_factory(factory_id);
    if (!factory) throw std::runtime_error(std::string("no factory ") + factory_id);
  }
  ~Library() {
    info_.deinit();
    dlclose(lib_);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const hrm_factory* factory = nullptr;

 private:
  void* lib_ = nullptr;
  hrm_plugin_info info_{};
};

}  // namespace test_host
