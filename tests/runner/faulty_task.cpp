// A test plugin for `hrm check-plugin`: a small correct task, "increment" (an instance is 8 digits,
// optionally ",<solution>"; the solution adds 1 to each digit mod 10), with one deliberate fault
// chosen by the [task] option `fault`. With fault = "none" every check must pass; with any other
// value the checker must fail and name the check that catches it (tests/runner/test_cli.cpp).
//
//   fault = "none" | "verify_accepts_anything" | "augment_inverse_wrong" | "spec_writes_past"
//         | "crash_on_malformed" | "generate_unseeded" | "split_stalls"
#include <atomic>
#include <cstring>
#include <string>

#include <toml++/toml.h>

#include "hrm/hrm_encoder.h"
#include "hrm/hrm_plugin.hpp"

namespace {

using hrm::plugin::Error;
using hrm::plugin::guard;
using hrm::plugin::require;

constexpr int64_t kLen = 8, kVocab = 11;  // PAD 0, digit d as d + 1

const hrm_descriptor kDesc = {sizeof(hrm_descriptor),
                              HRM_KIND_ENCODER,
                              "org.hrm-sdk.test.faulty",
                              "faulty",
                              "1.0.0",
                              "hrm-sdk tests",
                              "increment each digit (a test task with one chosen fault)",
                              "",
                              nullptr};
const hrm_descriptor kClasses[] = {kDesc};

struct Task {
    hrm_encoder vt{};
    const hrm_host *host = nullptr;
    std::string fault = "none";
};
const Task &self(const hrm_encoder *e) {
    return *static_cast<const Task *>(e->plugin_data);
}
bool has(const hrm_encoder *e, const char *fault) {
    return self(e).fault == fault;
}

struct Parsed {
    std::string digits, solution;  // solution empty when absent
};
Parsed parse(const hrm_encoder *e, const hrm_blob *b) {
    require(b && b->data, HRM_E_INVALID_ARG, "instance is NULL");
    const std::string s(static_cast<const char *>(b->data), b->size);
    const size_t comma = s.find(',');
    Parsed p{s.substr(0, comma), comma == std::string::npos ? "" : s.substr(comma + 1)};
    auto digits = [&](const std::string &d) {
        if (d.size() != size_t(kLen)) return false;
        for (char c : d)
            if (c < '0' || c > '9') return false;
        return true;
    };
    if (!digits(p.digits) && has(e, "crash_on_malformed")) *static_cast<volatile int *>(nullptr) = 1;
    require(digits(p.digits), HRM_E_FORMAT, "instance must be 8 digits, optionally ',' and 8 more");
    require(comma == std::string::npos || digits(p.solution), HRM_E_FORMAT, "solution must be 8 digits");
    return p;
}
std::string answer(const std::string &digits) {
    std::string a = digits;
    for (char &c : a) c = char('0' + (c - '0' + 1) % 10);
    return a;
}

hrm_status *HRM_ABI get_spec(const hrm_encoder *e, hrm_encoder_spec *out) {
    return guard(self(e).host, [&] {
        hrm_encoder_spec s{};
        s.caps = HRM_ENCODER_CAN_SOLVE | HRM_ENCODER_CAN_GENERATE | HRM_ENCODER_CAN_AUGMENT | HRM_ENCODER_CAN_MASK;
        s.seq_len = kLen;
        s.vocab_size = kVocab;
        s.ignore_label_id = -1;
        s.num_puzzle_identifiers = 1;
        s.num_augmentations = kLen;
        if (has(e, "spec_writes_past") && out) {
            s.struct_size = out->struct_size;
            std::memcpy(out, &s, sizeof s);  // the fault: ignores the caller's struct_size
            return;
        }
        hrm::plugin::write_sized(out, s);
    });
}

hrm_status *HRM_ABI split(const hrm_encoder *e, const hrm_blob *text, size_t *offset, hrm_blob *record) {
    return guard(self(e).host, [&] {
        require(text && offset && record, HRM_E_INVALID_ARG, "split: NULL argument");
        const char *p = static_cast<const char *>(text->data);
        size_t i = *offset;
        while (i < text->size && (p[i] == '\n' || p[i] == '\r' || p[i] == ' ')) ++i;
        if (i >= text->size) {
            *offset = text->size;
            *record = hrm_blob{nullptr, 0};
            return;
        }
        size_t end = i;
        while (end < text->size && p[end] != '\n') ++end;
        *record = hrm_blob{p + i, end - i};
        if (!has(e, "split_stalls")) *offset = end;
    });
}

hrm_status *HRM_ABI encode(const hrm_encoder *e, const hrm_blob *instance, hrm_tensor *tokens, hrm_tensor *labels,
                           int32_t *has_labels, int32_t *puzzle_id) {
    return guard(self(e).host, [&] {
        int32_t *t = hrm::plugin::checked_data<int32_t>(tokens, HRM_DTYPE_I32, {kLen}, "tokens");
        int32_t *l = labels ? hrm::plugin::checked_data<int32_t>(labels, HRM_DTYPE_I32, {kLen}, "labels") : nullptr;
        const Parsed p = parse(e, instance);
        for (int64_t i = 0; i < kLen; ++i) t[i] = p.digits[size_t(i)] - '0' + 1;
        if (l && !p.solution.empty())
            for (int64_t i = 0; i < kLen; ++i) l[i] = p.solution[size_t(i)] - '0' + 1;
        if (has_labels) *has_labels = l && !p.solution.empty();
        if (puzzle_id) *puzzle_id = 0;
    });
}

hrm_status *HRM_ABI decode(const hrm_encoder *e, const hrm_blob *instance, const hrm_tensor *predictions,
                           hrm_blob *solution) {
    return guard(self(e).host, [&] {
        const int32_t *p = hrm::plugin::checked_data<int32_t>(predictions, HRM_DTYPE_I32, {kLen}, "predictions");
        require(solution != nullptr, HRM_E_INVALID_ARG, "decode: NULL solution");
        parse(e, instance);
        std::string s;
        for (int64_t i = 0; i < kLen; ++i) {
            require(p[i] >= 1 && p[i] <= 10, HRM_E_FORMAT, "decode: token " + std::to_string(p[i]) + " is not a digit");
            s += char('0' + p[i] - 1);
        }
        *solution = hrm::plugin::make_blob(self(e).host, s);
    });
}

hrm_status *HRM_ABI verify(const hrm_encoder *e, const hrm_blob *instance, const hrm_blob *solution, int32_t *valid,
                           double *score) {
    return guard(self(e).host, [&] {
        require(solution && valid, HRM_E_INVALID_ARG, "verify: NULL argument");
        const Parsed p = parse(e, instance);
        const bool ok = has(e, "verify_accepts_anything") || hrm::plugin::view(solution) == answer(p.digits);
        *valid = ok;
        if (score) *score = ok;
    });
}

hrm_status *HRM_ABI solve(const hrm_encoder *e, const hrm_blob *instance, hrm_blob *solution, hrm_solve_stats *stats) {
    return guard(self(e).host, [&] {
        require(solution != nullptr, HRM_E_INVALID_ARG, "solve: NULL solution");
        const Parsed p = parse(e, instance);
        if (stats) hrm::plugin::write_sized(stats, hrm_solve_stats{sizeof(hrm_solve_stats), 0, 1, 0.0});
        *solution = hrm::plugin::make_blob(self(e).host, answer(p.digits));
    });
}

std::atomic<uint64_t> g_calls{0};  // only the generate_unseeded fault uses it

hrm_status *HRM_ABI generate(const hrm_encoder *e, uint64_t seed, const char *, hrm_blob *instance) {
    return guard(self(e).host, [&] {
        require(instance != nullptr, HRM_E_INVALID_ARG, "generate: NULL instance");
        uint64_t x = has(e, "generate_unseeded") ? ++g_calls : seed;
        std::string d;
        for (int64_t i = 0; i < kLen; ++i) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            d += char('0' + (x >> 33) % 10);
        }
        *instance = hrm::plugin::make_blob(self(e).host, d + "," + answer(d));
    });
}

