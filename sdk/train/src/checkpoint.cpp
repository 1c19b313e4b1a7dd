#include "hrm/train/checkpoint.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include <hrm/common/checkpoint.hpp>
#include <hrm/common/error.hpp>
#include <hrm/common/safetensors.hpp>

#include "hrm/train/engine.hpp"

namespace hrm::train {

namespace fs = std::filesystem;
using common::DType;

namespace {

constexpr const char *kStateFormat = "hrm-sdk.train-state/1";

void fsync_path(const fs::path &p) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

std::string read_text(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw Error(HRM_E_IO, "cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text(const fs::path &p, const std::string &text) {
    common::AtomicWriter w(p.string());
    w.write(text.data(), text.size());
    w.commit();
}

// Exact round trip of a float32 (the optimizer's step count) through text.
std::string float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return std::to_string(u);
}
float bits_float(const std::string &s) {
    const uint32_t u = uint32_t(std::stoul(s));
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

const std::string &meta(const common::SafetensorsFile &f, const char *key) {
    const auto it = f.metadata().find(key);
    if (it == f.metadata().end()) throw Error(HRM_E_FORMAT, f.path() + ": no '" + key + "' in the metadata");
    return it->second;
}

void copy_into(const common::SafetensorsFile &f, const std::string &name, DType dtype, const std::vector<int64_t> &shape,
               void *dst) {
    const common::TensorView &t = f.get(name, dtype, shape);
    std::memcpy(dst, t.data, t.nbytes);
}

}  // namespace

std::string resolve_checkpoint(const std::string &dir) {
    const fs::path d(dir);
    if (fs::exists(d / kModelFile)) return d.string();
    const fs::path latest = d / kLatestFile;
    if (!fs::exists(latest)) throw Error(HRM_E_NOT_FOUND, dir + ": neither a step folder nor a checkpoint directory with 'latest'");
    std::string name = read_text(latest);
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' ')) name.pop_back();
    const fs::path step = d / name;
    if (name.empty() || name.find('/') != std::string::npos || !fs::exists(step / kModelFile))
        throw Error(HRM_E_FORMAT, latest.string() + " names '" + name + "', which is not a complete step folder");
    return step.string();
}

