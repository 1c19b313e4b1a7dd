/*
 * hrm.hpp - header-only C++17 wrapper over the C API of libhrm (hrm.h), in the style of
 * onnxruntime_cxx_api.h: statuses become hrm::Error exceptions, handles become move-only RAII
 * objects. Nothing here crosses the ABI; hosts link libhrm as usual.
 *
 *   hrm::Runtime rt;                       // defaults: all cores, warnings to stderr
 *   rt.load_default();
 *   hrm::Instance enc = rt.create(HRM_KIND_ENCODER, "reverse");
 *   std::vector<int32_t> tokens(16);
 *   hrm::Tensor t = hrm::Tensor::of(tokens, {16});
 *   hrm_blob text = hrm::blob_view("123");
 *   hrm::check(enc.encoder()->encode(enc.encoder(), &text, t.get(), nullptr, nullptr, nullptr));
 */
#ifndef HRM_HPP
#define HRM_HPP

#include "hrm.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace hrm {

// A failed hrm call: the status code and message.
class Error : public std::runtime_error {
public:
    Error(hrm_code code, const std::string &message) : std::runtime_error(message), code_(code) {}
    hrm_code code() const noexcept { return code_; }

private:
    hrm_code code_;
};

// Throw the status as hrm::Error (freeing it) unless it is NULL.
inline void check(hrm_status *status) {
    if (!status) return;
    Error error(hrm_status_code(status), hrm_status_message(status));
    hrm_status_free(status);
    throw error;
}

// Bytes returned by a plugin through the host allocator (decode, solve, generate, render), freed
// with hrm_free. Pass out() as the hrm_blob* out-parameter.
class Blob {
public:
    Blob() = default;
    Blob(const Blob &) = delete;
    Blob &operator=(const Blob &) = delete;
    Blob(Blob &&o) noexcept : blob_(std::exchange(o.blob_, hrm_blob{nullptr, 0})) {}
    Blob &operator=(Blob &&o) noexcept {
        if (this != &o) {
            reset();
            blob_ = std::exchange(o.blob_, hrm_blob{nullptr, 0});
        }
        return *this;
    }
    ~Blob() { reset(); }

    // Frees what the blob holds and returns it, empty, for a call to fill.
    hrm_blob *out() {
        reset();
        return &blob_;
    }
    const hrm_blob *get() const { return &blob_; }
    const void *data() const { return blob_.data; }
    size_t size() const { return blob_.size; }
    std::string_view str() const {
        return blob_.size ? std::string_view(static_cast<const char *>(blob_.data), blob_.size) : std::string_view();
    }
    void reset() {
        hrm_free(const_cast<void *>(blob_.data));
        blob_ = hrm_blob{nullptr, 0};
    }

private:
    hrm_blob blob_{nullptr, 0};
};

// A borrowed hrm_blob over bytes the caller keeps alive (input instances, solutions).
inline hrm_blob blob_view(std::string_view bytes) { return hrm_blob{bytes.data(), bytes.size()}; }

// The dtype code of a C++ element type.
template <class T>
constexpr hrm_dtype dtype_of();
template <> constexpr hrm_dtype dtype_of<int32_t>() { return HRM_DTYPE_I32; }
template <> constexpr hrm_dtype dtype_of<int64_t>() { return HRM_DTYPE_I64; }
template <> constexpr hrm_dtype dtype_of<uint8_t>() { return HRM_DTYPE_U8; }
template <> constexpr hrm_dtype dtype_of<float>() { return HRM_DTYPE_F32; }
template <> constexpr hrm_dtype dtype_of<double>() { return HRM_DTYPE_F64; }

// A compact row-major CPU hrm_tensor view that carries its own shape array. It never owns the
// data: the buffer must outlive every use of get(). Copies re-point the view at their own shape.
class Tensor {
public:
    Tensor(void *data, hrm_dtype dtype, std::initializer_list<int64_t> shape) : view_{} {
        if (shape.size() > HRM_MAX_DIMS) throw Error(HRM_E_INVALID_ARG, "hrm::Tensor: more than HRM_MAX_DIMS dimensions");
        size_t i = 0;
        for (int64_t d : shape) shape_[i++] = d;
        view_.data = data;
        view_.dtype = dtype;
        view_.ndim = static_cast<int32_t>(shape.size());
        view_.shape = shape_.data();
        view_.strides = nullptr;
        view_.device = HRM_DEVICE_CPU;
        view_.device_id = 0;
        view_.byte_offset = 0;
    }
    Tensor(const Tensor &o) : shape_(o.shape_), view_(o.view_) { view_.shape = shape_.data(); }
    Tensor &operator=(const Tensor &o) {
        shape_ = o.shape_;
        view_ = o.view_;
        view_.shape = shape_.data();
        return *this;
    }

