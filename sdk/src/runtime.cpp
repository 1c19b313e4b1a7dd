// runtime.cpp - runtime creation, plugin loading (one file, a folder, the search path) and
// enumeration.
#include "runtime.hpp"

#include "sizes.hpp"
#include "status.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;
using hrm::detail::Error;
using hrm::detail::guard;
using hrm::detail::Library;

namespace {

void add_library(hrm_runtime &rt, std::shared_ptr<Library> lib) {
    rt.libraries.reserve(rt.libraries.size() + 1);   // allocate first: no half-added library
    rt.classes.reserve(rt.classes.size() + lib->classes().size());
    const auto index = static_cast<int32_t>(rt.libraries.size());
    for (const auto &c : lib->classes()) rt.classes.push_back({c, index});
    rt.libraries.push_back(std::move(lib));
}

void load_one(hrm_runtime &rt, const fs::path &path) {
    std::error_code ec;
    fs::path abs = fs::absolute(path, ec);
    auto lib = Library::load((ec ? path : abs.lexically_normal()).string(), rt.core, rt.libraries);
    rt.core->log(HRM_LOG_INFO, "loaded plugin '" + lib->id() + "' " + lib->version() + " from " + lib->path());
    add_library(rt, std::move(lib));
}

// Load every *.so of dir in name order; a broken one is logged and skipped. A duplicate id is
// expected while walking a search path (the earlier folder wins) and is logged at duplicate_level.
int32_t load_folder(hrm_runtime &rt, const fs::path &dir, hrm_log_level duplicate_level) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) throw Error(HRM_E_NOT_FOUND, dir.string() + ": no such folder");
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code file_ec;   // a dangling link or unreadable entry is simply not a plugin
        if (it->path().extension() == ".so" && it->is_regular_file(file_ec)) files.push_back(it->path());
    }
    if (ec) throw Error(HRM_E_IO, dir.string() + ": cannot read folder (" + ec.message() + ")");
    std::sort(files.begin(), files.end());

    int32_t n = 0;
    for (const fs::path &file : files) {
        try {
            load_one(rt, file);
            ++n;
        } catch (const Library::DuplicateId &e) {
            rt.core->log(duplicate_level, std::string("skipped plugin: ") + e.what());
        } catch (const Error &e) {
            rt.core->log(HRM_LOG_WARN, std::string("skipped plugin: ") + e.what());
        }
    }
    return n;
}

void append_path_list(std::vector<fs::path> &out, const char *list) {
    if (!list) return;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ':'))
        if (!item.empty()) out.emplace_back(item);   // an empty entry would mean ".": never implicit
}

// <folder holding libhrm.so>/hrm/plugins, found from the address of one of our own functions, so
// a relocated install (or the build tree, which mirrors it) works without configuration.
fs::path install_plugin_dir() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void *>(&hrm_api_version), &info) || !info.dli_fname) return {};
    std::error_code ec;
    fs::path lib = fs::canonical(info.dli_fname, ec);
    if (ec) return {};
    return lib.parent_path() / HRM_PLUGIN_SUBDIR;
}

}  // namespace

