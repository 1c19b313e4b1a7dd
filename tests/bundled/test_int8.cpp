// int8 inference on the bundled models through the runner (docs/kernels.md, "int8"):
//   - each model solves its held-out puzzles in int8 at the rate of its card (like fp32/bf16);
//   - on the Sudoku model int8 predicts the same token as fp32 in >= 99.9% of the cells of the
//     first 128 puzzles of models/sudoku-heldout.txt after the full evaluation depth (8 segments);
//   - `hrm export --precision int8` writes a file that loads and runs int8 on exactly the values
//     the fp32 file quantises to (bit-identical outputs), and int8 by default;
//   - a corrupt or mismatched int8 file is refused with a message naming the problem.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include <hrm/common/npy.hpp>
#include <hrm/common/safetensors.hpp>

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
    int puzzles;
    double min_solved;   // as test_bundled.cpp: the card's held-out rate with margin for the sample
};

class BundledInt8 : public ::testing::TestWithParam<Case> {};

TEST_P(BundledInt8, SolvesItsHeldOutPuzzles) {
    const Case c = GetParam();
    const fs::path heldout = fs::path(HRM_MODELS_DIR) / (std::string(c.task) + "-heldout.txt");
    const fs::path dir = scratch(std::string("int8-") + c.task);
    std::ofstream(dir / "puzzles.txt") << head_records(heldout, c.puzzles);
    const Result r = run(std::string("solve --task ") + c.task + " --policy verify --precision int8 --threads 2 --input " +
                         (dir / "puzzles.txt").string() + " -o " + (dir / "out.jsonl").string());
    ASSERT_EQ(r.code, 0) << r.output;
    const bundled::Solved s = bundled::read_solved(dir / "out.jsonl");
    EXPECT_EQ(s.errors, 0);
    EXPECT_EQ(s.lines, c.puzzles);
    EXPECT_GE(double(s.verified) / s.lines, c.min_solved) << s.verified << " of " << s.lines << " verified\n" << r.output;
}

INSTANTIATE_TEST_SUITE_P(Models, BundledInt8,
                         ::testing::Values(Case{"sudoku", 200, 0.97}, Case{"maze", 100, 0.95}, Case{"gridnav", 100, 0.88}),
                         [](const auto &info) { return std::string(info.param.task); });

// Tokens of Sudoku lines ("59..84...": 1 blank, 2..10 digits 1..9; docs/tasks.md) as an int32 .npy.
fs::path sudoku_inputs(const fs::path &dir, int n) {
    std::istringstream in(head_records(fs::path(HRM_MODELS_DIR) / "sudoku-heldout.txt", n));
    std::vector<int32_t> tokens;
    int rows = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.size() != 81) continue;
        for (char ch : line) tokens.push_back(ch == '.' ? 1 : int32_t(ch - '0') + 1);
        ++rows;
    }
    EXPECT_EQ(rows, n);
    const fs::path path = dir / "inputs.npy";
    hrm::common::write_npy(path.string(), DType::I32, {rows, 81}, tokens.data());
    return path;
}

// hrm forward's outputs: pred_N and logits_N.
struct Forward {
    int code = 0;
    std::string output;
    std::vector<int32_t> pred;
    std::vector<float> logits;
};

Forward forward(const fs::path &model, const fs::path &inputs, const std::string &precision, int segments,
                const fs::path &out) {
    Forward f;
    std::string args = "forward --model " + model.string() + " --inputs " + inputs.string() + " --segments " +
                       std::to_string(segments) + " -o " + out.string();
    if (!precision.empty()) args += " --precision " + precision;
    const Result r = run(args);
    f.code = r.code;
    f.output = r.output;
    if (r.code != 0) return f;
    const std::string n = std::to_string(segments);
    f.pred = hrm::common::read_npy((out / ("pred_" + n + ".npy")).string()).as<int32_t>(DType::I32, "pred");
    f.logits = hrm::common::read_npy((out / ("logits_" + n + ".npy")).string()).as<float>(DType::F32, "logits");
    return f;
}