    // A view over a vector whose size must equal the product of shape.
    template <class T>
    static Tensor of(std::vector<T> &v, std::initializer_list<int64_t> shape) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        if (n != static_cast<int64_t>(v.size()))
            throw Error(HRM_E_INVALID_ARG, "hrm::Tensor::of: shape has " + std::to_string(n) + " elements, vector " +
                                               std::to_string(v.size()));
        return Tensor(v.data(), dtype_of<T>(), shape);
    }

    // A view over a raw buffer of prod(shape) elements.
    template <class T>
    static Tensor of(T *data, std::initializer_list<int64_t> shape) {
        return Tensor(const_cast<std::remove_const_t<T> *>(data), dtype_of<std::remove_const_t<T>>(), shape);
    }

    hrm_tensor *get() { return &view_; }
    const hrm_tensor *get() const { return &view_; }

private:
    std::array<int64_t, HRM_MAX_DIMS> shape_{};
    hrm_tensor view_;
};

// An instance of a plugin class (model, encoder or policy). Move-only; freed with its destructor.
class Instance {
public:
    explicit Instance(hrm_instance *instance) noexcept : instance_(instance) {}
    Instance(const Instance &) = delete;
    Instance &operator=(const Instance &) = delete;
    Instance(Instance &&o) noexcept : instance_(std::exchange(o.instance_, nullptr)) {}
    Instance &operator=(Instance &&o) noexcept {
        if (this != &o) {
            hrm_instance_free(instance_);
            instance_ = std::exchange(o.instance_, nullptr);
        }
        return *this;
    }
    ~Instance() { hrm_instance_free(instance_); }

    hrm_kind kind() const { return hrm_instance_kind(instance_); }
    // The vtable of the instance's kind; throws hrm::Error if it is of another kind.
    const hrm_model *model() const { return typed(hrm_instance_model(instance_), "model"); }
    const hrm_encoder *encoder() const { return typed(hrm_instance_encoder(instance_), "encoder"); }
    const hrm_policy *policy() const { return typed(hrm_instance_policy(instance_), "policy"); }
    const hrm_descriptor &descriptor() const;
    hrm_instance *get() const { return instance_; }

private:
    template <class T>
    static const T *typed(const T *vtable, const char *kind) {
        if (!vtable) throw Error(HRM_E_INVALID_ARG, std::string("hrm::Instance: not a ") + kind);
        return vtable;
    }
    hrm_instance *instance_;
};

// One loaded plugin library (strings owned by the runtime).
struct PluginInfo {
    std::string id, version, path;
    uint32_t api_version, abi_major;
};

// One class a loaded plugin provides.
struct ClassInfo {
    const hrm_descriptor *descriptor;   // owned by the plugin, valid while the runtime lives
    int32_t plugin_index;
};

// A runtime: loads plugins and creates instances. Move-only.
class Runtime {
public:
    // params may be NULL for defaults (see hrm_runtime_params_init).
    explicit Runtime(const hrm_runtime_params *params = nullptr) { check(hrm_runtime_create(params, &runtime_)); }
    Runtime(const Runtime &) = delete;
    Runtime &operator=(const Runtime &) = delete;
    Runtime(Runtime &&o) noexcept : runtime_(std::exchange(o.runtime_, nullptr)) {}
    Runtime &operator=(Runtime &&o) noexcept {
        if (this != &o) {
            hrm_runtime_free(runtime_);
            runtime_ = std::exchange(o.runtime_, nullptr);
        }
        return *this;
    }
    ~Runtime() { hrm_runtime_free(runtime_); }

    void load_plugin(const std::string &path) { check(hrm_runtime_load_plugin(runtime_, path.c_str())); }
    // Returns the number of libraries loaded; broken ones are skipped with a logged warning.
    int32_t load_dir(const std::string &dir) {
        int32_t n = 0;
        check(hrm_runtime_load_dir(runtime_, dir.c_str(), &n));
        return n;
    }
    int32_t load_default() {
        int32_t n = 0;
        check(hrm_runtime_load_default(runtime_, &n));
        return n;
    }

