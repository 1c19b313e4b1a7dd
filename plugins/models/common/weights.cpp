#include "weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <random>
#include <tuple>

#include <sys/mman.h>
#include <unistd.h>

#include "hrm/hrm_plugin.hpp"
#include "hrm/kernels/bf16.hpp"
#include "hrm/kernels/cpu.hpp"

namespace hrm::models::core {

using common::DType;
using hrm::plugin::Error;

// ---- Init (spec 1.2) ------------------------------------------------------------------------------

namespace {

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t fnv1a(const std::string &s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

// Inverse error function: Giles' single-precision approximation ("Approximating the erfinv
// function", GPU Gems Pro) refined by two Newton steps on erf, giving double accuracy.
double erfinv(double x) {
    double w = -std::log((1.0 - x) * (1.0 + x)), p;
    if (w < 5.0) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;  p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;   p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;     p = 1.50140941 + p * w;
    } else {
        w = std::sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;  p = 0.00134934322 + p * w;  p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;   p = -0.0076224613 + p * w;  p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;      p = 2.83297682 + p * w;
    }
    double y = p * x;
    const double k = 2.0 / std::sqrt(M_PI);
    for (int i = 0; i < 2; ++i) y -= (std::erf(y) - x) / (k * std::exp(-y * y));
    return y;
}

}  // namespace

void trunc_normal(float *out, int64_t n, double std, uint64_t seed, uint64_t stream) {
    if (std == 0.0) {
        std::fill(out, out + n, 0.0f);
        return;
    }
    // The reference's constants (models/common.py): truncation at ±2 of the underlying normal,
    // comp_std chosen so the truncated distribution has standard deviation `std`.
    const double lower = -2.0, upper = 2.0, sqrt2 = std::sqrt(2.0);
    const double a = std::erf(lower / sqrt2), b = std::erf(upper / sqrt2);
    const double z = (b - a) / 2.0, c = 1.0 / std::sqrt(2.0 * M_PI);
    const double pdf_u = c * std::exp(-0.5 * lower * lower), pdf_l = c * std::exp(-0.5 * upper * upper);
    const double comp_std =
        std / std::sqrt(1.0 - (upper * pdf_u - lower * pdf_l) / z - ((pdf_u - pdf_l) / z) * ((pdf_u - pdf_l) / z));
    // mt19937_64 is fully specified by the standard and the uniform is built from its raw bits,
    // so the stream is identical on every platform (std::uniform_real_distribution is not).
    std::mt19937_64 rng(splitmix64(seed ^ splitmix64(stream)));
    for (int64_t i = 0; i < n; ++i) {
        const double u01 = double(rng() >> 11) * 0x1.0p-53;
        const double u = a + (b - a) * u01;
        double x = erfinv(u) * sqrt2 * comp_std;
        x = std::clamp(x, lower * comp_std, upper * comp_std);
        out[i] = float(x);
    }
}

// ---- Table --------------------------------------------------------------------------------------

void Weights::declare() {
    const Config &c = config_;
    const int64_t D = c.hidden_size, I = c.intermediate_size(), V = c.vocab_size;
    auto add = [&](std::string name, std::vector<int64_t> shape, double std, bool trainable = true,
                   DType dtype = DType::F32) {
        Param p;
        p.name = "inner." + name;
        p.shape = std::move(shape);
        p.init_std = std;
        p.trainable = trainable;
        p.dtype = dtype;
        params_.push_back(std::move(p));
    };
    const double emb_std = 1.0 / std::sqrt(double(D));   // 1/embed_scale
    // Order as the reference's state dict (spec 6.2): own tensors before children.
    add("H_init", {D}, 1.0, false, DType::BF16);
    if (c.has_z_l()) add("L_init", {D}, 1.0, false, DType::BF16);
    add("embed_tokens.embedding_weight", {V, D}, emb_std);
    add("lm_head.weight", {V, D}, 1.0 / std::sqrt(double(D)));
    add("q_head.weight", {2, D}, 0.0);   // zeros; bias -5 (set in the constructor)
    add("q_head.bias", {2}, 0.0);
    if (c.puzzle_emb_ndim > 0) add("puzzle_emb.weights", {c.num_puzzle_identifiers, c.puzzle_emb_ndim}, 0.0, false);
    if (c.learned_positions()) add("embed_pos.embedding_weight", {c.total_len(), D}, emb_std);
    const int64_t L = c.total_len(), It = c.mlp_t ? c.mlp_t_size() : 0;
    for (const NetSpec &net : c.nets()) {
        for (int64_t i = 0; i < net.layers; ++i) {
            const std::string pre = net.name + ".layers." + std::to_string(i) + ".";
            // LeCun init: std = 1/sqrt(in_features) (spec 1.2).
            if (c.mlp_t) {   // TRM's sequence MLP: a SwiGLU of width L applied to each channel
                add(pre + "mlp_t.gate_up_proj.weight", {2 * It, L}, 1.0 / std::sqrt(double(L)));
                add(pre + "mlp_t.down_proj.weight", {L, It}, 1.0 / std::sqrt(double(It)));
            } else {
                add(pre + "self_attn.qkv_proj.weight", {3 * D, D}, 1.0 / std::sqrt(double(D)));
                add(pre + "self_attn.o_proj.weight", {D, D}, 1.0 / std::sqrt(double(D)));
            }
            add(pre + "mlp.gate_up_proj.weight", {2 * I, D}, 1.0 / std::sqrt(double(D)));
            add(pre + "mlp.down_proj.weight", {D, I}, 1.0 / std::sqrt(double(I)));
        }
    }
}

Weights::Weights(const Config &config, uint64_t seed) : config_(config) {
    declare();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Param &p = params_[i];
        std::vector<float> v(std::size_t(p.numel()));
        // One RNG stream per tensor, keyed by its name: adding a tensor never shifts the others.
        trunc_normal(v.data(), p.numel(), p.init_std, seed, fnv1a(p.name));
        if (p.name == "inner.q_head.bias") std::fill(v.begin(), v.end(), -5.0f);   // sigmoid(-5) ≈ 0.0067
        if (p.dtype == DType::BF16) {
            p.bf16.resize(v.size());
            for (std::size_t k = 0; k < v.size(); ++k) p.bf16[k] = kernels::to_bf16(v[k]).bits;
        } else {
            p.f32 = std::move(v);
        }
    }
    bind();
}

