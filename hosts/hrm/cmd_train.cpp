// hrm train CONFIG.toml [--set k=v] [-o DIR] | hrm train --resume DIR: train a model with the
// reference recipe (docs/training.md), or continue a run under the config its checkpoint holds.
// The config has a [model] table (the model plugin's config; vocab_size, seq_len and
// num_puzzle_identifiers default to the dataset's) and a [train] table. Evaluates and
// checkpoints every N steps; Ctrl-C stops between steps and writes a checkpoint to resume from.
// Under mpirun each rank computes its shards of every batch (docs/distributed.md); rank 0 alone
// writes the checkpoints, the metrics and the output.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <hrm/train/checkpoint.hpp>
#include <hrm/train/curve.hpp>
#include <hrm/train/engine.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "train_config.hpp"

using namespace hrm::runner;
namespace fs = std::filesystem;

namespace {

std::atomic<int> g_interrupted{0};        // the signal that asked to stop, 0 = none
std::atomic<bool> g_checkpointing{false};  // a checkpoint is being written
std::atomic<bool> g_second{false};         // a second signal arrived during that write
// The first Ctrl-C (or SIGTERM) asks for a checkpoint at the end of the current step; a second one
// ends the process at once, except in the middle of a checkpoint write, which it lets finish (a
// second Ctrl-C within ~40 ms used to abort the interrupt checkpoint, issue #24). Any thread may
// run this (oneTBB workers do not block signals), so it only touches atomics and _exit.
void on_stop_signal(int sig) {
    if (g_interrupted == 0) g_interrupted = sig;
    else if (g_checkpointing) g_second = true;
    else ::_exit(128 + sig);
}

std::string duration(double seconds) {
    const int64_t s = int64_t(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
    else std::snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    return buf;
}

// The [model] table with the dataset's sizes filled in where the config leaves them out (the
// reference injects vocab_size, seq_len and num_puzzle_identifiers at run time, spec 1.1).
std::string model_config_text(const Config &config, const hrm::data::Metadata &meta) {
    const toml::table *model = config.table()["model"].as_table();
    if (!model || !model->contains("arch")) throw ConfigError("the training config needs a [model] table with arch");
    toml::table m = *model;
    if (!m.contains("vocab_size")) m.insert("vocab_size", meta.vocab_size);
    if (!m.contains("seq_len")) m.insert("seq_len", meta.seq_len);
    if (!m.contains("num_puzzle_identifiers")) m.insert("num_puzzle_identifiers", meta.num_puzzle_identifiers);
    toml::table root;
    root.insert("model", m);
    std::ostringstream text;
    text << root;
    return text.str();
}

// The model's config plus the training config's [task] table: the encoder options the data was
// built with (e.g. a maze canvas), so that `hrm solve` can encode puzzles the way the model saw them.
std::string with_task_table(const std::string &model_config, const Config &config) {
    const toml::table *task = config.table()["task"].as_table();
    if (!task) return model_config;
    toml::table root = toml::parse(model_config);
    root.insert_or_assign("task", *task);
    std::ostringstream text;
    text << root;
    return text.str();
}

// One trainer per output folder: two used to interleave their checkpoints and metrics (issue
// #24). An flock on DIR/.lock, held until the process ends (the kernel drops it on kill -9 too).
void lock_output(const std::string &dir) {
    const std::string path = (fs::path(dir) / ".lock").string();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw ConfigError("cannot create " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        throw ConfigError(dir + " is in use by another `hrm train` (" + path + " is locked); wait for it or use another -o");
    }
    // fd stays open on purpose: the lock lives as long as this process.
}

// Keys that change how a run is watched or where it runs, never what it computes: a resume may
// change them freely (evaluation has its own carry; results do not depend on the thread count).
const char *const kRunWatchKeys[] = {"train.threads", "train.out", "train.log_interval", "train.eval_interval",
                                     "train.checkpoint_interval", "train.eval_batch_size"};

void check_same_run(const Config &stored, const Config &now, const std::string &stored_file) {
    std::string changed;
    for (const Config::Difference &d : stored.differences(now)) {
        bool watch = false;
        for (const char *k : kRunWatchKeys) watch = watch || d.key == k;
        if (!watch) changed += "\n  " + d.key + ": " + d.was + " -> " + d.now;
    }
    if (!changed.empty())
        throw ConfigError("--resume: this config changes the run stored in " + stored_file + ":" + changed +
                          "\nresume without a config or --set to continue the run as it was, or add --reconfigure to "
                          "continue it under the new values");
}

// The run folder of a step folder (its parent), tolerating a trailing '/'.
std::string run_folder_of(const std::string &step_dir) {
    fs::path p = fs::path(step_dir).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    return p.parent_path().string();
}

hrm_precision parse_precision(const std::string &s, hrm_precision fallback) {
    if (s.empty()) return fallback;
    return s == "bf16" ? HRM_PRECISION_BF16 : HRM_PRECISION_FP32;   // checked by read_train_config
}

}  // namespace

int cmd_train(int argc, char **argv) {
    CommonOptions common;
    std::string config_file, resume, out_dir;
    bool reconfigure = false;
    int threads = -1;
    int64_t stop_at = 0;
    po::options_description opts("hrm train options");
    opts.add_options()
        ("train-config", po::value(&config_file), "training config (TOML with [model] and [train]); with --resume, "
                                                  "default: the run's own (its checkpoint's config.toml)")
        ("resume", po::value(&resume), "continue from a checkpoint directory (its `latest`) or a step folder")
        ("reconfigure", po::bool_switch(&reconfigure), "with --resume: continue under a config that differs from the "
                                                       "run's (refused otherwise)")
        ("out,o", po::value(&out_dir), "checkpoint and metrics folder (default: train.out, else runs/<config name>)")
        ("threads", po::value(&threads), "worker threads (default: train.threads)")
        ("stop-at", po::value(&stop_at), "stop after this step, checkpointed, as if interrupted: the schedule stays "
                                         "the one of train.steps, so --resume continues it exactly");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("train-config", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm train CONFIG.toml [--set train.lr=3e-4] [-o DIR] | hrm train --resume DIR",
                            opts, pos, vm);
        rc >= 0)
        return rc;
    // --resume continues the run as it was configured (issue #24: a resume under another config
    // silently trained a different run): the checkpoint's config.toml is the config unless one is
    // named, and a named config or --set that changes anything but how the run is watched or
    // where it runs is refused unless --reconfigure says so.
    const std::string step_dir = resume.empty() ? std::string() : hrm::train::resolve_checkpoint(resume);
    const std::string stored = step_dir.empty() ? std::string() : (fs::path(step_dir) / hrm::train::kConfigFile).string();
    if (config_file.empty() && stored.empty())
        throw ConfigError("hrm train: name a training config (hrm train CONFIG.toml) or a run to continue (--resume DIR)");
    if (config_file.empty()) config_file = stored;
    common.configs.insert(common.configs.begin(), config_file);
    const Config config = load_config(common);
    if (!stored.empty() && !reconfigure) check_same_run(Config::load({stored}, {}), config, stored);
    // Every [train] key checked (train_config.cpp) before the data is read.
    TrainSettings settings = read_train_config(config, config_file, threads);
    hrm::train::EngineConfig &ec = settings.engine;
    const int64_t eval_interval = settings.eval_interval, checkpoint_interval = settings.checkpoint_interval;
    const int64_t log_interval = settings.log_interval;

