// Fuzzing plugins as a host meets them: libhrm's C API (hrm.h) loads the plugin .so from the
// build tree and creates instances; every call's status is checked. A status is a clean rejection
// unless its code is HRM_E_INTERNAL (an exception the plugin did not expect escaped: a bug) or
// HRM_E_OUT_OF_MEMORY (an input made it allocate beyond reason), or its message is empty; those
// abort as findings. The encoder calls are the ones `hrm solve` / `hrm dataset build` make: split
// the text into records, encode each, decode the labels (or tokens) back, verify the decoded
// solution and the next record as a candidate solution.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "hrm/hrm.h"
#include "hrm/hrm_encoder.h"

namespace hrm::fuzz {

// Returns true on success; a finding aborts; a clean error returns false.
inline bool ok(hrm_status *s, const char *call) {
    if (!s) return true;
    const hrm_code code = hrm_status_code(s);
    const std::string message = hrm_status_message(s) ? hrm_status_message(s) : "";
    hrm_status_free(s);
    if (code == HRM_E_INTERNAL || code == HRM_E_OUT_OF_MEMORY || message.empty()) {
        std::fprintf(stderr, "\nFUZZ FINDING: %s returned %s: %s\n", call, hrm_code_name(code), message.c_str());
        std::abort();
    }
    // Messages that are not valid UTF-8 (echoed input bytes): a finding with HRM_FUZZ_STRICT=1 only.
    // The sudoku, maze and gridnav parsers no longer echo raw bytes and pass it (docs/reliability.md);
    // task_arc has not been run strictly yet, so the smoke runs keep it off until it has.
    static const bool strict = std::getenv("HRM_FUZZ_STRICT") != nullptr;
    if (strict) check_message(message);
    return false;
}

// One runtime with the given plugin files of the build tree (HRM_FUZZ_PLUGIN_DIR) loaded.
inline hrm_runtime *runtime_with(const std::vector<const char *> &plugins) {
    hrm_runtime_params params;
    hrm_runtime_params_init(&params, sizeof params);
    params.n_threads = 1;
    params.log_level = HRM_LOG_ERROR;
    hrm_runtime *rt = nullptr;
    if (!ok(hrm_runtime_create(&params, &rt), "hrm_runtime_create")) std::abort();
    for (const char *p : plugins) {
        const std::string path = std::string(HRM_FUZZ_PLUGIN_DIR) + "/" + p;
        if (!ok(hrm_runtime_load_plugin(rt, path.c_str()), path.c_str())) {
            std::fprintf(stderr, "cannot load %s\n", path.c_str());
            std::abort();
        }
    }
    return rt;
}

// An instance of class `name` with config (may be empty), or nullptr when the plugin refuses it.
inline hrm_instance *create(hrm_runtime *rt, hrm_kind kind, const char *name, const std::string &config) {
    hrm_instance_params params;
    hrm_instance_params_init(&params, sizeof params);
    params.config = config.empty() ? nullptr : config.c_str();
    hrm_instance *inst = nullptr;
    if (!ok(hrm_instance_create(rt, kind, name, &params, &inst), "hrm_instance_create")) return nullptr;
    return inst;
}

class Encoder {
public:
    explicit Encoder(hrm_instance *inst) : inst_(inst), enc_(hrm_instance_encoder(inst)) {
        spec_.struct_size = sizeof spec_;
        if (!ok(enc_->get_spec(enc_, &spec_), "get_spec") || spec_.seq_len <= 0) std::abort();
    }
    ~Encoder() { hrm_instance_free(inst_); }
    Encoder(const Encoder &) = delete;
    Encoder &operator=(const Encoder &) = delete;

    // split + encode + decode + verify over text; at most max_records records.
    void run(std::string_view text, int max_records = 16) {
        const hrm_blob whole{text.data(), text.size()};
        size_t offset = 0;
        std::vector<std::string> records;
        for (int i = 0; i < 4 * max_records; ++i) {
            hrm_blob rec{};
            const size_t before = offset;
            if (!ok(enc_->split(enc_, &whole, &offset, &rec), "split")) break;
            if (!rec.data) break;
            // A record is a slice of the text, and splitting moves forward.
            const char *p = static_cast<const char *>(rec.data);
            if (p < text.data() || p + rec.size > text.data() + text.size() || offset <= before || offset > text.size())
                finding("split", "record outside the text or offset not advancing");
            records.emplace_back(p, rec.size);
            if (int(records.size()) >= max_records) break;
        }
        for (size_t i = 0; i < records.size(); ++i) one(records[i], i + 1 < records.size() ? &records[i + 1] : nullptr);
    }

private:
    void one(const std::string &record, const std::string *next) {
        const int64_t S = spec_.seq_len;
        std::vector<int32_t> tokens(size_t(S), -1), labels(size_t(S), -1);
        hrm_tensor t = tensor(tokens), l = tensor(labels);
        const hrm_blob in{record.data(), record.size()};
        int32_t has_labels = 0, puzzle_id = -1;
        if (!ok(enc_->encode(enc_, &in, &t, &l, &has_labels, &puzzle_id), "encode")) return;
        for (int32_t v : tokens)
            if (v < 0 || v >= spec_.vocab_size) finding("encode", "token outside [0, vocab_size)");
        std::vector<int32_t> &pred = has_labels ? labels : tokens;
        hrm_tensor p = tensor(pred);
        hrm_blob solution{};
        if (ok(enc_->decode(enc_, &in, &p, &solution), "decode")) {
            verify(in, solution);
            hrm_free(const_cast<void *>(solution.data));
        }
        if (next) verify(in, hrm_blob{next->data(), next->size()});
    }
    void verify(const hrm_blob &in, const hrm_blob &solution) {
        int32_t valid = -1;
        double score = -1;
        if (ok(enc_->verify(enc_, &in, &solution, &valid, &score), "verify") && valid != 0 && valid != 1)
            finding("verify", "valid is neither 0 nor 1");
    }
    hrm_tensor tensor(std::vector<int32_t> &v) {
        hrm_tensor t{};
        t.data = v.data();
        t.dtype = HRM_DTYPE_I32;
        t.ndim = 1;
        t.shape = &spec_.seq_len;
        t.device = HRM_DEVICE_CPU;
        return t;
    }

    hrm_instance *inst_;
    const hrm_encoder *enc_;
    hrm_encoder_spec spec_{};
};

// The task targets: the first byte picks one of `classes`, the rest is the text.
inline void fuzz_task(const char *plugin, const std::vector<const char *> &classes, const std::uint8_t *data,
                      std::size_t size, int max_records = 16) {
    static hrm_runtime *rt = runtime_with({plugin});
    if (size < 1) return;
    const char *name = classes[data[0] % classes.size()];
    hrm_instance *inst = create(rt, HRM_KIND_ENCODER, name, "");
    if (!inst) std::abort();   // no config: must always work
    Encoder enc(inst);
    enc.run(std::string_view(reinterpret_cast<const char *>(data + 1), size - 1), max_records);
}

}  // namespace hrm::fuzz
