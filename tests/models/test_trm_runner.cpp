// End to end through the runner (label slow, ~1.5 min on a busy 2-core machine): a tiny TRM (with
// the EMA of its recipe) and a tiny transformer train 300 steps on 4x4 Sudoku through `hrm train`,
// their loss falls, and `hrm eval` / `hrm forward` open the checkpoints by their model.arch.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hrm/common/json.hpp"
#include "hrm/common/npy.hpp"
#include "plugin_host.hpp"

using namespace hrm::common;
using test_host::read_text;

namespace {

int run(const std::string &args) {
    const std::string plugins = std::filesystem::path(HRM_TRM_PLUGIN).parent_path().string();
    const std::string cmd = "HRM_PLUGIN_PATH=" + plugins + " " + HRM_RUNNER + " " + args + " > /dev/null";
    return std::system(cmd.c_str());
}

// Mean training loss of the first and last `k` lines of metrics.jsonl.
std::pair<double, double> loss_ends(const std::string &path, size_t k) {
    std::vector<double> loss;
    std::ifstream f(path);
    for (std::string line; std::getline(f, line);) {
        const json::Value v = json::parse(line, path);
        if (v.find("type")->string == "train") loss.push_back(v.find("lm_loss")->number);
    }
    if (loss.size() < 2 * k) return {0, 0};
    double a = 0, b = 0;
    for (size_t i = 0; i < k; ++i) a += loss[i] / double(k), b += loss[loss.size() - 1 - i] / double(k);
    return {a, b};
}

// A tiny model of `arch` trains 300 steps on 4x4 Sudoku through `hrm train` (TRM with the EMA of
// its recipe), its loss falls, and `hrm eval` and `hrm forward` open the checkpoint.
void train_end_to_end(const std::string &arch, const std::string &model_keys, const std::string &train_keys) {
    namespace fs = std::filesystem;
    if (!fs::exists(HRM_RUNNER)) GTEST_SKIP() << "runner not built";
    const fs::path tmp = fs::path(::testing::TempDir()) / ("hrm_" + arch + "_e2e_" + std::to_string(::getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    const std::string data = (tmp / "sudoku4").string(), out = (tmp / "run").string();
    ASSERT_EQ(run("dataset build sudoku4 --train 2000 --test 200 --seed 1 -o " + data), 0);
    const std::string cfg = (tmp / "train.toml").string();
    std::ofstream(cfg) << "[model]\narch = \"" << arch << "\"\n" << model_keys << "\n[train]\ndata = \"" << data
                       << "\"\nout = \"" << out << "\"\nglobal_batch_size = 32\nsteps = 300\nlr = 2e-3\n"
                       << "lr_warmup_steps = 20\nweight_decay = 0.1\npuzzle_emb_lr = 1e-3\nlog_interval = 100\n"
                       << "checkpoint_interval = 0\nthreads = 1\nshard_size = 32\nseed = 1\n" << train_keys;
    ASSERT_EQ(run("train " + cfg), 0);
    const auto [first, last] = loss_ends(out + "/metrics.jsonl", 20);
    std::printf("[trm] %s via hrm train: lm_loss %.4f -> %.4f over 300 steps\n", arch.c_str(), first, last);
    EXPECT_GT(first, 0.0);
    EXPECT_LT(last, 0.8 * first);
    ASSERT_EQ(run("eval " + out + " --data " + data + " --json > " + (tmp / "eval.json").string()), 0);
    const std::string model = out + "/" + read_text(out + "/latest").substr(0, read_text(out + "/latest").find('\n')) + "/model.safetensors";
    ASSERT_TRUE(fs::exists(model)) << model;
    // hrm forward reads int32 token ids; the dataset stores uint8 (spec 4.1): convert 8 rows.
    const NpyArray all = read_npy(data + "/test/all__inputs.npy");
    ASSERT_EQ(all.dtype, DType::U8);
    const int64_t rows = 8, S = all.shape.at(1);
    std::vector<int32_t> ids(size_t(rows * S));
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t(uint8_t(all.bytes[i]));
    const std::string inputs = (tmp / "inputs.npy").string();
    write_npy(inputs, DType::I32, {rows, S}, ids.data());
    ASSERT_EQ(run("forward --model " + model + " --inputs " + inputs + " --segments 2 --out " + (tmp / "fwd").string()), 0);
    EXPECT_TRUE(fs::exists(tmp / "fwd" / "logits_2.npy"));
    fs::remove_all(tmp);
}

}  // namespace

TEST(TrmRunner, TrmTrainsOnSudoku4x4) {
    train_end_to_end("trm", "hidden_size = 32\nnum_heads = 2\nexpansion = 2.0\nlayers = 2\nh_cycles = 2\nl_cycles = 2\n"
                            "mlp_t = true\npos_encodings = \"none\"\npuzzle_emb_ndim = 32\npuzzle_emb_len = 2\nhalt_max_steps = 3\n",
                     "ema = 0.999\n");
}

TEST(TrmRunner, TransformerTrainsOnSudoku4x4) {
    train_end_to_end("transformer", "hidden_size = 32\nnum_heads = 2\nexpansion = 2.0\nlayers = 2\npuzzle_emb_ndim = 32\n"
                                    "halt_max_steps = 3\n",
                     "");
}