TEST(BundledSudokuInt8, AgreesWithFp32OnTheArgmax) {
    const fs::path dir = scratch("int8-argmax");
    const fs::path model = fs::path(HRM_MODELS_DIR) / "sudoku.safetensors";
    const fs::path inputs = sudoku_inputs(dir, 128);
    const Forward ref = forward(model, inputs, "fp32", 8, dir / "fp32");
    ASSERT_EQ(ref.code, 0) << ref.output;
    const Forward q = forward(model, inputs, "int8", 8, dir / "int8");
    ASSERT_EQ(q.code, 0) << q.output;
    ASSERT_EQ(ref.pred.size(), size_t(128 * 81));
    ASSERT_EQ(q.pred.size(), ref.pred.size());
    size_t same = 0;
    for (size_t i = 0; i < ref.pred.size(); ++i) same += ref.pred[i] == q.pred[i];
    const double agree = double(same) / double(ref.pred.size());
    std::printf("int8 vs fp32 argmax agreement: %.5f of %zu cells\n", agree, ref.pred.size());
    EXPECT_GE(agree, 0.999);
}

// Exported, loaded, run: the same outputs as quantising the fp32 file at load time.
TEST(BundledSudokuInt8, ExportLoadRoundTrip) {
    const fs::path dir = scratch("int8-export");
    const fs::path model = fs::path(HRM_MODELS_DIR) / "sudoku.safetensors", q = dir / "sudoku-int8.safetensors";
    Result r = run("export " + model.string() + " --precision int8 -o " + q.string());
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("8 linear weights quantised to int8"), std::string::npos) << r.output;
    const hrm::common::SafetensorsFile file(q.string());
    EXPECT_EQ(file.metadata().at("precision"), "int8");
    const auto &w = file.get("inner.L_level.layers.0.mlp.gate_up_proj.weight");
    EXPECT_EQ(w.dtype, DType::I8);
    EXPECT_EQ(file.get("inner.L_level.layers.0.mlp.gate_up_proj.weight_scale").shape, (std::vector<int64_t>{w.shape[0]}));
    EXPECT_EQ(file.get("inner.lm_head.weight").dtype, DType::F32);   // heads and embeddings stay fp32
    EXPECT_LT(fs::file_size(q), fs::file_size(model) / 3);

    const fs::path inputs = sudoku_inputs(dir, 8);
    const Forward from_fp32 = forward(model, inputs, "int8", 2, dir / "a");
    ASSERT_EQ(from_fp32.code, 0) << from_fp32.output;
    const Forward from_int8 = forward(q, inputs, "int8", 2, dir / "b");
    ASSERT_EQ(from_int8.code, 0) << from_int8.output;
    EXPECT_EQ(from_fp32.logits, from_int8.logits);   // bit-identical
    // fp32 on the dequantised weights runs too, close to int8.
    const Forward deq = forward(q, inputs, "fp32", 2, dir / "c");
    ASSERT_EQ(deq.code, 0) << deq.output;
    size_t same = 0;
    for (size_t i = 0; i < deq.pred.size(); ++i) same += deq.pred[i] == from_int8.pred[i];
    EXPECT_GE(double(same) / double(deq.pred.size()), 0.99);
    // Exporting an int8 file again is refused.
    r = run("export " + q.string() + " --precision int8 -o " + (dir / "again.safetensors").string());
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.output.find("already an int8 model"), std::string::npos) << r.output;
}