namespace {

// An int8 tensor of a quantised model file (hrm export --precision int8): I8 [out, in] values in
// [-64, 64] (kernels/int8.hpp) and an F32 [out] tensor "<name>_scale" of finite scales >= 0. The fp32 master
// becomes their dequantised values, so fp32 and bf16 states run the same weights too.
void load_int8(const common::SafetensorsFile &f, Param &p, const common::TensorView &t) {
    const std::string where = f.path() + ": tensor \"" + p.name + "\"";
    const std::string suffix = "_proj.weight";   // the blocks' linears (Weights::quantizable, checked again after bind)
    const bool block_linear = p.name.find(".layers.") != std::string::npos && p.name.size() > suffix.size() &&
                              p.name.compare(p.name.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (p.dtype != DType::F32 || p.shape.size() != 2 || !block_linear)
        throw Error(HRM_E_FORMAT, where + " is stored as I8, but only the blocks' linear weights may be int8");
    const std::string sk = Weights::scale_key(p.name);
    const common::TensorView *st = f.find(sk);
    if (!st) throw Error(HRM_E_FORMAT, where + " is int8 but the file has no scales \"" + sk + "\"");
    if (st->dtype != DType::F32 || st->shape != std::vector<int64_t>{p.shape[0]})
        throw Error(HRM_E_FORMAT, f.path() + ": tensor \"" + sk + "\" must be F32 [" + std::to_string(p.shape[0]) + "], got " +
                                      common::dtype_name(st->dtype) + " " + common::shape_str(st->shape));
    const int64_t n = p.shape[0], k = p.shape[1];
    p.q8.resize(size_t(n * k));
    p.q8_scale.resize(size_t(n));
    std::memcpy(p.q8.data(), t.data, p.q8.size());
    std::memcpy(p.q8_scale.data(), st->data, p.q8_scale.size() * sizeof(float));
    for (int64_t j = 0; j < n; ++j)
        if (!(std::isfinite(p.q8_scale[size_t(j)]) && p.q8_scale[size_t(j)] >= 0.0f))
            throw Error(HRM_E_FORMAT, f.path() + ": tensor \"" + sk + "\" has a scale that is not finite and >= 0 (row " +
                                          std::to_string(j) + ")");
    for (int64_t i = 0; i < n * k; ++i)
        if (p.q8[size_t(i)] < -kernels::kWeightMax || p.q8[size_t(i)] > kernels::kWeightMax)
            throw Error(HRM_E_FORMAT, where + " holds " + std::to_string(int(p.q8[size_t(i)])) + ", outside the int8 weights' range [-" +
                                          std::to_string(kernels::kWeightMax) + ", " + std::to_string(kernels::kWeightMax) + "]");
    p.f32.resize(size_t(n * k));
    for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < k; ++i) p.f32[size_t(j * k + i)] = float(p.q8[size_t(j * k + i)]) * p.q8_scale[size_t(j)];
}

}  // namespace

