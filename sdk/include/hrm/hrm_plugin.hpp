/*
 * hrm_plugin.hpp - header-only C++17 helpers for writing plugins in C++. Nothing here crosses the
 * ABI: it only turns exceptions into statuses, checks tensor views, serves a factory's class table,
 * and writes the negotiation (HRM_PLUGIN_DEFINE_ENTRY at the end: the whole entry of a plugin with
 * one factory). Plugins still link nothing from libhrm.
 */
#ifndef HRM_PLUGIN_HPP
#define HRM_PLUGIN_HPP

#include "hrm_plugin.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hrm::plugin {

// An error with a status code; thrown inside a plugin, turned into a status by guard().
class Error : public std::runtime_error {
public:
    Error(hrm_code code, const std::string &message) : std::runtime_error(message), code_(code) {}
    hrm_code code() const noexcept { return code_; }

private:
    hrm_code code_;
};

inline hrm_status *make_status(const hrm_host *host, hrm_code code, const char *message) noexcept {
    return host ? host->status_create(host, code, message) : nullptr;
}

// Run f() and convert whatever it throws into a status: the try/catch every entry needs (no
// exception may leave an ABI function). f returns void; success is NULL.
template <class F>
hrm_status *guard(const hrm_host *host, F &&f) noexcept {
    try {
        f();
        return nullptr;
    } catch (const Error &e) {
        return make_status(host, e.code(), e.what());
    } catch (const std::bad_alloc &) {
        return make_status(host, HRM_E_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return make_status(host, HRM_E_INTERNAL, e.what());
    } catch (...) {
        return make_status(host, HRM_E_INTERNAL, "unknown exception");
    }
}

inline void require(bool ok, hrm_code code, const std::string &message) {
    if (!ok) throw Error(code, message);
}

inline int64_t numel(const hrm_tensor &t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t.ndim; ++i) n *= t.shape[i];
    return n;
}

// Check that t is a compact CPU tensor of dtype and exactly the given shape; return its data.
template <class T>
T *checked_data(const hrm_tensor *t, hrm_dtype dtype, std::initializer_list<int64_t> shape, const char *what) {
    require(t != nullptr && t->data != nullptr, HRM_E_INVALID_ARG, std::string(what) + ": tensor is NULL");
    require(t->device == HRM_DEVICE_CPU, HRM_E_UNSUPPORTED, std::string(what) + ": only CPU tensors are supported");
    require(t->dtype == dtype, HRM_E_INVALID_ARG, std::string(what) + ": wrong dtype");
    require(t->ndim == static_cast<int32_t>(shape.size()), HRM_E_INVALID_ARG,
            std::string(what) + ": expected " + std::to_string(shape.size()) + " dimensions, got " +
                std::to_string(t->ndim));
    int32_t d = 0;
    for (int64_t want : shape) {
        require(t->shape[d] == want, HRM_E_INVALID_ARG,
                std::string(what) + ": dimension " + std::to_string(d) + " is " + std::to_string(t->shape[d]) +
                    ", expected " + std::to_string(want));
        ++d;
    }
    if (t->strides) {   // compact row-major only: the kernels read flat buffers
        int64_t expect = 1;
        for (int32_t i = t->ndim - 1; i >= 0; --i) {
            require(t->shape[i] == 1 || t->strides[i] == expect, HRM_E_UNSUPPORTED,
                    std::string(what) + ": strided tensors are not supported");
            expect *= t->shape[i];
        }
    }
    return reinterpret_cast<T *>(static_cast<char *>(t->data) + t->byte_offset);
}

// Write value to a caller's versioned output struct (a spec, stats, ...): the caller's struct_size
// says how much of it exists; copy that much at most and keep the caller's struct_size.
template <class T>
void write_sized(T *out, T value) {
    require(out != nullptr && out->struct_size >= sizeof(uint32_t), HRM_E_INVALID_ARG, "output struct is NULL");
    const uint32_t size = out->struct_size;
    value.struct_size = size;
    std::memcpy(out, &value, std::min<size_t>(size, sizeof(T)));
}