std::string Engine::save_checkpoint(const std::string &dir) {
    const fs::path root(dir);
    fs::create_directories(root);
    const std::string name = "step_" + std::to_string(step_);
    const fs::path final_dir = root / name;
    // Already saved and published (e.g. Ctrl-C right after an interval checkpoint): nothing to do.
    // Never replace the folder `latest` names.
    if (fs::exists(root / kLatestFile)) {
        std::string current = read_text(root / kLatestFile);
        while (!current.empty() && (current.back() == '\n' || current.back() == '\r' || current.back() == ' ')) current.pop_back();
        if (current == name && fs::exists(final_dir / kModelFile)) return final_dir.string();
    }

    const fs::path tmp = root / ("." + name + ".tmp." + std::to_string(::getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp);

    // Weights: every param_get entry under its reference key, the model config in the metadata.
    std::vector<common::NamedTensor> weights;
    for (const Param &p : m_.params()) weights.push_back({p.name, p.tensor});
    common::save_model_checkpoint((tmp / kModelFile).string(), weights, cfg_.model_config,
                                  {{"step", std::to_string(step_)}});

    // Optimizer, EMA, training carry.
    std::vector<common::TensorRef> t;
    for (size_t j = 0; j < trainable_.size(); ++j) {
        const Param &p = m_.params()[trainable_[j]];
        t.push_back({"adam.m." + p.name, DType::F32, p.shape, adam_.exp_avg()[j].data()});
        t.push_back({"adam.v." + p.name, DType::F32, p.shape, adam_.exp_avg_sq()[j].data()});
        if (cfg_.ema > 0) t.push_back({"ema." + p.name, DType::F32, p.shape, ema_[j].data()});
    }
    const int64_t B = carry_.rows, S = carry_.seq_len;
    t.push_back({"carry.inputs", DType::I32, {B, S}, carry_.inputs.data()});
    t.push_back({"carry.labels", DType::I32, {B, S}, carry_.labels.data()});
    t.push_back({"carry.puzzle_ids", DType::I32, {B}, carry_.puzzle_ids.data()});
    t.push_back({"carry.steps", DType::I32, {B}, carry_.steps.data()});
    t.push_back({"carry.halted", DType::U8, {B}, carry_.halted.data()});
    // The model carry: views stay valid only until the next call on a state, so copy them first.
    std::vector<std::vector<uint8_t>> bytes;
    std::vector<std::pair<std::string, State::Carry>> carries;
    for (size_t k = 0; k < shards_.size(); ++k) {
        State &st = shards_[k]->state();
        for (int64_t i = 0; i < st.carry_count(); ++i) {
            const State::Carry c = st.carry(i);
            bytes.emplace_back(static_cast<const uint8_t *>(c.data), static_cast<const uint8_t *>(c.data) + c.nbytes);
            carries.push_back({"model_carry." + std::to_string(k) + "." + c.name, c});
        }
    }
    for (size_t i = 0; i < carries.size(); ++i)
        t.push_back({carries[i].first, common::from_hrm_dtype(carries[i].second.dtype), carries[i].second.shape,
                     bytes[i].data()});
    const TrainSampler::Position pos = sampler_ ? sampler_->position() : TrainSampler::Position{};
    const std::map<std::string, std::string> md = {
        {"format", kStateFormat},
        {"step", std::to_string(step_)},
        {"adam_step_bits", float_bits(adam_.step_count())},
        {"sampler_iter", std::to_string(pos.iter)},
        {"sampler_cursor", std::to_string(pos.cursor)},
        {"sampler_rng", std::to_string(pos.rng)},
        {"rng", std::to_string(rng_.state())},
        {"exhausted", exhausted_ ? "1" : "0"},
        {"global_batch_size", std::to_string(cfg_.global_batch_size)},
        {"shard_size", std::to_string(cfg_.shard_size)},
        {"ema", cfg_.ema > 0 ? "1" : "0"},
    };
    common::write_safetensors((tmp / kStateFile).string(), t, md);
    write_text(tmp / kConfigFile, cfg_.config_text);
    fsync_path(tmp);

    // Publish: the complete folder under its final name, then the pointer. A stale folder of the
    // same name (a crash after a rename but before `latest` moved) is not referenced: replace it.
    fs::remove_all(final_dir);
    fs::rename(tmp, final_dir);
    fsync_path(root);
    write_text(root / kLatestFile, name + "\n");
    return final_dir.string();
}

void Engine::resume(const std::string &dir) {
    const std::string step_dir = resolve_checkpoint(dir);
    const common::SafetensorsFile model((fs::path(step_dir) / kModelFile).string());
    for (Param &p : m_.params())
        copy_into(model, p.name, common::from_hrm_dtype(p.tensor.dtype), p.shape,
                  static_cast<char *>(p.tensor.data) + p.tensor.byte_offset);
    m_.params_changed();

    const common::SafetensorsFile st((fs::path(step_dir) / kStateFile).string());
    if (meta(st, "format") != kStateFormat) throw Error(HRM_E_FORMAT, st.path() + ": not a training state");
    if (std::stoll(meta(st, "global_batch_size")) != cfg_.global_batch_size || std::stoll(meta(st, "shard_size")) != cfg_.shard_size)
        throw Error(HRM_E_INVALID_ARG, st.path() + ": saved with global_batch_size " + meta(st, "global_batch_size") +
                                           " and shard_size " + meta(st, "shard_size") +
                                           "; resume needs the same values (the carry is laid out by them)");
    if ((meta(st, "ema") == "1") != (cfg_.ema > 0)) throw Error(HRM_E_INVALID_ARG, st.path() + ": ema on/off differs from the config");
    for (size_t j = 0; j < trainable_.size(); ++j) {
        const Param &p = m_.params()[trainable_[j]];
        copy_into(st, "adam.m." + p.name, DType::F32, p.shape, adam_.exp_avg()[j].data());
        copy_into(st, "adam.v." + p.name, DType::F32, p.shape, adam_.exp_avg_sq()[j].data());
        if (cfg_.ema > 0) copy_into(st, "ema." + p.name, DType::F32, p.shape, ema_[j].data());
    }
    adam_.set_step_count(bits_float(meta(st, "adam_step_bits")));
    const int64_t B = carry_.rows, S = carry_.seq_len;
    copy_into(st, "carry.inputs", DType::I32, {B, S}, carry_.inputs.data());
    copy_into(st, "carry.labels", DType::I32, {B, S}, carry_.labels.data());
    copy_into(st, "carry.puzzle_ids", DType::I32, {B}, carry_.puzzle_ids.data());
    copy_into(st, "carry.steps", DType::I32, {B}, carry_.steps.data());
    copy_into(st, "carry.halted", DType::U8, {B}, carry_.halted.data());
    for (size_t k = 0; k < shards_.size(); ++k) {
        State &s = shards_[k]->state();
        // The shard's rows must be initialised before their carry is overwritten.
        s.reset({});
        for (int64_t i = 0; i < s.carry_count(); ++i) {
            const State::Carry c = s.carry(i);
            copy_into(st, "model_carry." + std::to_string(k) + "." + c.name, common::from_hrm_dtype(c.dtype), c.shape, c.data);
        }
    }
    step_ = std::stoll(meta(st, "step"));
    exhausted_ = meta(st, "exhausted") == "1";
    rng_.set_state(std::stoull(meta(st, "rng")));
    if (sampler_) {
        TrainSampler::Position pos;
        pos.iter = std::stoll(meta(st, "sampler_iter"));
        pos.cursor = std::stoll(meta(st, "sampler_cursor"));
        pos.rng = std::stoull(meta(st, "sampler_rng"));
        sampler_->restore(pos);
    }
}

}  // namespace hrm::train