    // Data: <data>/train is required, <data>/test is evaluated when present.
    const std::string &data = settings.data;
    const hrm::data::Split train = hrm::data::read_split((fs::path(data) / "train").string());
    std::unique_ptr<hrm::data::Split> test;
    if (fs::exists(fs::path(data) / "test" / "dataset.json"))
        test = std::make_unique<hrm::data::Split>(hrm::data::read_split((fs::path(data) / "test").string()));

    hrm::train::Comm &comm = world();
    const bool root = comm.rank() == 0;
    // A resumed run writes where it was (train.out may name another folder than the -o it ran with).
    if (out_dir.empty() && !resume.empty())
        out_dir = step_dir == resume ? run_folder_of(step_dir) : resume;
    if (out_dir.empty()) out_dir = settings.out;
    if (out_dir.empty()) out_dir = (fs::path("runs") / fs::path(config_file).stem()).string();
    if (root) {
        fs::create_directories(out_dir);
        lock_output(out_dir);
        ec.metrics_path = (fs::path(out_dir) / "metrics.jsonl").string();
    }
    ec.config_text = config.text();
    ec.comm = &comm;

    hrm::Runtime runtime = open_runtime(common, ec.threads);
    const std::string arch = config.get_string("model.arch", "");
    hrm::Instance instance = runtime.create(HRM_KIND_MODEL, arch, model_config_text(config, train.meta), nullptr, ec.seed);
    hrm::train::ModelRef model(instance.model(), {hrm_status_code, hrm_status_message, hrm_status_free});
    ec.precision = parse_precision(settings.precision, model.spec().default_precision);
    ec.model_config = with_task_table(model.spec().config ? model.spec().config : "", config);