// Augmentation a: a cyclic shift of the positions by a % 8 (inputs and labels alike).
hrm_status *HRM_ABI augment(const hrm_encoder *e, uint64_t a, int32_t inverse, const hrm_tensor *src, hrm_tensor *dst) {
    return guard(self(e).host, [&] {
        require(src && src->ndim == 2, HRM_E_INVALID_ARG, "augment: src must be [N, 8]");
        const int64_t n = src->shape[0];
        const int32_t *s = hrm::plugin::checked_data<const int32_t>(src, HRM_DTYPE_I32, {n, kLen}, "src");
        int32_t *d = hrm::plugin::checked_data<int32_t>(dst, HRM_DTYPE_I32, {n, kLen}, "dst");
        int64_t shift = int64_t(a % uint64_t(kLen));
        if (inverse && !has(e, "augment_inverse_wrong")) shift = (kLen - shift) % kLen;
        for (int64_t r = 0; r < n; ++r)
            for (int64_t i = 0; i < kLen; ++i) d[r * kLen + (i + shift) % kLen] = s[r * kLen + i];
    });
}

hrm_status *HRM_ABI output_mask(const hrm_encoder *e, const hrm_blob *instance, hrm_tensor *mask) {
    return guard(self(e).host, [&] {
        parse(e, instance);
        hrm::plugin::OutputMask m(kLen, kVocab);
        for (int64_t i = 0; i < kLen; ++i) m.allow_range(i, 1, 10);
        m.write(mask);
    });
}

