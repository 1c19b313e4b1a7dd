// hrm train CONFIG.toml [--set k=v] [--resume DIR] [-o DIR]: train a model with the reference
// recipe (docs/training.md). The config has a [model] table (the model plugin's config; vocab_size,
// seq_len and num_puzzle_identifiers default to the dataset's) and a [train] table. Evaluates and
// checkpoints every N steps; Ctrl-C stops between steps and writes a checkpoint to resume from.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <hrm/train/checkpoint.hpp>
#include <hrm/train/curve.hpp>
#include <hrm/train/engine.hpp>

#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;
namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_interrupted{false};
// The first Ctrl-C asks for a checkpoint at the end of the current step; a second one kills.
void on_sigint(int) {
    g_interrupted = true;
    std::signal(SIGINT, SIG_DFL);
}

const char *const kTrainKeys[] = {
    "data", "out", "global_batch_size", "epochs", "steps", "epochs_per_iter", "lr", "lr_min_ratio",
    "lr_warmup_steps", "weight_decay", "beta1", "beta2", "puzzle_emb_lr", "puzzle_emb_weight_decay", "loss",
    "eval_interval", "checkpoint_interval", "log_interval", "seed", "precision", "threads", "shard_size", "ema",
    "halt_exploration_prob", "eval_batch_size"};

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

hrm_precision parse_precision(const std::string &s, hrm_precision fallback) {
    if (s.empty()) return fallback;
    if (s == "fp32") return HRM_PRECISION_FP32;
    if (s == "bf16") return HRM_PRECISION_BF16;
    throw ConfigError("train.precision must be \"fp32\" or \"bf16\", not \"" + s + "\"");
}

}  // namespace