    hrm::train::Engine engine(model, ec, &train, test.get());
    if (!resume.empty()) {
        engine.resume(step_dir);
        if (root)
            std::cerr << "resumed from " << step_dir << " at step " << engine.step()
                      << "\n";
    }
    engine.check_replicas();
    if (root)
        std::cerr << "training " << arch << " (" << model.spec().n_params << " params) on " << data << ": "
                  << train.examples() << " examples, batch " << ec.global_batch_size << ", " << engine.total_steps()
                  << " steps, "
                  << (comm.size() > 1 ? std::to_string(comm.size()) + " ranks x " : std::string()) << ec.threads
                  << " thread(s); writing " << out_dir << "\n";

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);   // SIGTERM never checkpointed before (issue #24)
    // Under mpirun, rank 0's standard output is a pseudo-terminal even when mpirun's is a file: plain
    // lines there.
    const bool terminal = comm.size() == 1 && stdout_is_terminal();
    const auto start = std::chrono::steady_clock::now();
    const int64_t first_step = engine.step();
    auto evaluate = [&] {
        const auto e = engine.evaluate();
        if (!root) return;
        if (terminal) std::cout << "\n";
        std::cout << "eval step " << e.step << ": exact " << e.exact_accuracy << "  accuracy " << e.accuracy
                  << "  q_halt_accuracy " << e.q_halt_accuracy << "  steps " << e.steps << "  (" << e.count << " puzzles)"
                  << std::endl;
    };
    int64_t saved_step = -1;
    auto checkpoint = [&] {
        if (engine.step() == saved_step) return;
        saved_step = engine.step();
        g_checkpointing = true;
        const std::string dir = engine.save_checkpoint(out_dir);
        g_checkpointing = false;
        if (g_second) {   // asked twice: the checkpoint is complete, stop now
            if (root) std::cout << "checkpoint " << dir << std::endl;
            ::_exit(128 + g_interrupted);
        }
        if (!root) return;
        hrm::train::write_training_curve(ec.metrics_path, (fs::path(out_dir) / "curve.svg").string());
        if (terminal) std::cout << "\n";
        std::cout << "checkpoint " << dir << std::endl;
    };
    if (stop_at > 0 && stop_at <= engine.step())
        throw ConfigError("--stop-at " + std::to_string(stop_at) + " is not after the current step " +
                          std::to_string(engine.step()));
    // A signal on any rank stops every rank after the same step (mpirun sends SIGTERM to all, but
    // they need not see it between the same two steps): the ranks agree on it before each step.
    bool interrupted = false;
    auto stop_asked = [&] { return interrupted = comm.any(g_interrupted != 0); };
    while (!engine.done() && !stop_asked() && (stop_at <= 0 || engine.step() < stop_at)) {
        const auto m = engine.train_step();
        if (!m) break;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double per_step = elapsed / double(m->step - first_step);
        char line[256];
        std::snprintf(line, sizeof line,
                      "step %lld/%lld  loss %.4f  acc %.3f  exact %.3f  halt %.2f  lr %.2e  %.0f samples/s  ETA %s",
                      (long long)m->step, (long long)engine.total_steps(), m->loss, m->accuracy, m->exact_accuracy,
                      double(m->count) / double(ec.global_batch_size), m->lr,
                      double(ec.global_batch_size) / std::max(per_step, 1e-9),
                      duration(per_step * double(engine.total_steps() - m->step)).c_str());
        if (terminal) std::cout << "\r" << line << "\x1b[K" << std::flush;
        else if (root && m->step % log_interval == 0) std::cout << line << std::endl;
        if (test && eval_interval > 0 && m->step % eval_interval == 0) evaluate();
        if (checkpoint_interval > 0 && m->step % checkpoint_interval == 0) checkpoint();
    }
    // The last step is evaluated too (when evaluation is on), and always checkpointed: at the end,
    // after Ctrl-C, or when data ran out.
    stop_asked();
    if (!interrupted && test && eval_interval > 0 && engine.step() % eval_interval != 0) evaluate();
    checkpoint();
    const bool stopped = stop_at > 0 && engine.step() == stop_at && !engine.done();   // not when data ran out first
    if (root && (interrupted || stopped)) {
        // The checkpoint holds the run's whole config, so the folder alone continues it (run from
        // the same folder: train.data is relative to it). Single-quoted for the shell.
        std::string q = "'";
        for (char c : out_dir) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        const std::string again = (comm.size() > 1 ? "mpirun -np " + std::to_string(comm.size()) + " " : std::string()) +
                                  "hrm train --resume " + q + "'";
        std::cout << (interrupted ? "interrupted" : "stopped") << " at step " << engine.step()
                  << "; continue with: " << again << std::endl;
    }
    // An interrupted run is not a finished one: 128 + the signal, as a shell reports it.
    return interrupted ? 128 + (g_interrupted ? int(g_interrupted) : SIGTERM) : 0;
}
