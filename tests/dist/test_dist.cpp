// Data-parallel runs on Open MPI (docs/distributed.md), end to end through `mpirun hrm ...` as a
// user starts them: 2 and 3 ranks train the same bytes as one process, a run resumes at another
// rank count, a sharded solve and eval print what one process prints, and a killed rank ends the
// job quickly with the last checkpoint intact. Skipped when the build has no MPI (HRM_WITH_MPI).
// HRM_RUNNER, HRM_PLUGIN_DIR, HRM_SOURCE_DIR, HRM_MPIEXEC and HRM_WITH_MPI come from CMake.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "shell.hpp"

namespace fs = std::filesystem;

namespace {

using test_shell::slurp;

// The CI form of the issue: root in containers, more ranks than cores.
std::string mpirun(int n) {
    return std::string(HRM_MPIEXEC) + " --allow-run-as-root --oversubscribe -np " + std::to_string(n) + " ";
}

// `prefix hrm args` with its output in log; the exit code.
int run(const std::string &prefix, const std::string &args, const fs::path &log) {
    return test_shell::run("env HRM_PLUGIN_PATH=" + std::string(HRM_PLUGIN_DIR) + " " + prefix + HRM_RUNNER + " " +
                           args + " > " + log.string() + " 2>&1")
        .code;
}

void expect_same_checkpoint(const fs::path &a, const fs::path &b) {
    for (const char *file : {"model.safetensors", "train_state.safetensors"}) {
        ASSERT_TRUE(fs::exists(a / file)) << a / file;
        ASSERT_TRUE(fs::exists(b / file)) << b / file;
        EXPECT_TRUE(slurp(a / file) == slurp(b / file)) << a / file << " and " << b / file << " differ";
    }
}

// The solve lines without their wall times.
std::string without_times(const std::string &jsonl) {
    return std::regex_replace(jsonl, std::regex(", \"time\": [^}]*\\}"), "}");
}

class Dist : public ::testing::Test {
protected:
    // One tiny 4x4 Sudoku dataset and HRM config for the whole suite (a few seconds to build).
    static void SetUpTestSuite() {
        if (!HRM_WITH_MPI) return;
        dir_ = fs::temp_directory_path() / ("hrm_dist_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        ASSERT_EQ(run("", "dataset build sudoku4 --train 300 --test 40 --seed 1 -o " + (dir_ / "data").string(),
                      dir_ / "dataset.log"),
                  0)
            << slurp(dir_ / "dataset.log");
        // 24 rows in 6 shards of 4: 1, 2 and 3 ranks all divide it; EMA and the puzzle embedding on.
        std::ofstream(dir_ / "t.toml") << "[model]\narch = \"hrm\"\nhidden_size = 16\nnum_heads = 2\nexpansion = 2.0\n"
                                       << "h_layers = 1\nl_layers = 1\nh_cycles = 1\nl_cycles = 2\n"
                                       << "pos_encodings = \"rope\"\npuzzle_emb_ndim = 16\nhalt_max_steps = 3\n\n"
                                       << "[train]\ndata = \"" << (dir_ / "data").string() << "\"\n"
                                       << "global_batch_size = 24\nsteps = 30\nlr = 1e-2\nlr_warmup_steps = 5\n"
                                       << "puzzle_emb_lr = 1e-2\neval_interval = 15\ncheckpoint_interval = 15\n"
                                       << "log_interval = 10\nthreads = 1\nshard_size = 4\nema = 0.9\n";
        // The single-process reference run.
        ASSERT_EQ(run("", "train " + config() + " -o " + (dir_ / "one").string(), dir_ / "one.log"), 0)
            << slurp(dir_ / "one.log");
    }
    static void TearDownTestSuite() {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    void SetUp() override {
        if (!HRM_WITH_MPI) GTEST_SKIP() << "built without MPI (HRM_WITH_MPI=OFF)";
    }
    static std::string config() { return (dir_ / "t.toml").string(); }
    static fs::path dir_;
};
fs::path Dist::dir_;

}  // namespace

