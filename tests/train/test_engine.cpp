// The engine end to end on the mock model: it learns, 1 and 2 threads agree bit for bit, a
// resumed run equals an uninterrupted one, and a torn checkpoint write never breaks `latest`.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "hrm/train/checkpoint.hpp"
#include "hrm/train/curve.hpp"
#include "hrm/train/engine.hpp"
#include "mock_model.hpp"
#include "test_util.hpp"

using namespace hrm::train;
namespace fs = std::filesystem;

namespace {

struct TrainRun {
    std::unique_ptr<mock::Model> model;
    std::unique_ptr<ModelRef> ref;
    std::unique_ptr<Engine> engine;
};

EngineConfig base_config() {
    EngineConfig c;
    c.global_batch_size = 12;
    c.shard_size = 5;   // shards of 5, 5, 2 rows
    c.steps = 60;
    c.lr = 0.05;
    c.lr_warmup_steps = 5;
    c.weight_decay = 0.01;
    c.puzzle_emb_lr = 0.01;
    c.puzzle_emb_weight_decay = 0.1;
    c.halt_exploration_prob = 0.3;
    c.seed = 7;
    return c;
}

TrainRun make_run(const hrm::data::Split &train, const hrm::data::Split *test, EngineConfig cfg) {
    TrainRun r;
    mock::Config mc;
    mc.M = 3;
    r.model = std::make_unique<mock::Model>(mc);
    r.ref = std::make_unique<ModelRef>(r.model->vtable(), mock::status_ops());
    r.engine = std::make_unique<Engine>(*r.ref, cfg, &train, test);
    return r;
}

std::vector<std::vector<float>> weights(mock::Model &m) {
    std::vector<std::vector<float>> out;
    for (auto &t : m.tensors()) out.push_back(t.v);
    return out;
}

fs::path temp_dir(const std::string &name) {
    const fs::path p = fs::temp_directory_path() / ("hrm_train_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

}  // namespace

TEST(Engine, LearnsTheMockTask) {
    const auto train = make_split(40, 4, 5, 3, 1);
    const auto test = make_split(10, 4, 5, 3, 2);
    EngineConfig cfg = base_config();
    cfg.steps = 150;
    TrainRun r = make_run(train, &test, cfg);
    const EvalMetrics before = r.engine->evaluate();
    double first = 0, last = 0;
    int n = 0;
    while (!r.engine->done()) {
        const auto m = r.engine->train_step();
        ASSERT_TRUE(m.has_value());
        EXPECT_TRUE(std::isfinite(m->loss));
        if (++n <= 10) first += m->loss;
        if (n > 140) last += m->loss;
    }
    EXPECT_EQ(r.engine->step(), 150);
    EXPECT_LT(last, 0.5 * first);
    const EvalMetrics after = r.engine->evaluate();
    EXPECT_EQ(after.count, test.examples());   // padded rows excluded, every real row counted
    EXPECT_DOUBLE_EQ(after.steps, 3.0);         // evaluation runs halt_max_steps
    EXPECT_GT(after.accuracy, before.accuracy + 0.2);
    EXPECT_EQ(r.model->params_changed_calls, 150);   // once per optimizer step
    // The puzzle embedding moved only through SignSGD on ids seen in training.
    const auto &pz = r.model->tensor("inner.puzzle_emb.weights").v;
    EXPECT_EQ(pz[0], 0.0f) << "id 0 never appears in the training batches: untouched, undecayed";
    EXPECT_NE(pz[size_t(mock::Config{}.D)], 0.0f);
}

TEST(Engine, OneAndTwoThreadsAreBitIdentical) {
    const auto train = make_split(30, 4, 5, 3, 3);
    std::vector<std::vector<float>> w[2];
    std::vector<double> losses[2];
    for (int threads : {1, 2}) {
        EngineConfig cfg = base_config();
        cfg.steps = 25;
        cfg.threads = threads;
        TrainRun r = make_run(train, nullptr, cfg);
        while (!r.engine->done()) losses[threads - 1].push_back(r.engine->train_step()->loss);
        w[threads - 1] = weights(*r.model);
    }
    EXPECT_EQ(losses[0], losses[1]);
    ASSERT_EQ(w[0].size(), w[1].size());
    for (size_t i = 0; i < w[0].size(); ++i)
        EXPECT_EQ(0, std::memcmp(w[0][i].data(), w[1][i].data(), w[0][i].size() * 4)) << "tensor " << i;
}

TEST(Engine, ResumeEqualsUninterrupted) {
    const auto train = make_split(25, 4, 5, 3, 4);
    for (double ema : {0.0, 0.9}) {
        const fs::path dir = temp_dir("resume");
        EngineConfig cfg = base_config();
        cfg.steps = 40;
        cfg.ema = ema;
        // Uninterrupted 2N.
        TrainRun full = make_run(train, nullptr, cfg);
        std::vector<double> full_losses;
        while (!full.engine->done()) full_losses.push_back(full.engine->train_step()->loss);
        // N steps, checkpoint, then a fresh engine (fresh model) resumes to 2N.
        std::vector<double> losses;
        {
            TrainRun first = make_run(train, nullptr, cfg);
            for (int i = 0; i < 20; ++i) losses.push_back(first.engine->train_step()->loss);
            first.engine->save_checkpoint(dir.string());
            first.engine->train_step();   // work after the checkpoint is lost with the "crash"
        }
        TrainRun second = make_run(train, nullptr, cfg);
        second.engine->resume(dir.string());
        EXPECT_EQ(second.engine->step(), 20);
        while (!second.engine->done()) losses.push_back(second.engine->train_step()->loss);
        EXPECT_EQ(losses, full_losses) << "ema " << ema;
        const auto a = weights(*full.model), b = weights(*second.model);
        for (size_t i = 0; i < a.size(); ++i)
            EXPECT_EQ(0, std::memcmp(a[i].data(), b[i].data(), a[i].size() * 4)) << "tensor " << i << " ema " << ema;
        fs::remove_all(dir);
    }
}

TEST(Engine, TornCheckpointWriteNeverBreaksLatest) {
    const auto train = make_split(20, 4, 5, 3, 5);
    const fs::path dir = temp_dir("torn");
    EngineConfig cfg = base_config();
    TrainRun r = make_run(train, nullptr, cfg);
    for (int i = 0; i < 5; ++i) r.engine->train_step();
    const std::string good = r.engine->save_checkpoint(dir.string());
    EXPECT_EQ(resolve_checkpoint(dir.string()), good);
    // A crash while writing step 10: a temporary folder and even a half-renamed step folder with a
    // truncated file. `latest` still names step 5, which loads.
    fs::create_directories(dir / ".step_10.tmp.1234");
    std::ofstream(dir / ".step_10.tmp.1234" / kModelFile) << "garbage";
    fs::create_directories(dir / "step_10");
    std::ofstream(dir / "step_10" / kStateFile) << "trunc";
    EXPECT_EQ(resolve_checkpoint(dir.string()), good);
    TrainRun again = make_run(train, nullptr, cfg);
    again.engine->resume(dir.string());
    EXPECT_EQ(again.engine->step(), 5);
    // What a process killed while writing leaves (its PID no longer runs): the step folder, the
    // `latest` and curve temporaries. A user's file of the same form is not ours to remove.
    const pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    const std::string pid = std::to_string(dead);
    fs::create_directories(dir / (".step_7.tmp." + pid));
    for (const std::string name : {"latest.tmp." + pid, "curve.svg.tmp." + pid, "notes.tmp." + pid})
        std::ofstream(dir / name) << "x";
    // The next save at step 10 replaces the stale folder and moves `latest`.
    for (int i = 0; i < 5; ++i) again.engine->train_step();
    const std::string next = again.engine->save_checkpoint(dir.string());
    EXPECT_EQ(resolve_checkpoint(dir.string()), next);
    for (const std::string name : {".step_7.tmp." + pid, "latest.tmp." + pid, "curve.svg.tmp." + pid})
        EXPECT_FALSE(fs::exists(dir / name)) << name;
    EXPECT_TRUE(fs::exists(dir / ("notes.tmp." + pid)));
    TrainRun third = make_run(train, nullptr, cfg);
    third.engine->resume(dir.string());
    EXPECT_EQ(third.engine->step(), 10);
    // A `latest` naming a folder that is not complete is an error, not a silent fresh start.
    std::ofstream(dir / kLatestFile) << "step_99\n";
    EXPECT_THROW(resolve_checkpoint(dir.string()), hrm::plugin::Error);
    fs::remove_all(dir);
}

TEST(Engine, EpochBudgetFollowsTheReferenceFormula) {
    const auto train = make_split(30, 4, 5, 3, 6);
    EngineConfig cfg = base_config();
    cfg.steps = 0;
    cfg.epochs = 4;
    cfg.epochs_per_iter = 2;
    TrainRun r = make_run(train, nullptr, cfg);
    const int64_t expect = int64_t(double(4 * train.meta.total_groups) * train.meta.mean_puzzle_examples / 12.0);
    EXPECT_EQ(r.engine->total_steps(), expect);
    int64_t steps = 0;
    while (!r.engine->done() && r.engine->train_step()) ++steps;
    // Dropped partial batches make the real count at most the budget (26040 vs 26041, spec 3.1).
    EXPECT_LE(steps, expect);
    EXPECT_GT(steps, expect / 2);
}

TEST(Engine, MetricsJsonlAndCurve) {
    const auto train = make_split(20, 4, 5, 3, 7);
    const auto test = make_split(4, 4, 5, 3, 8);
    const fs::path dir = temp_dir("curve");
    EngineConfig cfg = base_config();
    cfg.steps = 6;
    cfg.metrics_path = (dir / "metrics.jsonl").string();
    TrainRun r = make_run(train, &test, cfg);
    while (!r.engine->done()) r.engine->train_step();
    r.engine->evaluate();
    const int points = write_training_curve(cfg.metrics_path, (dir / "curve.svg").string());
    EXPECT_EQ(points, 6 + 6 + 1);
    std::ifstream svg(dir / "curve.svg");
    std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("<polyline"), std::string::npos);
    EXPECT_NE(text.find("eval exact"), std::string::npos);
    fs::remove_all(dir);
}