// A copy of the int8 file with `edit` applied to its tensor list.
fs::path edited(const fs::path &src, const fs::path &dst,
                const std::function<void(std::vector<hrm::common::TensorRef> &, std::vector<std::vector<char>> &)> &edit) {
    const hrm::common::SafetensorsFile f(src.string());
    std::vector<hrm::common::TensorRef> tensors;
    std::vector<std::vector<char>> store;
    store.reserve(f.tensors().size() + 4);
    for (const auto &t : f.tensors()) {
        store.emplace_back(static_cast<const char *>(t.data), static_cast<const char *>(t.data) + t.nbytes);
        tensors.push_back({t.name, t.dtype, t.shape, store.back().data()});
    }
    edit(tensors, store);
    hrm::common::write_safetensors(dst.string(), tensors, f.metadata());
    return dst;
}

hrm::common::TensorRef &find(std::vector<hrm::common::TensorRef> &ts, const std::string &name) {
    for (auto &t : ts)
        if (t.name == name) return t;
    throw std::runtime_error("no tensor " + name);
}

TEST(BundledSudokuInt8, CorruptFilesAreRefusedClearly) {
    const fs::path dir = scratch("int8-corrupt");
    const fs::path model = fs::path(HRM_MODELS_DIR) / "sudoku.safetensors", q = dir / "q.safetensors";
    ASSERT_EQ(run("export " + model.string() + " --precision int8 -o " + q.string()).code, 0);
    const fs::path inputs = sudoku_inputs(dir, 1);
    const std::string w = "inner.L_level.layers.1.mlp.down_proj.weight";
    struct Bad {
        const char *name;
        std::function<void(std::vector<hrm::common::TensorRef> &, std::vector<std::vector<char>> &)> edit;
        std::string message;
    };
    const std::vector<Bad> cases = {
        {"no-scale",
         [&](auto &ts, auto &) { ts.erase(std::find_if(ts.begin(), ts.end(), [&](auto &t) { return t.name == w + "_scale"; })); },
         "is int8 but the file has no scales \"" + w + "_scale\""},
        {"scale-shape",
         [&](auto &ts, auto &) { find(ts, w + "_scale").shape = {64}; find(ts, w + "_scale").data = find(ts, w + "_scale").data; },
         "must be F32 [128]"},
        {"nan-scale",
         [&](auto &ts, auto &store) {
             store.emplace_back(128 * sizeof(float));
             float *s = reinterpret_cast<float *>(store.back().data());
             std::fill(s, s + 128, 0.01f);
             s[5] = std::numeric_limits<float>::quiet_NaN();
             find(ts, w + "_scale").data = s;
         },
         "has a scale that is not finite and >= 0 (row 5)"},
        {"out-of-range",
         [&](auto &ts, auto &store) {
             store.emplace_back(128 * 512, char(0));
             store.back()[77] = char(-100);
             find(ts, w).data = store.back().data();
         },
         "holds -100, outside the int8 weights' range [-64, 64]"},
        {"int8-embedding",
         [&](auto &ts, auto &store) {
             store.emplace_back(11 * 128, char(1));
             auto &t = find(ts, "inner.embed_tokens.embedding_weight");
             t.dtype = DType::I8;
             t.data = store.back().data();
         },
         "only the blocks' linear weights may be int8"},
        {"stray-scale",
         [&](auto &ts, auto &store) {
             store.emplace_back(11 * sizeof(float), char(0));
             ts.push_back({"inner.lm_head.weight_scale", DType::F32, {11}, store.back().data()});
         },
         "unexpected tensor \"inner.lm_head.weight_scale\""},
        {"wrong-shape",
         [&](auto &ts, auto &) { find(ts, w).shape = {512, 128}; },
         "has shape [512, 128], the config needs [128, 512]"},
    };
    for (const Bad &b : cases) {
        SCOPED_TRACE(b.name);
        const fs::path bad = edited(q, dir / (std::string(b.name) + ".safetensors"), b.edit);
        const Forward f = forward(bad, inputs, "int8", 1, dir / b.name);
        EXPECT_NE(f.code, 0);
        EXPECT_NE(f.output.find(b.message), std::string::npos) << f.output;
    }
}

}  // namespace
