#include "train_config.hpp"

#include <cmath>
#include <sstream>

namespace hrm::runner {
namespace {

const char *const kTrainKeys[] = {
    "data", "out", "global_batch_size", "epochs", "steps", "epochs_per_iter", "lr", "lr_min_ratio",
    "lr_warmup_steps", "weight_decay", "beta1", "beta2", "puzzle_emb_lr", "puzzle_emb_weight_decay", "loss",
    "eval_interval", "checkpoint_interval", "log_interval", "seed", "precision", "threads", "shard_size", "ema",
    "halt_exploration_prob", "eval_batch_size"};
// Top-level tables of a training config: [model] for the model plugin, [task] for the encoder
// options the data was built with, [train] here.
const char *const kTables[] = {"model", "train", "task"};

std::string num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

struct Reader {
    const Config &config;
    const std::string &file;

    [[noreturn]] void bad(const std::string &key, const std::string &value, const std::string &want) const {
        throw ConfigError(file + ": train." + key + " = " + value + ": must be " + want);
    }
    int64_t integer(const char *key, int64_t fallback, int64_t lo, int64_t hi) const {
        const int64_t v = config.get_int(std::string("train.") + key, fallback);
        if (v < lo || v > hi) bad(key, std::to_string(v), "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return v;
    }
    // A finite number in [lo, hi] (hi_open: [lo, hi)).
    double real(const char *key, double fallback, double lo, double hi, bool hi_open = false) const {
        const double v = config.get_double(std::string("train.") + key, fallback);
        if (!std::isfinite(v) || v < lo || v > hi || (hi_open && v == hi))
            bad(key, num(v), "a finite number in [" + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]"));
        return v;
    }
};

}  // namespace

TrainSettings read_train_config(const Config &config, const std::string &file, int threads) {
    for (const auto &[k, v] : config.table()) {
        bool known = false;
        for (const char *name : kTables) known = known || k.str() == name;
        if (!known) throw ConfigError(file + ": unknown top-level key or table '" + std::string(k.str()) + "' ([model], [train], [task])");
        if (!v.is_table()) throw ConfigError(file + ": '" + std::string(k.str()) + "' must be a table");
    }
    if (const toml::table *t = config.table()["train"].as_table())
        for (const auto &[k, v] : *t) {
            bool known = false;
            for (const char *name : kTrainKeys) known = known || k.str() == name;
            if (!known) throw ConfigError(file + ": unknown key train." + std::string(k.str()));
        }

    const Reader r{config, file};
    TrainSettings s;
    hrm::train::EngineConfig &ec = s.engine;
    s.data = config.get_string("train.data", "");
    if (s.data.empty()) throw ConfigError(file + ": train.data (the dataset folder) is required");
    s.out = config.get_string("train.out", "");
    ec.global_batch_size = r.integer("global_batch_size", ec.global_batch_size, 1, kMaxBatch);
    ec.epochs = r.integer("epochs", 0, 0, kMaxSteps);
    ec.steps = r.integer("steps", 0, 0, kMaxSteps);
    if (ec.epochs <= 0 && ec.steps <= 0) throw ConfigError(file + ": set train.epochs or train.steps");
    ec.epochs_per_iter = r.integer("epochs_per_iter", 1, 1, kMaxSteps);
    // AdamATan2 and the schedule: lr >= 0 (0 freezes), betas in [0, 1) (beta2 = 1 divides by
    // 1 - beta2^t = 0), the cosine floor a ratio of lr.
    ec.lr = r.real("lr", ec.lr, 0, 1e3);
    ec.lr_min_ratio = r.real("lr_min_ratio", ec.lr_min_ratio, 0, 1);
    ec.lr_warmup_steps = r.integer("lr_warmup_steps", ec.lr_warmup_steps, 0, kMaxSteps);
    ec.weight_decay = r.real("weight_decay", ec.weight_decay, 0, 1e3);
    ec.beta1 = r.real("beta1", ec.beta1, 0, 1, true);
    ec.beta2 = r.real("beta2", ec.beta2, 0, 1, true);
    ec.puzzle_emb_lr = r.real("puzzle_emb_lr", ec.puzzle_emb_lr, 0, 1e3);
    ec.puzzle_emb_weight_decay = r.real("puzzle_emb_weight_decay", ec.puzzle_emb_weight_decay, 0, 1e3);
    const std::string loss = config.get_string("train.loss", "stablemax");
    if (loss != "stablemax" && loss != "softmax") throw ConfigError(file + ": train.loss must be \"stablemax\" or \"softmax\"");
    ec.loss = loss == "softmax" ? hrm::train::LossType::Softmax : hrm::train::LossType::Stablemax;
    const double halt_fallback = config.get_double("model.halt_exploration_prob", 0.1);
    ec.halt_exploration_prob = r.real("halt_exploration_prob", std::isfinite(halt_fallback) ? halt_fallback : -1, 0, 1);
    ec.seed = uint64_t(config.get_int("train.seed", 0));   // any 64-bit pattern
    ec.threads = threads > 0 ? threads : int(r.integer("threads", 1, 1, 4096));
    ec.shard_size = r.integer("shard_size", ec.shard_size, 1, kMaxBatch);
    ec.ema = r.real("ema", 0.0, 0, 1, true);   // 0 = off, else the EMA rate
    ec.eval_batch_size = r.integer("eval_batch_size", 0, 0, kMaxBatch);
    if (config.has("train.eval_batch_size") && ec.eval_batch_size == 0)
        r.bad("eval_batch_size", "0", "at least 1 (leave it out to use global_batch_size)");
    s.eval_interval = r.integer("eval_interval", 0, 0, kMaxSteps);
    s.checkpoint_interval = r.integer("checkpoint_interval", 0, 0, kMaxSteps);
    s.log_interval = r.integer("log_interval", 10, 1, kMaxSteps);
    s.precision = config.get_string("train.precision", "");
    if (!s.precision.empty() && s.precision != "fp32" && s.precision != "bf16")
        throw ConfigError(file + ": train.precision must be \"fp32\" or \"bf16\", not \"" + s.precision + "\"");
    return s;
}

}  // namespace hrm::runner
