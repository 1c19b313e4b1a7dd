#include "model_file.hpp"

#include <filesystem>
#include <sstream>

#include <unistd.h>

#include <hrm/common/safetensors.hpp>

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
        throw std::runtime_error(path + ": the config in the metadata is not valid TOML: " + std::string(e.description()));
    }
    const auto arch = cfg["model"]["arch"].value<std::string>();
    if (!arch) throw std::runtime_error(path + ": the config in the metadata has no model.arch");
    return CheckpointInfo{*arch, it->second};
}

Instance open_model(Runtime &runtime, const std::string &path, const Config &config) {
    const CheckpointInfo info = read_checkpoint_info(path);
    toml::table merged = toml::parse(info.config);
    if (const auto *overrides = config.table()["model"].as_table()) {
        auto *model = merged["model"].as_table();
        for (const auto &[key, value] : *overrides) model->insert_or_assign(key, value);
    }
    std::ostringstream text;
    text << merged;
    return runtime.create(HRM_KIND_MODEL, info.arch, text.str(), path.c_str());
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
    const toml::table stored = toml::parse(read_checkpoint_info(model_path).config);
    const toml::table *table = stored["task"].as_table();
    if (!table) return encoder;
    std::ostringstream text;
    text << toml::table{{"task", *table}};
    return runtime.create(HRM_KIND_ENCODER, task, text.str());
}

}  // namespace hrm::runner
