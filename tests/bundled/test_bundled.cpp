// The bundled models end to end through the runner: `hrm solve` with the default (bundled) model
// of each task, and bf16 against fp32 on the Sudoku model through `hrm forward`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <hrm/common/npy.hpp>

#include "bundled.hpp"

namespace fs = std::filesystem;
using hrm::common::DType;

namespace {

using bundled::head_records;
using bundled::run;
using bundled::scratch;
using test_shell::Result;

struct Case {
    const char *task;
    const char *policy;
    int puzzles;
    double min_solved;   // the card's held-out rate, with margin for a sample of `puzzles`
};

class BundledModel : public ::testing::TestWithParam<Case> {};

TEST_P(BundledModel, SolvesItsHeldOutPuzzles) {
    const Case c = GetParam();
    const fs::path model = fs::path(HRM_MODELS_DIR) / (std::string(c.task) + ".safetensors");
    const fs::path heldout = fs::path(HRM_MODELS_DIR) / (std::string(c.task) + "-heldout.txt");
    ASSERT_TRUE(fs::exists(model)) << model;
    ASSERT_TRUE(fs::exists(heldout)) << heldout;
    const fs::path dir = scratch(c.task);
    std::ofstream(dir / "puzzles.txt") << head_records(heldout, c.puzzles);
    // No --model: the runner must find the bundled one, and the [task] table stored with it.
    const Result r = run(std::string("solve --task ") + c.task + " --policy " + c.policy + " --threads 2 --input " +
                         (dir / "puzzles.txt").string() + " -o " + (dir / "out.jsonl").string());
    ASSERT_EQ(r.code, 0) << r.output;
    const bundled::Solved s = bundled::read_solved(dir / "out.jsonl");
    EXPECT_EQ(s.errors, 0) << test_shell::slurp(dir / "out.jsonl");
    EXPECT_EQ(s.lines, c.puzzles);
    EXPECT_GE(double(s.verified) / s.lines, c.min_solved) << s.verified << " of " << s.lines << " verified\n" << r.output;
}

INSTANTIATE_TEST_SUITE_P(Models, BundledModel,
                         ::testing::Values(Case{"sudoku", "verify", 200, 0.97}, Case{"maze", "verify", 100, 0.95},
                                           Case{"gridnav", "verify", 100, 0.88}),
                         [](const auto &info) { return std::string(info.param.task); });

// bf16 (the fast mode) and fp32 (the reference mode) predict the same token in at least 99.9% of
// the cells of held-out puzzles after the full evaluation depth.
TEST(BundledSudoku, Bf16AgreesWithFp32OnTheArgmax) {
    const fs::path dir = scratch("argmax");
    const fs::path model = fs::path(HRM_MODELS_DIR) / "sudoku.safetensors";
    Result r = run("dataset build sudoku --train 1 --test 256 --seed 1 --gen 'givens = 44' -o " + (dir / "data").string());
    ASSERT_EQ(r.code, 0) << r.output;
    // hrm forward reads int32 tokens; the dataset stores them as uint8.
    const auto inputs = hrm::common::read_npy((dir / "data" / "test" / "all__inputs.npy").string());
    std::vector<int32_t> tokens(inputs.bytes.begin(), inputs.bytes.end());
    hrm::common::write_npy((dir / "inputs.npy").string(), DType::I32, inputs.shape, tokens.data());
    std::vector<int32_t> pred[2];
    const char *precisions[2] = {"fp32", "bf16"};
    for (int p = 0; p < 2; ++p) {
        const fs::path out = dir / precisions[p];
        r = run("forward --model " + model.string() + " --inputs " + (dir / "inputs.npy").string() +
                " --segments 8 --precision " + precisions[p] + " -o " + out.string());
        ASSERT_EQ(r.code, 0) << r.output;
        pred[p] = hrm::common::read_npy((out / "pred_8.npy").string()).as<int32_t>(DType::I32, "pred_8");
    }
    ASSERT_EQ(pred[0].size(), tokens.size());
    size_t same = 0;
    for (size_t i = 0; i < pred[0].size(); ++i) same += pred[0][i] == pred[1][i];
    const double agree = double(same) / double(pred[0].size());
    std::printf("bf16 vs fp32 argmax agreement: %.5f of %zu cells\n", agree, pred[0].size());
    EXPECT_GE(agree, 0.999);
}

}  // namespace
