#include "model_file.hpp"

#include <cstring>
#include <filesystem>
#include <sstream>

#include <unistd.h>

#include <hrm/common/safetensors.hpp>
#include <hrm/train/checkpoint.hpp>
#include <hrm/train/model.hpp>

namespace hrm::runner {
namespace fs = std::filesystem;

CheckpointInfo read_checkpoint_info(const std::string &path) {
    const common::SafetensorsFile file(path);
    const auto it = file.metadata().find("config");
    if (it == file.metadata().end())
        throw std::runtime_error(path + ": no model config in the checkpoint metadata (write it with hrm convert)");
    toml::table cfg;
    try {
        cfg = toml::parse(it->second, std::string_view(path + ":config"));
    } catch (const toml::parse_error &e) {
        throw std::runtime_error(path +
                                 ": the config in the metadata is not valid TOML: " + std::string(e.description()));
    }
    const auto arch = cfg["model"]["arch"].value<std::string>();
    if (!arch) throw std::runtime_error(path + ": the config in the metadata has no model.arch");
    return CheckpointInfo{*arch, it->second};
}

std::string describe_model(const std::string &config, int64_t n_params) {
    const toml::table cfg = toml::parse(config);
    const std::string arch = cfg["model"]["arch"].value_or(std::string("unknown"));
    std::string name = arch;
    if (arch == "trm") name = cfg["model"]["mlp_t"].value_or(false) ? "TRM-MLP" : "TRM-Att";
    if (arch == "hrm") name = "HRM";
    if (arch == "transformer") name = "Transformer";
    std::string count = std::to_string(n_params < 0 ? 0 : n_params);
    for (auto i = static_cast<std::ptrdiff_t>(count.size()) - 3; i > 0; i -= 3) count.insert(size_t(i), ",");
    return name + " (" + count + " parameters)";
}

ModelSource resolve_model(const std::string &arg, Weights weights) {
    fs::path p(arg);
    // RUN/latest/...: `latest` is a one-line file naming the step folder, not a folder.
    fs::path prefix;
    for (const auto &part : fs::path(arg)) {
        if (part == train::kLatestFile && fs::is_regular_file(prefix / part) && !fs::exists(p)) {
            fs::path rest = fs::relative(p, prefix / part);
            p = fs::path(train::resolve_checkpoint(prefix.empty() ? "." : prefix.string())) / rest;
            break;
        }
        prefix /= part;
    }
    ModelSource s;
    if (fs::is_regular_file(p)) {
        s.model_file = p.string();
        // A step folder's own model file is the step folder (so the same EMA rule applies).
        if (p.filename() == train::kModelFile && fs::exists(p.parent_path() / train::kStateFile))
            s.step_dir = p.parent_path().string();
    } else if (fs::is_directory(p)) {
        s.step_dir = train::resolve_checkpoint(p.string());
        s.model_file = (fs::path(s.step_dir) / train::kModelFile).string();
    } else {
        throw std::runtime_error(arg + ": no such model file, step folder or run folder");
    }
    if (!s.step_dir.empty() && weights == Weights::Default) {
        const fs::path state = fs::path(s.step_dir) / train::kStateFile;
        if (fs::exists(state)) {
            const common::SafetensorsFile st(state.string());
            for (const auto &t : st.tensors())
                if (t.name.rfind("ema.", 0) == 0) {
                    s.state_file = state.string();
                    break;
                }
        }
    }
    return s;
}

std::string ModelSource::describe() const {
    if (step_dir.empty()) return model_file;
    return step_dir + (state_file.empty() ? " (raw weights)" : " (EMA weights)");
}

Instance open_model(Runtime &runtime, const std::string &arg, const Config &config, Weights weights,
                    ModelSource *source) {
    const ModelSource src = resolve_model(arg, weights);
    const CheckpointInfo info = read_checkpoint_info(src.model_file);
    toml::table merged = toml::parse(info.config);
    if (const auto *overrides = config.table()["model"].as_table()) {
        auto *model = merged["model"].as_table();
        for (const auto &[key, value] : *overrides) model->insert_or_assign(key, value);
    }
    std::ostringstream text;
    text << merged;
    Instance instance = runtime.create(HRM_KIND_MODEL, info.arch, text.str(), src.model_file.c_str());
    if (!src.state_file.empty()) {
        // The EMA replaces the trainable values in place (writable views: the training extension).
        train::ModelRef model(instance.model(), {hrm_status_code, hrm_status_message, hrm_status_free}, false);
        const common::SafetensorsFile st(src.state_file);
        for (train::Param &p : model.params()) {
            const auto *t = p.trainable ? st.find("ema." + p.name) : nullptr;
            if (!t) continue;
            if (t->nbytes != size_t(p.numel) * sizeof(float))
                throw std::runtime_error(src.state_file + ": the EMA of " + p.name + " has the wrong size");
            std::memcpy(p.f32(), t->data, t->nbytes);
        }
        model.params_changed();
    }
    if (source) *source = src;
    return instance;
}

std::string bundled_model_path(const std::string &task) {
    // The runner lives in <build>/bin or <prefix>/bin; bundled models in <source>/models or
    // <prefix>/share/hrm/models.
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    std::vector<fs::path> places;
    if (n > 0) {
        const fs::path bin = fs::path(std::string(exe, size_t(n))).parent_path();
        places.push_back(bin.parent_path() / "share" / "hrm" / "models");
        places.push_back(fs::path(HRM_SOURCE_DIR) / "models");
    }
    std::string looked;
    for (const auto &dir : places) {
        const fs::path p = dir / (task + ".safetensors");
        if (fs::exists(p)) return p.string();
        looked += "\n  " + p.string();
    }
    throw std::runtime_error("no bundled model for task '" + task + "'; give --model (looked in:" + looked + ")");
}

Instance open_encoder_for_model(Runtime &runtime, const std::string &task, const Config &config,
                                std::string &model_path) {
    Instance encoder = runtime.create(HRM_KIND_ENCODER, task, config.section_text("task"));
    if (model_path.empty()) model_path = bundled_model_path(encoder.encoder()->desc->name);
    if (config.table()["task"].as_table()) return encoder;
    const toml::table stored =
        toml::parse(read_checkpoint_info(resolve_model(model_path, Weights::Raw).model_file).config);
    const toml::table *table = stored["task"].as_table();
    if (!table) return encoder;
    std::ostringstream text;
    text << toml::table{{"task", *table}};
    return runtime.create(HRM_KIND_ENCODER, task, text.str());
}

}  // namespace hrm::runner