// Copy bytes into a host-allocated blob (the receiver frees it with host->free / hrm_free).
inline hrm_blob make_blob(const hrm_host *host, std::string_view bytes) {
    void *p = host->alloc(host, bytes.size() + 1);   // +1: a NUL for readers that print it
    if (!p) throw std::bad_alloc();
    std::memcpy(p, bytes.data(), bytes.size());
    static_cast<char *>(p)[bytes.size()] = '\0';
    return hrm_blob{p, bytes.size()};
}

inline std::string_view view(const hrm_blob *b) {
    require(b != nullptr && (b->data != nullptr || b->size == 0), HRM_E_INVALID_ARG, "blob is NULL");
    return b->size ? std::string_view(static_cast<const char *>(b->data), b->size) : std::string_view();
}

// The valid output tokens of one instance, for an encoder's output_mask slot (hrm_encoder.h, since
// API 2). Built in memory with every token forbidden, then copied out by write(), so a failure
// while building leaves the caller's mask untouched, as the ABI asks of out-parameters.
//
//   hrm::plugin::OutputMask m(S, V);
//   for (int64_t s = 0; s < S; ++s) given[s] ? m.allow(s, given[s]) : m.allow_range(s, first_digit, last_digit);
//   m.write(mask);
class OutputMask {
public:
    OutputMask(int64_t seq_len, int64_t vocab_size)
        : seq_len_(seq_len), vocab_(vocab_size), allowed_(static_cast<size_t>(seq_len * vocab_size), 0) {}

    // Token `token` is a valid output at `position`.
    void allow(int64_t position, int32_t token) { allow_range(position, token, token); }
    // Tokens first..last (inclusive) are valid outputs at `position`.
    void allow_range(int64_t position, int32_t first, int32_t last) {
        require(position >= 0 && position < seq_len_ && first >= 0 && first <= last && last < vocab_, HRM_E_INTERNAL,
                "output mask: position " + std::to_string(position) + ", tokens " + std::to_string(first) + ".." +
                    std::to_string(last) + " outside [" + std::to_string(seq_len_) + ", " + std::to_string(vocab_) +
                    "]");
        std::fill_n(allowed_.begin() + position * vocab_ + first, last - first + 1, uint8_t{1});
    }
    // Copy into the caller's mask [S, V] U8. A position left without a token is a bug of the plugin
    // (hosts could not decode it), reported as such instead of written.
    void write(hrm_tensor *mask) const {
        uint8_t *out = checked_data<uint8_t>(mask, HRM_DTYPE_U8, {seq_len_, vocab_}, "mask");
        for (int64_t s = 0; s < seq_len_; ++s)
            require(std::find(allowed_.begin() + s * vocab_, allowed_.begin() + (s + 1) * vocab_, uint8_t{1}) !=
                        allowed_.begin() + (s + 1) * vocab_,
                    HRM_E_INTERNAL, "output mask: position " + std::to_string(s) + " allows no token");
        std::copy(allowed_.begin(), allowed_.end(), out);
    }

private:
    int64_t seq_len_, vocab_;
    std::vector<uint8_t> allowed_;
};

inline void log(const hrm_host *host, hrm_log_level level, const std::string &message) noexcept {
    if (host && host->log) host->log(host, level, message.c_str());
}

// The standard negotiation: accept ABI major 1 and fill *out. Call it from hrm_plugin_negotiate.
inline hrm_status *negotiate(const hrm_loader_info *loader, hrm_plugin_info *out, const char *plugin_id,
                             const char *plugin_version, bool(HRM_ABI *init)(const hrm_host *, const char *),
                             void(HRM_ABI *deinit)(void),
                             const hrm_factory *(HRM_ABI *get_factory)(const char *)) noexcept {
    // Without a usable loader_info there is no host to make a status with: leave *out unfilled
    // (abi_major stays 0), which the loader treats as a refusal.
    if (!loader || !out || loader->struct_size < sizeof(hrm_loader_info) || !loader->host) return nullptr;
    const hrm_host *host = loader->host;
    if (loader->abi_major_min > HRM_ABI_MAJOR || loader->abi_major_max < HRM_ABI_MAJOR)
        return make_status(host, HRM_E_VERSION, "plugin speaks ABI major 1 only");
    if (out->struct_size < sizeof(hrm_plugin_info))
        return make_status(host, HRM_E_VERSION, "hrm_plugin_info is smaller than this plugin needs");
    out->abi_major = HRM_ABI_MAJOR;
    out->api_version = HRM_API_VERSION;
    out->plugin_id = plugin_id;
    out->plugin_version = plugin_version;
    out->init = init;
    out->deinit = deinit;
    out->get_factory = get_factory;
    return nullptr;
}

