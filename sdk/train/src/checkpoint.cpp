#include "hrm/train/checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <hrm/common/checkpoint.hpp>
#include <hrm/common/error.hpp>
#include <hrm/common/safetensors.hpp>

#include "hrm/train/engine.hpp"
#include "hrm/train/train_state.hpp"

namespace hrm::train {

namespace fs = std::filesystem;
using common::DType;

namespace {

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

// Exact round trip of a float32 (the optimizer's step count) through text; read back by
// read_train_state_meta (train_state.cpp).
std::string float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return std::to_string(u);
}

// Temporary entries of a run folder (".step_N.tmp.PID/", "latest.tmp.PID", and the runner's
// "curve.svg.tmp.PID") of processes that no longer run: a kill or ENOSPC while one was written
// left it forever, and on a full disk it kept the space the retry needed (issue #24). Only these
// names: nothing a user put there is touched. Another live trainer's are left alone.
void remove_stale_temporaries(const fs::path &root) {
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(root, ec)) {
        const std::string n = e.path().filename().string();
        const auto at = n.rfind(".tmp.");
        const bool ours = at != std::string::npos && (n.rfind(".step_", 0) == 0 || n.rfind("latest.tmp.", 0) == 0 ||
                                                      n.rfind("curve.svg.tmp.", 0) == 0);
        if (!ours) continue;
        const std::string pid_text = n.substr(at + 5);
        if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
        const pid_t pid = pid_t(std::stol(pid_text));
        if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
        fs::remove_all(e.path(), ec);
    }
}

void copy_into(const common::SafetensorsFile &f, const std::string &name, DType dtype, const std::vector<int64_t> &shape,
               void *dst) {
    const common::TensorView &t = f.get(name, dtype, shape);
    std::memcpy(dst, t.data, t.nbytes);
}

// f() on rank 0, its result on every rank. A failure on rank 0 is rethrown there as it was and
// thrown on the other ranks with its message, so that no rank waits in a later collective.
template <class F>
std::string on_rank0(Comm &comm, F &&f) {
    std::string outcome;   // "1" + f's result, or "0" + rank 0's error
    std::exception_ptr failure;
    if (comm.rank() == 0) {
        try {
            outcome = "1" + f();
        } catch (const std::exception &e) {
            failure = std::current_exception();
            outcome = std::string("0") + e.what();
        }
    }
    comm.broadcast(outcome, 0);
    if (failure) std::rethrow_exception(failure);
    if (outcome.empty() || outcome[0] != '1')
        throw Error(HRM_E_IO, "on rank 0: " + outcome.substr(outcome.empty() ? 0 : 1));
    return outcome.substr(1);
}

struct ModelCarry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::string bytes;
};

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

std::string Engine::pack_carries() {
    BytesWriter p;
    const int64_t S = carry_.seq_len;
    for (size_t i = 0; i < shards_.size(); ++i) {
        ActShard &shard = *shards_[i];
        const int64_t k = shard_first_ + int64_t(i), b = shard.begin(), n = shard.rows();
        p.put(k);
        p.put(b);
        p.put(n);
        p.put_bytes(&carry_.inputs[size_t(b * S)], size_t(n * S) * sizeof(int32_t));
        p.put_bytes(&carry_.labels[size_t(b * S)], size_t(n * S) * sizeof(int32_t));
        p.put_bytes(&carry_.puzzle_ids[size_t(b)], size_t(n) * sizeof(int32_t));
        p.put_bytes(&carry_.steps[size_t(b)], size_t(n) * sizeof(int32_t));
        p.put_bytes(&carry_.halted[size_t(b)], size_t(n));
        // Each view is copied before the next call on the state invalidates it.
        State &st = shard.state();
        const int64_t count = st.carry_count();
        p.put(count);
        for (int64_t c = 0; c < count; ++c) {
            const State::Carry v = st.carry(c);
            p.put_str(v.name);
            p.put(int32_t(v.dtype));
            p.put(uint64_t(v.shape.size()));
            for (int64_t d : v.shape) p.put(d);
            p.put(uint64_t(v.nbytes));
            p.put_bytes(v.data, v.nbytes);
        }
    }
    return std::move(p.s);
}

std::string Engine::save_checkpoint(const std::string &dir) {
    // Rank 0 writes the carry rows and model carries of every shard, gathered from their ranks.
    const std::vector<std::string> parts = comm_.gather(pack_carries(), 0);
    return on_rank0(comm_, [&] { return write_checkpoint(dir, parts); });
}