int cmd_train(int argc, char **argv) {
    CommonOptions common;
    std::string config_file, resume, out_dir;
    int threads = -1;
    int64_t stop_at = 0;
    po::options_description opts("hrm train options");
    opts.add_options()
        ("train-config", po::value(&config_file)->required(), "training config (TOML with [model] and [train])")
        ("resume", po::value(&resume), "continue from a checkpoint directory (its `latest`) or a step folder")
        ("out,o", po::value(&out_dir), "checkpoint and metrics folder (default: train.out, else runs/<config name>)")
        ("threads", po::value(&threads), "worker threads (default: train.threads)")
        ("stop-at", po::value(&stop_at), "stop after this step, checkpointed, as if interrupted: the schedule stays "
                                         "the one of train.steps, so --resume continues it exactly");
    add_common_options(opts, common);
    po::positional_options_description pos;
    pos.add("train-config", 1);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm train CONFIG.toml [--set train.lr=3e-4] [--resume DIR] [-o DIR]", opts, pos, vm);
        rc >= 0)
        return rc;
    common.configs.insert(common.configs.begin(), config_file);
    const Config config = load_config(common);
    if (const toml::table *t = config.table()["train"].as_table())
        for (const auto &[k, v] : *t) {
            bool known = false;
            for (const char *name : kTrainKeys) known = known || k.str() == name;
            if (!known) throw ConfigError(config_file + ": unknown key train." + std::string(k.str()));
        }

    // Data: <data>/train is required, <data>/test is evaluated when present.
    const std::string data = config.get_string("train.data", "");
    if (data.empty()) throw ConfigError(config_file + ": train.data (the dataset folder) is required");
    const hrm::data::Split train = hrm::data::read_split((fs::path(data) / "train").string());
    std::unique_ptr<hrm::data::Split> test;
    if (fs::exists(fs::path(data) / "test" / "dataset.json"))
        test = std::make_unique<hrm::data::Split>(hrm::data::read_split((fs::path(data) / "test").string()));

    hrm::train::EngineConfig ec;
    ec.global_batch_size = config.get_int("train.global_batch_size", ec.global_batch_size);
    ec.epochs = config.get_int("train.epochs", 0);
    ec.steps = config.get_int("train.steps", 0);
    if (ec.epochs <= 0 && ec.steps <= 0) throw ConfigError(config_file + ": set train.epochs or train.steps");
    ec.epochs_per_iter = config.get_int("train.epochs_per_iter", 1);
    ec.lr = config.get_double("train.lr", ec.lr);
    ec.lr_min_ratio = config.get_double("train.lr_min_ratio", ec.lr_min_ratio);
    ec.lr_warmup_steps = config.get_int("train.lr_warmup_steps", ec.lr_warmup_steps);
    ec.weight_decay = config.get_double("train.weight_decay", ec.weight_decay);
    ec.beta1 = config.get_double("train.beta1", ec.beta1);
    ec.beta2 = config.get_double("train.beta2", ec.beta2);
    ec.puzzle_emb_lr = config.get_double("train.puzzle_emb_lr", ec.puzzle_emb_lr);
    ec.puzzle_emb_weight_decay = config.get_double("train.puzzle_emb_weight_decay", ec.puzzle_emb_weight_decay);
    const std::string loss = config.get_string("train.loss", "stablemax");
    if (loss != "stablemax" && loss != "softmax") throw ConfigError("train.loss must be \"stablemax\" or \"softmax\"");
    ec.loss = loss == "softmax" ? hrm::train::LossType::Softmax : hrm::train::LossType::Stablemax;
    ec.halt_exploration_prob =
        config.get_double("train.halt_exploration_prob", config.get_double("model.halt_exploration_prob", 0.1));
    ec.seed = uint64_t(config.get_int("train.seed", 0));
    ec.threads = threads > 0 ? threads : int(config.get_int("train.threads", 1));
    ec.shard_size = config.get_int("train.shard_size", ec.shard_size);
    ec.ema = config.get_double("train.ema", 0.0);
    ec.eval_batch_size = config.get_int("train.eval_batch_size", 0);
    const int64_t eval_interval = config.get_int("train.eval_interval", 0);
    const int64_t checkpoint_interval = config.get_int("train.checkpoint_interval", 0);
    const int64_t log_interval = std::max<int64_t>(1, config.get_int("train.log_interval", 10));

    if (out_dir.empty()) out_dir = config.get_string("train.out", "");
    if (out_dir.empty()) out_dir = resume.empty() ? (fs::path("runs") / fs::path(config_file).stem()).string() : resume;
    fs::create_directories(out_dir);
    ec.metrics_path = (fs::path(out_dir) / "metrics.jsonl").string();
    ec.config_text = config.text();

    hrm::Runtime runtime = open_runtime(common, ec.threads);
    const std::string arch = config.get_string("model.arch", "");
    hrm::Instance instance = runtime.create(HRM_KIND_MODEL, arch, model_config_text(config, train.meta), nullptr, ec.seed);
    hrm::train::ModelRef model(instance.model(), {hrm_status_code, hrm_status_message, hrm_status_free});
    ec.precision = parse_precision(config.get_string("train.precision", ""), model.spec().default_precision);
    ec.model_config = with_task_table(model.spec().config ? model.spec().config : "", config);

    hrm::train::Engine engine(model, ec, &train, test.get());
    if (!resume.empty()) {
        engine.resume(resume);
        std::cerr << "resumed from " << hrm::train::resolve_checkpoint(resume) << " at step " << engine.step() << "\n";
    }
    std::cerr << "training " << arch << " (" << model.spec().n_params << " params) on " << data << ": "
              << train.examples() << " examples, batch " << ec.global_batch_size << ", " << engine.total_steps()
              << " steps, " << ec.threads << " thread(s); writing " << out_dir << "\n";

    std::signal(SIGINT, on_sigint);
    const bool terminal = stdout_is_terminal();
    const auto start = std::chrono::steady_clock::now();
    const int64_t first_step = engine.step();
    auto evaluate = [&] {
        const auto e = engine.evaluate();
        if (terminal) std::cout << "\n";
        std::cout << "eval step " << e.step << ": exact " << e.exact_accuracy << "  accuracy " << e.accuracy
                  << "  q_halt_accuracy " << e.q_halt_accuracy << "  steps " << e.steps << "  (" << e.count << " puzzles)"
                  << std::endl;
    };
    int64_t saved_step = -1;
    auto checkpoint = [&] {
        if (engine.step() == saved_step) return;
        saved_step = engine.step();
        const std::string dir = engine.save_checkpoint(out_dir);
        hrm::train::write_training_curve(ec.metrics_path, (fs::path(out_dir) / "curve.svg").string());
        if (terminal) std::cout << "\n";
        std::cout << "checkpoint " << dir << std::endl;
    };
    if (stop_at > 0 && stop_at <= engine.step())
        throw ConfigError("--stop-at " + std::to_string(stop_at) + " is not after the current step " +
                          std::to_string(engine.step()));
    while (!engine.done() && !g_interrupted && (stop_at <= 0 || engine.step() < stop_at)) {
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
        else if (m->step % log_interval == 0) std::cout << line << std::endl;
        if (test && eval_interval > 0 && m->step % eval_interval == 0) evaluate();
        if (checkpoint_interval > 0 && m->step % checkpoint_interval == 0) checkpoint();
    }
    // The last step is evaluated too (when evaluation is on), and always checkpointed: at the end,
    // after Ctrl-C, or when data ran out.
    if (!g_interrupted && test && eval_interval > 0 && engine.step() % eval_interval != 0) evaluate();
    checkpoint();
    const bool stopped = stop_at > 0 && engine.step() == stop_at && !engine.done();   // not when data ran out first
    if (g_interrupted || stopped) {
        std::cout << (g_interrupted ? "interrupted" : "stopped") << " at step " << engine.step() << "; continue with: hrm train " << config_file
                  << " --resume " << out_dir << std::endl;
    }
    return 0;
}