const void *HRM_ABI get_extension(const hrm_encoder *, const char *) {
    return nullptr;
}
void HRM_ABI destroy(const hrm_encoder *e) {
    delete static_cast<const Task *>(e->plugin_data);
}

hrm_status *HRM_ABI factory_create(const hrm_factory *, const char *id, const hrm_host *host,
                                   const hrm_instance_params *params, const void **out) {
    return guard(host, [&] {
        require(id && out && hrm::plugin::find_class(kClasses, id), HRM_E_NOT_FOUND, "no such class");
        std::string fault = "none";
        if (params && params->config && *params->config) {
            const toml::table root = toml::parse(params->config);
            for (const auto &[key, value] : root) {
                require(key.str() == "task" && value.is_table(), HRM_E_INVALID_ARG,
                        "faulty config: unknown key '" + std::string(key.str()) + "'");
                for (const auto &[k, v] : *value.as_table()) {
                    require(k.str() == "fault" && v.is_string(), HRM_E_INVALID_ARG,
                            "faulty config: unknown key [task]." + std::string(k.str()));
                    fault = *v.value<std::string>();
                }
            }
        }
        auto *t = new Task;
        t->host = host;
        t->fault = fault;
        hrm_encoder &v = t->vt;
        v.struct_size = sizeof(hrm_encoder);
        v.api_version = HRM_API_VERSION;
        v.desc = &kClasses[0];
        v.plugin_data = t;
        v.get_spec = get_spec;
        v.split = split;
        v.encode = encode;
        v.decode = decode;
        v.verify = verify;
        v.solve = solve;
        v.generate = generate;
        v.augment = augment;
        v.get_extension = get_extension;
        v.destroy = destroy;
        v.output_mask = output_mask;
        *out = &t->vt;
    });
}

const hrm_factory kFactory = {sizeof(hrm_factory),
                              HRM_API_VERSION,
                              nullptr,
                              hrm::plugin::class_count<kClasses>,
                              hrm::plugin::class_descriptor<kClasses>,
                              factory_create};

}  // namespace

HRM_PLUGIN_DEFINE_ENTRY("org.hrm-sdk.test.faulty", "1.0.0", HRM_FACTORY_ENCODER, kFactory)
