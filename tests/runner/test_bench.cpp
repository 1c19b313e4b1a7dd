// hrm bench --json end to end: the records are valid JSON lines with the keys a benchmark check
// reads. Only that the values were measured is checked, never a speed: these run on shared CPUs.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <hrm/common/json.hpp>

#include "shell.hpp"

namespace {

// hrm with the build tree's plugins, from the scratch directory; stdout and stderr together.
test_shell::Result run_hrm(const std::string &args) {
    return test_shell::run("cd " + ::testing::TempDir() + " && HRM_PLUGIN_PATH=" HRM_PLUGIN_DIR " " HRM_RUNNER " " + args +
                           " < /dev/null 2>&1");
}

// The records of a --json file: one JSON object per line, every line valid.
std::vector<hrm::common::json::Value> json_lines(const std::string &path) {
    std::vector<hrm::common::json::Value> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(hrm::common::json::parse(line, path));
    return out;
}

}  // namespace

// hrm bench peak --json: one record per supported precision and thread count, positive rates
// (whatever this CPU supports: fp32 always). Speeds are not checked, only that they were measured.
TEST(CliBench, PeakWritesJsonLines) {
    const std::string path = ::testing::TempDir() + "peak.jsonl";
    const test_shell::Result r = run_hrm("bench peak --threads 1 --repeats 2 --seconds 0.01 --json " + path);
    ASSERT_EQ(r.code, 0) << r.output;
    const auto records = json_lines(path);
    ASSERT_FALSE(records.empty()) << r.output;
    EXPECT_EQ(records[0].find("precision")->string, "fp32");
    for (const auto &v : records) {
        for (const char *key : {"gflops", "gflops_min", "gflops_max", "peak_gflops"}) {
            ASSERT_NE(v.find(key), nullptr) << key;
            EXPECT_GT(v.find(key)->number, 0) << key;
        }
        EXPECT_EQ(v.find("threads")->integer, 1);
        EXPECT_FALSE(v.find("cpu")->string.empty());
    }
}

// hrm bench model --json on a tiny TRM: the keys the issue asks for, with the measured values.
TEST(CliBench, ModelWritesTheRequiredKeys) {
    const std::string config = ::testing::TempDir() + "bench-tiny.toml", path = ::testing::TempDir() + "model.jsonl";
    std::ofstream(config) << "[model]\narch = \"trm\"\nhidden_size = 32\nnum_heads = 2\nexpansion = 2.0\nlayers = 1\n"
                             "h_cycles = 1\nl_cycles = 1\npuzzle_emb_ndim = 0\nhalt_max_steps = 2\nvocab_size = 11\n"
                             "seq_len = 16\n";
    const test_shell::Result r = run_hrm("bench model --model-config " + config +
                         " --batches 1,2 --precisions fp32 --min-time 0.05 --repeats 2 --threads 1 --json " + path);
    ASSERT_EQ(r.code, 0) << r.output;
    const auto records = json_lines(path);
    ASSERT_EQ(records.size(), 2u) << r.output;
    for (const auto &v : records) {
        for (const char *key : {"config", "precision", "batch", "threads", "segments_per_s", "segments_per_s_min",
                                "segments_per_s_max", "gflops", "peak_gflops", "pct_peak", "cpu"})
            ASSERT_NE(v.find(key), nullptr) << key;
        EXPECT_EQ(v.find("config")->string, config);
        EXPECT_EQ(v.find("precision")->string, "fp32");
        EXPECT_EQ(v.find("threads")->integer, 1);
        EXPECT_GT(v.find("segments_per_s")->number, 0);
        EXPECT_LE(v.find("segments_per_s_min")->number, v.find("segments_per_s")->number);
        EXPECT_GT(v.find("peak_gflops")->number, 0);   // fp32 has a peak loop on every CPU
        EXPECT_GT(v.find("pct_peak")->number, 0);
    }
    EXPECT_EQ(records[0].find("batch")->integer, 1);
    EXPECT_EQ(records[1].find("batch")->integer, 2);
}
