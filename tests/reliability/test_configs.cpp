// Regression tests for configs that were accepted and then trained to NaN, allocated without
// bound or ran without end (issue #24 items 5 and 7): each is refused up front, naming the key.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <string>

#include "common/config.hpp"   // plugins/models/common (the model plugins' [model] reader)
#include "train_config.hpp"    // hosts/hrm
#include "plugin_host.hpp"     // tests/common: dlopen a plugin with a fake host
#include "hrm/hrm_encoder.h"

namespace {

// The ConfigError of a training config with `extra` after a minimal valid one, "" if accepted.
std::string train_error(const std::string &extra, const std::vector<std::string> &sets = {}) {
    const std::string path = ::testing::TempDir() + "hrm_reliability_train_" + std::to_string(::getpid()) + ".toml";
    std::ofstream(path, std::ios::trunc) << "[model]\narch = \"hrm\"\n[train]\ndata = \"d\"\nsteps = 10\n" << extra;
    try {
        (void)hrm::runner::read_train_config(hrm::runner::Config::load({path}, sets), path);
    } catch (const hrm::runner::ConfigError &e) {
        return e.what();
    }
    return "";
}

std::string model_error(const std::string &text) {
    try {
        (void)hrm::models::core::parse_config(text, "m.toml");
    } catch (const hrm::plugin::Error &e) {
        return e.what();
    }
    return "";
}

bool has(const std::string &s, const std::string &part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(HostileTrainConfig, AValidConfigReads) { EXPECT_EQ(train_error("lr = 3e-4\nbeta2 = 0.95\nema = 0.999\n"), ""); }

TEST(HostileTrainConfig, NonFiniteAndOutOfRangeNumbersNameTheKey) {
    const std::pair<const char *, const char *> cases[] = {
        {"lr = nan\n", "train.lr = nan"},
        {"lr = inf\n", "train.lr = inf"},
        {"lr = -1e-4\n", "train.lr"},
        {"weight_decay = nan\n", "train.weight_decay"},
        {"beta1 = 1.5\n", "train.beta1 = 1.5"},
        {"beta2 = 1.0\n", "train.beta2 = 1"},
        {"ema = 1.0\n", "train.ema = 1"},
        {"ema = -0.5\n", "train.ema"},
        {"lr_min_ratio = -0.1\n", "train.lr_min_ratio"},
        {"lr_warmup_steps = -5\n", "train.lr_warmup_steps = -5"},
        {"eval_interval = -1\n", "train.eval_interval = -1"},
        {"checkpoint_interval = -10\n", "train.checkpoint_interval"},
        {"eval_batch_size = 0\n", "train.eval_batch_size = 0"},
        {"global_batch_size = 1000000000000\n", "train.global_batch_size = 1000000000000"},
        {"halt_exploration_prob = 2.0\n", "train.halt_exploration_prob"},
        {"threads = 0\n", "train.threads = 0"},
    };
    for (const auto &[extra, want] : cases) {
        const std::string err = train_error(extra);
        EXPECT_TRUE(has(err, want)) << extra << " gave: " << err;
    }
    EXPECT_TRUE(has(train_error("", {"train.steps=-100"}), "train.steps = -100"));
}

// Unknown top-level tables and `--set a.b=1` were silently ignored.
TEST(HostileTrainConfig, UnknownTablesAreErrors) {
    EXPECT_TRUE(has(train_error("[trian]\nlr = 1\n"), "'trian'"));
    EXPECT_TRUE(has(train_error("", {"a.b=1"}), "'a'"));
    EXPECT_TRUE(has(train_error("", {"train.lrr=1"}), "train.lrr"));
}

// Model sizes that allocated gigabytes or ran without end are refused before anything is built.
TEST(HostileModelConfig, AbsurdSizesAreRefused) {
    EXPECT_EQ(model_error("[model]\nvocab_size = 11\nseq_len = 81\n"), "");
    EXPECT_TRUE(has(model_error("[model]\nvocab_size = 11\nseq_len = 81\npuzzle_emb_ndim = 100000000\n"), "puzzle_emb_ndim"));
    EXPECT_TRUE(has(model_error("[model]\nvocab_size = 11\nseq_len = 81\nhalt_max_steps = 100000000\n"), "halt_max_steps"));
    EXPECT_TRUE(has(model_error("[model]\nvocab_size = 11\nseq_len = 81\nnum_puzzle_identifiers = 10000000\n"
                                "puzzle_emb_ndim = 512\n"),
                    "num_puzzle_identifiers"));
    EXPECT_TRUE(has(model_error("[model]\nvocab_size = 11\nseq_len = 81\nrope_theta = inf\n"), "rope_theta"));
}

// generate() with max_attempts = 5222224 ran for minutes (found by fuzz/config_task).
TEST(HostileGenerateOptions, MaxAttemptsIsBounded) {
    struct Case {
        const char *plugin, *cls;
    };
    for (const Case c : {Case{HRM_MAZE_PLUGIN, "maze"}, Case{HRM_SUDOKU_PLUGIN, "sudoku4"}, Case{HRM_GRIDNAV_PLUGIN, "gridnav"}}) {
        test_host::Library lib(c.plugin, HRM_FACTORY_ENCODER);
        hrm_instance_params params;
        hrm_instance_params_init(&params, sizeof params);
        const void *out = nullptr;
        ASSERT_EQ(test_host::take(lib.factory->create(lib.factory, c.cls, &test_host::kHost, &params, &out)), "");
        const auto *enc = static_cast<const hrm_encoder *>(out);
        // 8e39: a float where an integer belongs was converted to int64, undefined behaviour in
        // toml++'s value<int64_t>() (found by fuzz/config_task under UBSan).
        for (const char *opts :
             {"max_attempts = 5222224\n", "max_attempts = 0\n", "max_attempts = 4294967297\n", "max_attempts = 8e39\n"}) {
            hrm_blob blob{};
            const std::string err = test_host::take(enc->generate(enc, 1, opts, &blob));
            EXPECT_TRUE(has(err, "max_attempts")) << c.cls << " " << opts << ": " << err;
        }
        enc->destroy(enc);
    }
}