std::string Engine::write_checkpoint(const std::string &dir, const std::vector<std::string> &parts) {
    const fs::path root(dir);
    fs::create_directories(root);
    const std::string name = "step_" + std::to_string(step_);
    const fs::path final_dir = root / name;
    remove_stale_temporaries(root);
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
    // A failed write (a full disk, an I/O error) removes the partial folder at once: left behind,
    // it kept the space the next try needs. `latest` still names the last complete step.
    struct RemoveOnFailure {
        const fs::path &tmp;
        bool done = false;
        ~RemoveOnFailure() {
            std::error_code ec;
            if (!done) fs::remove_all(tmp, ec);
        }
    } guard{tmp};

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
    // The training carry and the model carry of every shard, in shard order (the ranks' parts come
    // in rank order, each with its shards in order).
    const int64_t B = carry_.rows, S = carry_.seq_len;
    ActCarry carry = carry_;
    std::vector<ModelCarry> model_carries;
    int64_t next_shard = 0;
    for (const std::string &part : parts) {
        BytesReader u{part};
        while (!u.done()) {
            const auto k = u.get<int64_t>(), b = u.get<int64_t>(), n = u.get<int64_t>();
            if (k != next_shard++ || b < 0 || n < 0 || b + n > B)
                throw Error(HRM_E_INTERNAL, "checkpoint: shards out of order");
            std::memcpy(&carry.inputs[size_t(b * S)], u.take(size_t(n * S) * 4), size_t(n * S) * 4);
            std::memcpy(&carry.labels[size_t(b * S)], u.take(size_t(n * S) * 4), size_t(n * S) * 4);
            std::memcpy(&carry.puzzle_ids[size_t(b)], u.take(size_t(n) * 4), size_t(n) * 4);
            std::memcpy(&carry.steps[size_t(b)], u.take(size_t(n) * 4), size_t(n) * 4);
            std::memcpy(&carry.halted[size_t(b)], u.take(size_t(n)), size_t(n));
            const auto count = u.get<int64_t>();
            for (int64_t c = 0; c < count; ++c) {
                ModelCarry m;
                m.name = "model_carry." + std::to_string(k) + "." + u.get_str();
                m.dtype = common::from_hrm_dtype(hrm_dtype(u.get<int32_t>()));
                m.shape.resize(size_t(u.get<uint64_t>()));
                for (int64_t &d : m.shape) d = u.get<int64_t>();
                const auto nbytes = size_t(u.get<uint64_t>());
                m.bytes.assign(u.take(nbytes), nbytes);
                model_carries.push_back(std::move(m));
            }
        }
    }
    if (next_shard != (B + cfg_.shard_size - 1) / cfg_.shard_size)
        throw Error(HRM_E_INTERNAL, "checkpoint: shards missing");
    t.push_back({"carry.inputs", DType::I32, {B, S}, carry.inputs.data()});
    t.push_back({"carry.labels", DType::I32, {B, S}, carry.labels.data()});
    t.push_back({"carry.puzzle_ids", DType::I32, {B}, carry.puzzle_ids.data()});
    t.push_back({"carry.steps", DType::I32, {B}, carry.steps.data()});
    t.push_back({"carry.halted", DType::U8, {B}, carry.halted.data()});
    for (const ModelCarry &m : model_carries) t.push_back({m.name, m.dtype, m.shape, m.bytes.data()});
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
    guard.done = true;
    fsync_path(root);
    write_text(root / kLatestFile, name + "\n");
    return final_dir.string();
}

void Engine::resume(const std::string &dir) {
    // Every rank loads the folder rank 0 resolves: a `latest` replaced between the ranks' reads
    // must not give them different steps. (The folder must be readable on every node.)
    const std::string step_dir = on_rank0(comm_, [&] { return resolve_checkpoint(dir); });
    const common::SafetensorsFile model((fs::path(step_dir) / kModelFile).string());
    for (Param &p : m_.params())
        copy_into(model, p.name, common::from_hrm_dtype(p.tensor.dtype), p.shape,
                  static_cast<char *>(p.tensor.data) + p.tensor.byte_offset);
    m_.params_changed();

    const common::SafetensorsFile st((fs::path(step_dir) / kStateFile).string());
    // Every field is checked before anything is used (train_state.hpp).
    const auto &spec = m_.spec();
    TrainStateExpect expect;
    expect.global_batch_size = cfg_.global_batch_size;
    expect.shard_size = cfg_.shard_size;
    expect.ema = cfg_.ema > 0;
    expect.seq_len = carry_.seq_len;
    expect.vocab_size = spec.vocab_size;
    expect.num_puzzle_identifiers = spec.num_puzzle_identifiers;
    expect.halt_max_steps = act_.halt_max_steps;
    const TrainStateMeta meta = read_train_state_meta(st, expect);
    ActCarry carry;
    read_train_carry(st, expect, carry);
    if (sampler_) {
        try {
            sampler_->restore(meta.sampler);
        } catch (const std::invalid_argument &e) {
            throw Error(HRM_E_FORMAT, st.path() + ": " + e.what());
        }
    }
    for (size_t j = 0; j < trainable_.size(); ++j) {
        const Param &p = m_.params()[trainable_[j]];
        copy_into(st, "adam.m." + p.name, DType::F32, p.shape, adam_.exp_avg()[j].data());
        copy_into(st, "adam.v." + p.name, DType::F32, p.shape, adam_.exp_avg_sq()[j].data());
        if (cfg_.ema > 0) copy_into(st, "ema." + p.name, DType::F32, p.shape, ema_[j].data());
    }
    adam_.set_step_count(meta.adam_step);
    carry_ = std::move(carry);
    for (size_t k = 0; k < shards_.size(); ++k) {
        State &s = shards_[k]->state();
        // The shard's rows must be initialised before their carry is overwritten.
        s.reset({});
        const std::string prefix = "model_carry." + std::to_string(shard_first_ + int64_t(k)) + ".";
        for (int64_t i = 0; i < s.carry_count(); ++i) {
            const State::Carry c = s.carry(i);
            copy_into(st, prefix + c.name, common::from_hrm_dtype(c.dtype), c.shape, c.data);
        }
    }
    step_ = meta.step;
    exhausted_ = meta.exhausted;
    rng_.set_state(meta.rng);
}

}  // namespace hrm::train