TEST_F(Dist, TrainingOnTwoAndThreeRanksIsBitIdenticalToOneProcess) {
    for (int n : {2, 3}) {
        const fs::path out = dir_ / ("np" + std::to_string(n));
        ASSERT_EQ(run(mpirun(n), "train " + config() + " -o " + out.string(), dir_ / "np.log"), 0)
            << slurp(dir_ / "np.log");
        EXPECT_NE(slurp(dir_ / "np.log").find(std::to_string(n) + " ranks x 1 thread(s)"), std::string::npos);
        EXPECT_EQ(slurp(out / "latest"), "step_30\n");
        expect_same_checkpoint(dir_ / "one" / "step_15", out / "step_15");
        expect_same_checkpoint(dir_ / "one" / "step_30", out / "step_30");
        // Rank 0 alone writes the metrics: the same lines (losses, accuracies, evaluations), once.
        EXPECT_EQ(slurp(dir_ / "one" / "metrics.jsonl"), slurp(out / "metrics.jsonl")) << n << " ranks";
    }
}

TEST_F(Dist, RunResumesAtAnotherRankCount) {
    // 2 ranks to step 15, then one process to the end; and one process to 15, then 2 ranks.
    const fs::path a = dir_ / "resume_2_1", b = dir_ / "resume_1_2";
    ASSERT_EQ(run(mpirun(2), "train " + config() + " -o " + a.string() + " --stop-at 15", dir_ / "r1.log"), 0)
        << slurp(dir_ / "r1.log");
    EXPECT_NE(slurp(dir_ / "r1.log").find("continue with: mpirun -np 2 hrm train"), std::string::npos)
        << slurp(dir_ / "r1.log");
    ASSERT_EQ(run("", "train " + config() + " --resume " + a.string(), dir_ / "r2.log"), 0) << slurp(dir_ / "r2.log");
    expect_same_checkpoint(dir_ / "one" / "step_30", a / "step_30");

    ASSERT_EQ(run("", "train " + config() + " -o " + b.string() + " --stop-at 15", dir_ / "r3.log"), 0)
        << slurp(dir_ / "r3.log");
    ASSERT_EQ(run(mpirun(2), "train " + config() + " --resume " + b.string(), dir_ / "r4.log"), 0)
        << slurp(dir_ / "r4.log");
    expect_same_checkpoint(dir_ / "one" / "step_30", b / "step_30");
}