extern "C" {

HRM_API void hrm_runtime_params_init(hrm_runtime_params *params, size_t size) {
    if (!params || size < sizeof(uint32_t)) return;
    hrm_runtime_params defaults{};
    defaults.struct_size = static_cast<uint32_t>(std::min(size, sizeof(hrm_runtime_params)));
    defaults.log_level = HRM_LOG_INFO;
    std::memset(params, 0, size);
    std::memcpy(params, &defaults, defaults.struct_size);
}

HRM_API hrm_status *hrm_runtime_create(const hrm_runtime_params *params, hrm_runtime **out) {
    return guard([&] {
        if (!out) throw Error(HRM_E_INVALID_ARG, "hrm_runtime_create: out is NULL");
        // Read only the part of params the caller has; the rest keeps its default.
        hrm_runtime_params p;
        hrm_runtime_params_init(&p, sizeof p);
        if (params) {
            if (params->struct_size < sizeof(uint32_t))
                throw Error(HRM_E_INVALID_ARG, "hrm_runtime_create: params->struct_size not set (use hrm_runtime_params_init)");
            std::memcpy(&p, params, std::min<size_t>(params->struct_size, sizeof p));
        }
        if (p.n_threads < 0) throw Error(HRM_E_INVALID_ARG, "hrm_runtime_create: n_threads is negative");
        auto rt = std::make_unique<hrm_runtime>();
        rt->core = std::make_shared<hrm::detail::RuntimeCore>(p);
        rt->plugin_path = p.plugin_path ? p.plugin_path : "";
        *out = rt.release();
    });
}

HRM_API void hrm_runtime_free(hrm_runtime *runtime) {
    delete runtime;   // libraries still held by instances stay loaded (destructors never throw)
}

HRM_API hrm_status *hrm_runtime_load_plugin(hrm_runtime *runtime, const char *path) {
    return guard([&] {
        if (!runtime || !path || !*path) throw Error(HRM_E_INVALID_ARG, "hrm_runtime_load_plugin: runtime or path is NULL");
        load_one(*runtime, path);
    });
}

HRM_API hrm_status *hrm_runtime_load_dir(hrm_runtime *runtime, const char *dir, int32_t *n_loaded) {
    return guard([&] {
        if (!runtime || !dir || !*dir) throw Error(HRM_E_INVALID_ARG, "hrm_runtime_load_dir: runtime or dir is NULL");
        const int32_t n = load_folder(*runtime, dir, HRM_LOG_WARN);
        if (n_loaded) *n_loaded = n;
    });
}

HRM_API hrm_status *hrm_runtime_load_default(hrm_runtime *runtime, int32_t *n_loaded) {
    return guard([&] {
        if (!runtime) throw Error(HRM_E_INVALID_ARG, "hrm_runtime_load_default: runtime is NULL");
        std::vector<fs::path> folders;
        append_path_list(folders, runtime->plugin_path.c_str());
        append_path_list(folders, std::getenv("HRM_PLUGIN_PATH"));
        fs::path installed = install_plugin_dir();
        if (!installed.empty()) folders.push_back(installed);

        int32_t n = 0;
        for (const fs::path &dir : folders) {
            std::error_code ec;
            if (!fs::is_directory(dir, ec)) {
                runtime->core->log(HRM_LOG_DEBUG, "plugin folder " + dir.string() + " does not exist; skipped");
                continue;
            }
            n += load_folder(*runtime, dir, HRM_LOG_DEBUG);
        }
        if (n_loaded) *n_loaded = n;
    });
}

HRM_API int32_t hrm_runtime_plugin_count(const hrm_runtime *runtime) {
    return runtime ? static_cast<int32_t>(runtime->libraries.size()) : 0;
}

HRM_API hrm_status *hrm_runtime_plugin(const hrm_runtime *runtime, int32_t index, hrm_plugin_record *out) {
    return guard([&] {
        if (!runtime || !out) throw Error(HRM_E_INVALID_ARG, "hrm_runtime_plugin: runtime or out is NULL");
        if (out->struct_size < hrm::detail::kPluginRecordMinSize)
            throw Error(HRM_E_INVALID_ARG, "hrm_runtime_plugin: out->struct_size is too small");
        if (index < 0 || index >= hrm_runtime_plugin_count(runtime))
            throw Error(HRM_E_NOT_FOUND, "hrm_runtime_plugin: index " + std::to_string(index) + " out of range");
        const Library &lib = *runtime->libraries[static_cast<size_t>(index)];
        hrm_plugin_record r{};
        r.struct_size = out->struct_size;
        r.api_version = lib.api_version();
        r.abi_major = lib.abi_major();
        r.id = lib.id().c_str();
        r.version = lib.version().c_str();
        r.path = lib.path().c_str();
        std::memcpy(out, &r, std::min<size_t>(out->struct_size, sizeof r));
    });
}

HRM_API int32_t hrm_runtime_class_count(const hrm_runtime *runtime) {
    return runtime ? static_cast<int32_t>(runtime->classes.size()) : 0;
}

HRM_API const hrm_descriptor *hrm_runtime_class(const hrm_runtime *runtime, int32_t index, int32_t *plugin_index) {
    if (!runtime || index < 0 || index >= hrm_runtime_class_count(runtime)) return nullptr;
    const auto &c = runtime->classes[static_cast<size_t>(index)];
    if (plugin_index) *plugin_index = c.library;
    return c.info.desc;
}

}  // extern "C"