Weights::Weights(const Config &config, std::unique_ptr<const common::SafetensorsFile> file)
    : config_(config), file_(std::move(file)) {
    const common::SafetensorsFile &f = *file_;
    declare();
    for (Param &p : params_) {
        const common::TensorView *t = f.find(p.name);
        if (!t) throw Error(HRM_E_FORMAT, f.path() + ": missing tensor \"" + p.name + "\"");
        if (t->shape != p.shape)
            throw Error(HRM_E_FORMAT, f.path() + ": tensor \"" + p.name + "\" has shape " + common::shape_str(t->shape) +
                                          ", the config needs " + common::shape_str(p.shape));
        if (t->dtype == DType::I8) {   // an int8 model file: the values q and their scales
            load_int8(f, p, *t);
            continue;
        }
        if (t->dtype != DType::F32 && t->dtype != DType::BF16)
            throw Error(HRM_E_FORMAT, f.path() + ": tensor \"" + p.name + "\" has dtype " + common::dtype_name(t->dtype) +
                                          ", expected F32 or BF16");
        const std::size_t n = std::size_t(p.numel());
        // H_init/L_init are bf16 buffers when the reference trains in bf16 (spec 1.7), F32 when its
        // forward_dtype is float32: keep what the checkpoint has, never round F32 values to bf16
        // (issue #23: 0.5 of the largest logit after 4 segments).
        if (p.dtype == DType::BF16 && t->dtype == DType::F32) p.dtype = DType::F32;
        if (p.dtype == DType::F32) {
            // In place when the bytes can be read as floats (the writers align the data section to
            // 8 bytes, so every F32 tensor after 4-byte-multiple tensors is aligned); a copy otherwise.
            if (t->dtype == DType::F32 && reinterpret_cast<std::uintptr_t>(t->data) % alignof(float) == 0) {
                p.mapped = static_cast<const float *>(t->data);
            } else {
                p.f32.resize(n);
                if (t->dtype == DType::F32) std::memcpy(p.f32.data(), t->data, n * 4);
                else kernels::to_float(static_cast<const kernels::bf16 *>(t->data), p.f32.data(), int64_t(n));
            }
        } else {
            p.bf16.resize(n);
            if (t->dtype == DType::BF16) {
                std::memcpy(p.bf16.data(), t->data, n * 2);
            } else {
                const float *src = static_cast<const float *>(t->data);
                for (std::size_t k = 0; k < n; ++k) p.bf16[k] = kernels::to_bf16(src[k]).bits;
            }
        }
    }
    for (const auto &t : f.tensors()) {
        bool known = false;
        for (const Param &p : params_) known = known || p.name == t.name || (!p.q8.empty() && scale_key(p.name) == t.name);
        if (!known)
            throw Error(HRM_E_FORMAT, f.path() + ": unexpected tensor \"" + t.name + "\" (not part of this config; " +
                                          "check pos_encodings, puzzle_emb_ndim and the layer counts)");
    }
    bind();
    // Only the blocks' linears have an int8 form: the embeddings and heads stay fp32.
    const std::vector<std::string> q = quantizable();
    for (const Param &p : params_)
        if (!p.q8.empty() && std::find(q.begin(), q.end(), p.name) == q.end())
            throw Error(HRM_E_FORMAT, f.path() + ": tensor \"" + p.name + "\" is stored as I8, but only the blocks' linear " +
                                          "weights may be int8 (this file was not written by hrm export --precision int8?)");
}

const Param &Weights::find(const std::string &name) const {
    for (const Param &p : params_)
        if (p.name == name) return p;
    throw Error(HRM_E_NOT_FOUND, "no parameter named \"" + name + "\"");
}

int64_t Weights::trainable_count() const {
    int64_t n = 0;
    for (const Param &p : params_)
        if (p.trainable) n += p.numel();
    return n;
}

namespace {

// Give the resident pages of [p, p + bytes) of a read-only file mapping back to the kernel. The
// range stays mapped: a later read faults the (unchanged) bytes back in from the page cache, so
// this is safe even while another thread reads them. Only whole pages inside the range are dropped.
void release_pages(const void *p, std::size_t bytes) {
    static const std::uintptr_t page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(p) + page - 1) / page * page;
    const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(p) + bytes) / page * page;
    if (end > begin) ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);   // advisory: errors ignored
}

}  // namespace

std::vector<Linear *> Weights::linears() {
    std::vector<Linear *> out{&lm_head_, &q_head_};
    for (auto &blocks : nets_)
        for (BlockWeights &b : blocks)
            for (Linear *l : {&b.qkv, &b.o, &b.gate_up, &b.down, &b.t_gate_up, &b.t_down})
                if (l->param >= 0) out.push_back(l);
    return out;
}

void Weights::ensure_packed() {
    std::call_once(pack_once_, [this] {
        for (Linear *l : linears()) {
            l->packed = kernels::PackedWeight(l->w, l->out, l->in);   // bf16 copy (spec 1.4.1)
            // bf16 inference reads only the pack: drop the layer's mapped fp32 pages now, so that
            // at most one layer's fp32 values are resident at a time.
            const Param &p = params_[size_t(l->param)];
            if (p.mapped) release_pages(p.mapped, size_t(p.numel()) * sizeof(float));
        }
        packed_.store(true, std::memory_order_release);
    });
}