TEST_F(Dist, ShardedSolveAndEvalPrintWhatOneProcessPrints) {
    // 600 4x4 puzzles (a solved grid with its digits permuted and about half the cells blanked)
    // for the suite's trained model: chunks of 256, 256 and 88, so rank 0 solves two and rank 1 one.
    const fs::path puzzles = dir_ / "puzzles.txt";
    {
        std::ofstream out(puzzles);
        const std::string grid = "1234341221434321";
        uint64_t x = 1;
        auto next = [&x] { return (x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
        for (int i = 0; i < 600; ++i) {
            std::string digits = "1234", line;
            for (int k = 3; k > 0; --k) std::swap(digits[size_t(k)], digits[size_t(next() % uint64_t(k + 1))]);
            for (char c : grid) line += next() % 2 ? digits[size_t(c - '1')] : '.';
            out << line << "\n";
        }
    }
    const std::string solve = "solve --task sudoku4 --model " +
                              (dir_ / "one" / "step_30" / "model.safetensors").string() + " --threads 1 --input " +
                              puzzles.string() + " -o ";
    ASSERT_EQ(run("", solve + (dir_ / "s1.jsonl").string(), dir_ / "s1.log"), 0) << slurp(dir_ / "s1.log");
    ASSERT_EQ(run(mpirun(2), solve + (dir_ / "s2.jsonl").string(), dir_ / "s2.log"), 0) << slurp(dir_ / "s2.log");
    const std::string one = without_times(slurp(dir_ / "s1.jsonl")), two = without_times(slurp(dir_ / "s2.jsonl"));
    EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 600);
    EXPECT_EQ(one.find("error"), std::string::npos) << one.substr(0, 2000);
    EXPECT_TRUE(one == two) << "the 2-rank solve lines differ from one process's";
    // The summary line counts every rank's puzzles.
    EXPECT_NE(slurp(dir_ / "s2.log").find("/600 ("), std::string::npos) << slurp(dir_ / "s2.log");

    // Evaluation: 40 puzzles in 5 batches of 8, batches dealt over 2 ranks.
    const std::string eval =
        "eval " + (dir_ / "one").string() + " --data " + (dir_ / "data").string() + " --batch 8 --threads 1 --json";
    ASSERT_EQ(run("", eval, dir_ / "e1.log"), 0) << slurp(dir_ / "e1.log");
    ASSERT_EQ(run(mpirun(2), eval, dir_ / "e2.log"), 0) << slurp(dir_ / "e2.log");
    EXPECT_NE(slurp(dir_ / "e1.log").find("\"count\": 40"), std::string::npos) << slurp(dir_ / "e1.log");
    EXPECT_EQ(slurp(dir_ / "e1.log"), slurp(dir_ / "e2.log"));
}

TEST_F(Dist, KilledRankEndsTheJobAndTheCheckpointResumes) {
    const fs::path out = dir_ / "killed", log = dir_ / "killed.log";
    const std::string cmd =
        "exec env HRM_PLUGIN_PATH=" + std::string(HRM_PLUGIN_DIR) + " " + mpirun(2) + HRM_RUNNER + " train " +
        config() + " -o " + out.string() +
        " --set train.steps=100000 --set train.eval_interval=0 --set train.checkpoint_interval=10 > " + log.string() +
        " 2>&1";
    const pid_t job = ::fork();
    ASSERT_GE(job, 0);
    if (job == 0) {
        ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char *>(nullptr));
        ::_exit(127);
    }
    // Wait for a checkpoint, then find rank 1 among mpirun's children by its environment.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(out / "latest") && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(fs::exists(out / "latest")) << slurp(log);
    pid_t rank1 = -1;
    for (const auto &e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string stat = slurp(e.path() / "stat");  // pid (comm) state ppid ...
        const auto close = stat.rfind(')');
        if (close == std::string::npos || std::stol(stat.substr(close + 4)) != job) continue;
        const std::string env = slurp(e.path() / "environ");
        if (env.find(std::string("OMPI_COMM_WORLD_RANK=1") + '\0') != std::string::npos) rank1 = pid_t(std::stol(name));
    }
    ASSERT_GT(rank1, 0) << "rank 1 of mpirun " << job << " not found";
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(rank1, SIGKILL), 0);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(job, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (done == 0) {
        ::kill(job, SIGKILL);
        ::waitpid(job, &status, 0);
        FAIL() << "mpirun still ran 30 s after rank 1 was killed\n" << slurp(log);
    }
    std::printf("[dist] the job ended %.2f s after rank 1 was killed\n", seconds);
    EXPECT_LT(seconds, 10.0);
    EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the job exited 0 after losing a rank";
    EXPECT_TRUE(std::regex_search(slurp(log), std::regex("process rank 1 .*exited on signal 9"))) << slurp(log);

    // The checkpoint `latest` names is complete, and a single process resumes from it.
    std::string latest = slurp(out / "latest");
    ASSERT_EQ(latest.rfind("step_", 0), 0u) << latest;
    latest.pop_back();
    const int64_t step = std::stoll(latest.substr(5));
    ASSERT_EQ(run("",
                  "train " + config() + " --set train.steps=100000 --reconfigure --resume " + out.string() + " --stop-at " +
                      std::to_string(step + 3),
                  dir_ / "killed_resume.log"),
              0)
        << slurp(dir_ / "killed_resume.log");
    EXPECT_NE(slurp(dir_ / "killed_resume.log").find("resumed from " + (out / latest).string()), std::string::npos)
        << slurp(dir_ / "killed_resume.log");
    EXPECT_EQ(slurp(out / "latest"), "step_" + std::to_string(step + 3) + "\n");
}

TEST_F(Dist, MisuseIsRefusedWithAMessage) {
    // More ranks than shards: 24 rows in shards of 16 are 2 shards.
    ASSERT_NE(run(mpirun(3), "train " + config() + " --set train.shard_size=16 -o " + (dir_ / "bad").string(),
                  dir_ / "bad.log"),
              0);
    EXPECT_NE(slurp(dir_ / "bad.log").find("3 ranks, but the global batch of 24 has only 2 shard(s)"),
              std::string::npos)
        << slurp(dir_ / "bad.log");
    // A command that does not run distributed.
    EXPECT_EQ(run(mpirun(2), "oracle --task sudoku " + std::string(HRM_SOURCE_DIR) + "/models/sudoku-heldout.txt",
                  dir_ / "oracle.log"),
              2)
        << slurp(dir_ / "oracle.log");
    EXPECT_NE(slurp(dir_ / "oracle.log").find("hrm oracle runs in one process"), std::string::npos)
        << slurp(dir_ / "oracle.log");
}
