// Issue #24 item 1 (data loss): `hrm dataset build|import -o DIR` deleted whatever DIR held,
// `-o .` emptied the current folder, `-o` naming the --train file deleted it. DatasetOutput
// directly, then the runner as the report reproduced it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hrm/common/error.hpp"
#include "hrm/data/dataset.hpp"
#include "pickle_builder.hpp"
#include "shell.hpp"   // tests/common

namespace fs = std::filesystem;

namespace {

fs::path fresh(const std::string &name) {
    const fs::path d = fs::path(::testing::TempDir()) / ("hrm_reliability_out_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

void write(const fs::path &p, const std::string &text) { std::ofstream(p) << text; }

std::string refusal(const std::string &dir, bool force, const std::vector<std::string> &inputs = {}) {
    try {
        hrm::data::DatasetOutput out(dir, force, inputs);
    } catch (const hrm::plugin::Error &e) {
        return e.what();
    }
    return "";
}

// The runner: `hrm ARGS` in dir, exit code and stdout+stderr.
test_shell::Result run_hrm(const fs::path &dir, const std::string &args) {
    return test_shell::run("cd " + dir.string() + " && HRM_PLUGIN_PATH=" HRM_PLUGIN_DIR " " HRM_TEST_LAUNCHER " " HRM_RUNNER
                           " " + args + " 2>&1");
}

}  // namespace

TEST(DatasetOutput, RefusesAFolderWithOtherFiles) {
    const fs::path d = fresh("other");
    write(d / "thesis.tex", "x");
    EXPECT_NE(refusal(d.string(), false).find("holds thesis.tex"), std::string::npos);
    EXPECT_EQ(test_shell::slurp(d / "thesis.tex"), "x");
}

TEST(DatasetOutput, ForceWritesNextToOtherFilesAndKeepsThem) {
    const fs::path d = fresh("force");
    write(d / "thesis.tex", "x");
    {
        hrm::data::DatasetOutput out(d.string(), true);
        write(fs::path(out.staging()) / "identifiers.json", "[\"<blank>\"]");
        out.publish();
    }
    EXPECT_EQ(test_shell::slurp(d / "thesis.tex"), "x");
    EXPECT_EQ(test_shell::slurp(d / "identifiers.json"), "[\"<blank>\"]");
}

TEST(DatasetOutput, NeverTheCurrentFolderAFileOrAFolderHoldingAnInput) {
    const fs::path d = fresh("inputs");
    write(d / "train.csv", "q,a");
    EXPECT_NE(refusal(".", true).find("current folder"), std::string::npos);
    EXPECT_NE(refusal(fs::current_path().parent_path().string(), true).find("current folder"), std::string::npos);
    EXPECT_NE(refusal((d / "train.csv").string(), true).find("is not a folder"), std::string::npos);
    EXPECT_NE(refusal((d / "train.csv").string(), true, {(d / "train.csv").string()}).find("holds the input"),
              std::string::npos);
    EXPECT_NE(refusal(d.string(), true, {(d / "train.csv").string()}).find("holds the input"), std::string::npos);
    EXPECT_EQ(test_shell::slurp(d / "train.csv"), "q,a");
}

TEST(DatasetOutput, AnUnpublishedBuildLeavesNothingAndAnEarlierDatasetIsReplaced) {
    const fs::path d = fresh("replace");
    fs::create_directories(d / "train");
    write(d / "train" / "dataset.json", "{}");
    write(d / "test_instances.jsonl", "old");
    EXPECT_EQ(refusal(d.string(), false), "");   // only dataset entries: no --force needed
    std::string staging;
    {
        hrm::data::DatasetOutput out(d.string(), false);
        staging = out.staging();
        EXPECT_TRUE(fs::is_directory(staging));
    }   // not published: the staging folder goes, DIR is untouched
    EXPECT_FALSE(fs::exists(staging));
    EXPECT_EQ(test_shell::slurp(d / "train" / "dataset.json"), "{}");
    hrm::data::DatasetOutput out(d.string(), false);
    fs::create_directories(fs::path(out.staging()) / "train");
    write(fs::path(out.staging()) / "train" / "dataset.json", "{\"new\": 1}");
    out.publish();
    EXPECT_EQ(test_shell::slurp(d / "train" / "dataset.json"), "{\"new\": 1}");
    EXPECT_FALSE(fs::exists(d / "test_instances.jsonl"));   // an older build's entry, not this one's
}

// The report's reproduction, through the runner.
TEST(DatasetOutput, RunnerKeepsTheThesis) {
    const fs::path d = fresh("runner");
    fs::create_directories(d / "v");
    write(d / "v" / "thesis.tex", "x");
    auto r = run_hrm(d, "dataset build sudoku4 --train 10 --test 5 -o v");
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("thesis.tex"), std::string::npos) << r.output;
    EXPECT_EQ(test_shell::slurp(d / "v" / "thesis.tex"), "x");
    r = run_hrm(d, "dataset build sudoku4 --train 10 --test 5 -o .");
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_TRUE(fs::exists(d / "v" / "thesis.tex"));
    r = run_hrm(d, "dataset build sudoku4 --train 10 --test 5 -o v --force");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(test_shell::slurp(d / "v" / "thesis.tex"), "x");
    EXPECT_TRUE(fs::exists(d / "v" / "train" / "dataset.json"));
}

// Absurd counts on the command line are refused before any work (issue #24 item 7).
TEST(RunnerLimits, AbsurdCountsAreRefused) {
    const fs::path d = fresh("limits");
    auto r = run_hrm(d, "forward --model m --inputs x.npy --segments 1000000 --out o");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("--segments must be in 1..4096"), std::string::npos) << r.output;
    r = run_hrm(d, "dataset build sudoku4 --train 10 --test 5 --aug 1000000000 -o v");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("--aug is at most"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(d / "v"));
}

// A checkpoint whose embedding has hidden size 0: `hrm convert` divided by zero
// (cmd_convert.cpp:125, SIGFPE).
TEST(RunnerLimits, ConvertRefusesAZeroHiddenSize) {
    const fs::path d = fresh("convert");
    reliability::Pickle p;
    p.op("}(").str("model.inner.embed_tokens.embedding_weight").tensor("0", 0, 0, {11, 0}, {0, 1}).op("u.");
    const std::string zip = reliability::archive(p.bytes(), {{"0", ""}});
    std::ofstream(d / "zero.pt", std::ios::binary).write(zip.data(), std::streamsize(zip.size()));
    const auto r = run_hrm(d, "convert zero.pt -o out.safetensors --set model.seq_len=81");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("hidden_size must be at least 1"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(d / "out.safetensors"));
}