std::vector<Linear *> Weights::block_linears() {
    std::vector<Linear *> out;
    for (auto &blocks : nets_)
        for (BlockWeights &b : blocks)
            for (Linear *l : {&b.qkv, &b.o, &b.gate_up, &b.down, &b.t_gate_up, &b.t_down})
                if (l->param >= 0) out.push_back(l);
    return out;
}

std::vector<std::string> Weights::quantizable() const {
    std::vector<std::string> out;
    for (const auto &blocks : nets_)
        for (const BlockWeights &b : blocks)
            for (const Linear *l : {&b.qkv, &b.o, &b.gate_up, &b.down, &b.t_gate_up, &b.t_down})
                if (l->param >= 0) out.push_back(params_[size_t(l->param)].name);
    return out;
}

void Weights::ensure_quantized() {
    std::call_once(quantize_once_, [this] {
        for (Linear *l : block_linears()) {
            const Param &p = params_[size_t(l->param)];
            try {
                l->q8 = p.q8.empty() ? kernels::QuantizedWeight(l->w, l->out, l->in)
                                     : kernels::QuantizedWeight(p.q8.data(), p.q8_scale.data(), l->out, l->in,
                                                                kernels::default_int8_kernel());
            } catch (const kernels::UnsupportedCpu &e) {
                throw Error(HRM_E_UNSUPPORTED, std::string("int8: ") + e.what());
            } catch (const std::invalid_argument &e) {
                throw Error(HRM_E_INVALID_ARG, "int8: " + p.name + ": " + e.what());
            }
        }
        quantized_.store(true, std::memory_order_release);
    });
}

void Weights::materialize() {
    std::lock_guard<std::mutex> lock(materialize_mutex_);
    if (materialized_) return;
    for (Param &p : params_) {
        if (!p.mapped) continue;
        p.f32.assign(p.mapped, p.mapped + p.numel());
        release_pages(p.mapped, size_t(p.numel()) * sizeof(float));   // the copy is what is read from now on
        p.mapped = nullptr;
    }
    point();
    materialized_ = true;
}

void Weights::repack() {
    // The masters changed: int8 weights (if built) are re-quantised from them, stored ones included.
    if (quantized_.load(std::memory_order_acquire))
        for (Linear *l : block_linears()) l->q8 = kernels::QuantizedWeight(l->w, l->out, l->in);
    if (!packed_.load(std::memory_order_acquire)) return;   // built from the current masters when first needed
    for (Linear *l : linears()) l->packed.repack(l->w);
}

void Weights::point() {
    for (Linear *l : linears()) l->w = params_[size_t(l->param)].values();
    embed_tokens_ = find("inner.embed_tokens.embedding_weight").values();
    q_head_bias_ = find("inner.q_head.bias").values();
    if (config_.puzzle_emb_ndim > 0) puzzle_emb_ = find("inner.puzzle_emb.weights").values();
    if (config_.learned_positions()) embed_pos_ = find("inner.embed_pos.embedding_weight").values();
}

void Weights::bind() {
    auto linear = [&](const std::string &name) {
        Linear l;
        for (size_t i = 0; i < params_.size(); ++i)
            if (params_[i].name == name) l.param = int64_t(i);
        if (l.param < 0) throw Error(HRM_E_NOT_FOUND, "no parameter named \"" + name + "\"");
        const Param &p = params_[size_t(l.param)];
        l.out = p.shape[0];
        l.in = p.shape[1];
        return l;
    };
    lm_head_ = linear("inner.lm_head.weight");
    q_head_ = linear("inner.q_head.weight");
    H_init_ = &find("inner.H_init");
    if (config_.has_z_l()) L_init_ = &find("inner.L_init");
    for (const NetSpec &net : config_.nets()) {
        std::vector<BlockWeights> blocks;
        for (int64_t i = 0; i < net.layers; ++i) {
            const std::string pre = "inner." + net.name + ".layers." + std::to_string(i) + ".";
            BlockWeights b;
            if (config_.mlp_t) {
                b.t_gate_up = linear(pre + "mlp_t.gate_up_proj.weight");
                b.t_down = linear(pre + "mlp_t.down_proj.weight");
            } else {
                b.qkv = linear(pre + "self_attn.qkv_proj.weight");
                b.o = linear(pre + "self_attn.o_proj.weight");
            }
            b.gate_up = linear(pre + "mlp.gate_up_proj.weight");
            b.down = linear(pre + "mlp.down_proj.weight");
            blocks.push_back(std::move(b));
        }
        nets_.push_back(std::move(blocks));
    }
    point();
}

}  // namespace hrm::models::core