    std::vector<PluginInfo> plugins() const {
        std::vector<PluginInfo> out;
        for (int32_t i = 0, n = hrm_runtime_plugin_count(runtime_); i < n; ++i) {
            hrm_plugin_record r{};
            r.struct_size = sizeof r;
            check(hrm_runtime_plugin(runtime_, i, &r));
            out.push_back(PluginInfo{r.id, r.version, r.path, r.api_version, r.abi_major});
        }
        return out;
    }
    std::vector<ClassInfo> classes() const {
        std::vector<ClassInfo> out;
        for (int32_t i = 0, n = hrm_runtime_class_count(runtime_); i < n; ++i) {
            ClassInfo c{nullptr, -1};
            c.descriptor = hrm_runtime_class(runtime_, i, &c.plugin_index);
            out.push_back(c);
        }
        return out;
    }

    // An instance of the class of `kind` named by id or short name; config is TOML text.
    Instance create(hrm_kind kind, const std::string &id_or_name, const std::string &config = {},
                    const char *weights = nullptr, uint64_t seed = 0) {
        hrm_instance_params p;
        hrm_instance_params_init(&p, sizeof p);
        p.config = config.c_str();
        p.weights = weights;
        p.seed = seed;
        hrm_instance *instance = nullptr;
        check(hrm_instance_create(runtime_, kind, id_or_name.c_str(), &p, &instance));
        return Instance(instance);
    }

    hrm_runtime *get() const { return runtime_; }

private:
    hrm_runtime *runtime_ = nullptr;
};

inline const hrm_descriptor &Instance::descriptor() const {
    const hrm_descriptor *d = nullptr;
    switch (kind()) {
    case HRM_KIND_MODEL: d = model()->desc; break;
    case HRM_KIND_ENCODER: d = encoder()->desc; break;
    case HRM_KIND_POLICY: d = policy()->desc; break;
    default: break;
    }
    if (!d) throw Error(HRM_E_INVALID_ARG, "hrm::Instance: empty, or its plugin gave no descriptor");
    return *d;
}

// ---- Decoding logits (since API 2) ---------------------------------------------------------------

// The valid output tokens of instance, [S * V] (hrm_encoder.h output_mask), or an empty vector when
// the encoder has no mask: every token is valid then.
inline std::vector<uint8_t> output_mask(const hrm_encoder *encoder, std::string_view instance) {
    hrm_encoder_spec spec{};
    spec.struct_size = sizeof spec;
    check(encoder->get_spec(encoder, &spec));
    const hrm_encoder_output_mask_slot slot = hrm_encoder_output_mask_fn(encoder, spec.caps);
    if (!slot) return {};
    std::vector<uint8_t> mask(static_cast<size_t>(spec.seq_len * spec.vocab_size));
    Tensor t = Tensor::of(mask, {spec.seq_len, spec.vocab_size});
    const hrm_blob in = blob_view(instance);
    check(slot(encoder, &in, t.get()));
    return mask;
}

// hrm_masked_argmax over vectors: predictions [N * S] from logits [N * S * V], restricted to mask
// [S * V] for every row (empty = every token, the model's own readout rule).
inline std::vector<int32_t> masked_argmax(const std::vector<float> &logits, const std::vector<uint8_t> &mask,
                                          int64_t S, int64_t V) {
    if (S < 1 || V < 1 || logits.size() % static_cast<size_t>(S * V) != 0)
        throw Error(HRM_E_INVALID_ARG, "hrm::masked_argmax: logits are not [N, S, V]");
    const auto N = static_cast<int64_t>(logits.size() / static_cast<size_t>(S * V));
    std::vector<int32_t> predictions(static_cast<size_t>(N * S));
    if (!mask.empty() && mask.size() != static_cast<size_t>(S * V))
        throw Error(HRM_E_INVALID_ARG, "hrm::masked_argmax: mask is not [S, V]");
    const Tensor lg = Tensor::of(logits.data(), {N, S, V}), mk = Tensor::of(mask.data(), {S, V});
    Tensor pr = Tensor::of(predictions, {N, S});
    check(hrm_masked_argmax(lg.get(), mask.empty() ? nullptr : mk.get(), pr.get()));
    return predictions;
}

}  // namespace hrm

#endif /* HRM_HPP */