// ---- Class tables ---------------------------------------------------------------------------------
// A factory's classes as a static array (or std::array) of hrm_descriptor, or of structs that keep a
// `desc` (hrm_descriptor) next to whatever else the plugin needs per class.
inline const hrm_descriptor &descriptor_of(const hrm_descriptor &d) noexcept { return d; }
template <class Class>
const hrm_descriptor &descriptor_of(const Class &c) noexcept {
    return c.desc;
}

// The entry of `classes` that id names - by its full id or its short name - or nullptr.
template <class Classes>
auto find_class(const Classes &classes, const char *id) noexcept -> decltype(&classes[0]) {
    if (!id) return nullptr;
    for (const auto &c : classes) {
        const hrm_descriptor &d = descriptor_of(c);
        if (std::strcmp(id, d.id) == 0 || std::strcmp(id, d.name) == 0) return &c;
    }
    return nullptr;
}

// factory->count and factory->get_descriptor over such a table (a variable at namespace scope, as a
// C++17 template argument must be), e.g.
//   const hrm_factory kFactory = {sizeof(hrm_factory), HRM_API_VERSION, nullptr,
//                                 class_count<kClasses>, class_descriptor<kClasses>, factory_create};
template <const auto &Classes>
uint32_t HRM_ABI class_count(const hrm_factory *) noexcept {
    return static_cast<uint32_t>(std::size(Classes));
}
template <const auto &Classes>
const hrm_descriptor *HRM_ABI class_descriptor(const hrm_factory *, uint32_t index) noexcept {
    return index < std::size(Classes) ? &descriptor_of(Classes[index]) : nullptr;
}

}  // namespace hrm::plugin

// ---- The entry of a plugin with one factory ---------------------------------------------------------
// HRM_PLUGIN_DEFINE_ENTRY(plugin_id, plugin_version, factory_id, factory), written once at global
// scope after the factory, defines the one exported symbol, hrm_plugin_negotiate (through
// hrm::plugin::negotiate), and the lifecycle it hands to the loader:
//   init     counts (several loaders may init one library) and accepts; there is nothing to set up,
//   deinit   balances init,
//   get_factory  &factory for factory_id (an HRM_FACTORY_* string), NULL for any other id.
// Everything but the entry symbol is in an anonymous namespace: nothing else is exported. A plugin
// that must set something up in init, or has several factories, writes these three functions itself
// and calls hrm::plugin::negotiate, as this macro does. Example:
//   namespace { const hrm_factory kFactory = {...}; }
//   HRM_PLUGIN_DEFINE_ENTRY("org.example.task.foo", "1.0.0", HRM_FACTORY_ENCODER, kFactory)
#define HRM_PLUGIN_DEFINE_ENTRY(plugin_id, plugin_version, factory_id, factory)              \
    namespace {                                                                              \
    std::atomic<int> g_init_count{0};                                                        \
    bool HRM_ABI plugin_init(const hrm_host *, const char *) {                               \
        ++g_init_count;                                                                      \
        return true;                                                                         \
    }                                                                                        \
    void HRM_ABI plugin_deinit(void) { --g_init_count; }                                     \
    const hrm_factory *HRM_ABI plugin_get_factory(const char *id) {                          \
        return id && std::strcmp(id, factory_id) == 0 ? &(factory) : nullptr;                \
    }                                                                                        \
    }                                                                                        \
    HRM_PLUGIN_ENTRY hrm_status *HRM_ABI hrm_plugin_negotiate(const hrm_loader_info *loader, \
                                                              hrm_plugin_info *out) {        \
        return ::hrm::plugin::negotiate(loader, out, plugin_id, plugin_version, plugin_init, \
                                        plugin_deinit, plugin_get_factory);                  \
    }

#endif /* HRM_PLUGIN_HPP */
