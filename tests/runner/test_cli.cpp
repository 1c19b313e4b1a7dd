// The hrm binary end to end, as a user runs it: exit codes, messages, and reproducible datasets.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <unistd.h>

#include "shell.hpp"

namespace fs = std::filesystem;

namespace {

using test_shell::Result;   // output: stdout and stderr together
using test_shell::slurp;

// Runs hrm with the build tree's plugins on HRM_PLUGIN_PATH, from a scratch directory so nothing
// depends on the current directory.
Result hrm(const std::string &args, const std::string &stdin_text = "") {
    // One stdin file per process: ctest -j runs these tests concurrently.
    const std::string input = ::testing::TempDir() + "cli-stdin-" + std::to_string(getpid()) + ".txt";
    std::ofstream(input) << stdin_text;
    return test_shell::run("cd " + ::testing::TempDir() + " && HRM_PLUGIN_PATH=" HRM_PLUGIN_DIR " " HRM_RUNNER " " +
                           args + " < " + input + " 2>&1");
}

}  // namespace

TEST(Cli, VersionAndHelp) {
    const Result v = hrm("--version");
    EXPECT_EQ(v.code, 0);
    EXPECT_NE(v.output.find("plugin ABI major 1"), std::string::npos) << v.output;
    const Result h = hrm("--help");
    EXPECT_EQ(h.code, 0);
    EXPECT_NE(h.output.find("oracle"), std::string::npos);
    EXPECT_EQ(hrm("oracle --help").code, 0);
}

TEST(Cli, BadArgumentsExitWithTwo) {
    EXPECT_EQ(hrm("").code, 2);
    EXPECT_EQ(hrm("frobnicate").code, 2);
    const Result r = hrm("oracle --no-such-option");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("usage: hrm oracle"), std::string::npos) << r.output;
    EXPECT_EQ(hrm("dataset build sudoku4 --train -3 -o x").code, 2);
}

TEST(Cli, PluginsListsTheBuiltInTasks) {
    const Result r = hrm("plugins");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("org.hrm-sdk.task.sudoku"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("org.hrm-sdk.task.maze"), std::string::npos) << r.output;
}

TEST(Cli, UnknownTaskIsAClearError) {
    const Result r = hrm("oracle --task chess");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.output.find("chess"), std::string::npos) << r.output;
}

TEST(Cli, SolveNamesTheModelItRuns) {
    // Read from the model file, not assumed: the bundled Sudoku model is a TRM-MLP (models/sudoku.md).
    // No puzzles, so no model runs (this also holds on CPUs the kernels cannot run on yet).
    const Result bundled = hrm("solve --task sudoku");
    EXPECT_EQ(bundled.code, 0) << bundled.output;
    EXPECT_NE(bundled.output.find("model: bundled TRM-MLP (526,850 parameters), "), std::string::npos) << bundled.output;
    EXPECT_NE(bundled.output.find("models/sudoku.safetensors"), std::string::npos) << bundled.output;
    const Result given = hrm("solve --task sudoku --model " HRM_TEST_DATA_DIR "/parity/small/model.safetensors");
    EXPECT_EQ(given.code, 0) << given.output;
    EXPECT_NE(given.output.find("model: HRM ("), std::string::npos) << given.output;
    EXPECT_EQ(given.output.find("bundled"), std::string::npos) << given.output;
}

TEST(Cli, OracleSolvesAndReportsBadRecordsWithoutStopping) {
    const Result r = hrm("oracle --task sudoku --stats -",
                      "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......\n"
                      "12345\n"
                      "11.......................................................................\n");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.output.find("\"solution\": \"417369825632158947958724316825437169791586432346912758289643571573291684164875293\", "
                            "\"solutions\": 1, \"rating\": "),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("record 2: sudoku instance: wrong length"), std::string::npos) << r.output;
    // The failed records keep their line in the output, with their error.
    EXPECT_NE(r.output.find("{\"index\": 1, \"input\": \"12345\", \"error\": \"sudoku instance: wrong length"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("record 3"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("1 solved, 2 failed"), std::string::npos) << r.output;
}

TEST(Cli, DatasetBuildIsReproducibleAndValid) {
    const std::string a = ::testing::TempDir() + "ds-a", b = ::testing::TempDir() + "ds-b",
                      c = ::testing::TempDir() + "ds-c";
    ASSERT_EQ(hrm("dataset build sudoku4 --train 20 --test 5 --aug 2 --seed 11 -o " + a).code, 0);
    ASSERT_EQ(hrm("dataset build sudoku4 --train 20 --test 5 --aug 2 --seed 11 -o " + b).code, 0);
    ASSERT_EQ(hrm("dataset build sudoku4 --train 20 --test 5 --aug 2 --seed 12 -o " + c).code, 0);
    for (const char *f : {"train/all__inputs.npy", "train/all__labels.npy", "test/all__inputs.npy", "train/dataset.json"})
        EXPECT_EQ(slurp(fs::path(a) / f), slurp(fs::path(b) / f)) << f;
    EXPECT_NE(slurp(fs::path(a) / "train/all__inputs.npy"), slurp(fs::path(c) / "train/all__inputs.npy"));
    const Result info = hrm("dataset info " + a);
    EXPECT_EQ(info.code, 0) << info.output;
    EXPECT_NE(info.output.find("train: 20 groups, 60 puzzles, 60 examples; seq_len 16"), std::string::npos) << info.output;
    EXPECT_FALSE(fs::exists(a + ".partial"));
}

TEST(Cli, DatasetImportTakesPuzzlesWithSolutions) {
    // sudoku-extreme CSV: source,question,answer,rating
    const std::string csv = ::testing::TempDir() + "import.csv";
    std::ofstream(csv) << "source,question,answer,rating\n"
                          "a,4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......,"
                          "417369825632158947958724316825437169791586432346912758289643571573291684164875293,3\n"
                          "b,4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......,"
                          "417369825632158947958724316825437169791586432346912758289643571573291684164875293,3\n";
    const std::string out = ::testing::TempDir() + "ds-import";
    const Result r = hrm("dataset import sudoku --train " + csv + " --aug 1 -o " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("train: 2 groups, 4 puzzles"), std::string::npos) << r.output;
    const Result bad = hrm("dataset import sudoku --train - -o " + out + "-bad", "1234\n");
    EXPECT_EQ(bad.code, 1);
    EXPECT_NE(bad.output.find("train instance 1"), std::string::npos) << bad.output;
}

TEST(Cli, DatasetInfoRejectsABrokenDataset) {
    const std::string dir = ::testing::TempDir() + "ds-broken";
    ASSERT_EQ(hrm("dataset build sudoku4 --train 3 --test 1 -o " + dir).code, 0);
    std::ofstream(dir + "/train/dataset.json") << "{}";
    const Result r = hrm("dataset info " + dir);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.output.find("dataset.json"), std::string::npos) << r.output;
}

TEST(Cli, GridnavDatasetFromMovingAIMapsAndOracle) {
    const std::string maps = std::string(HRM_TEST_DATA_DIR) + "/gridnav";
    const std::string out = ::testing::TempDir() + "ds-gridnav";
    const Result r = hrm("dataset build gridnav --maps " + maps + " --train 40 --test 10 --seed 3 -o " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("train: 40 groups"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("test: 10 groups"), std::string::npos) << r.output;
    EXPECT_EQ(hrm("dataset build sudoku --maps " + maps + " -o " + out + "-x").code, 2);
    const Result g = hrm("dataset build gridnav --generate rooms --train 5 --test 2 -o " + out + "-rooms");
    EXPECT_EQ(g.code, 0) << g.output;
    EXPECT_NE(hrm("dataset build gridnav --generate volcano --train 1 --test 0 -o " + out + "-bad").code, 0);

    const Result o = hrm("oracle --task gridnav --map " + maps + "/arena.map --scen " + maps + "/arena.map.scen");
    EXPECT_EQ(o.code, 0) << o.output;
}

// ---- hrm check-plugin ------------------------------------------------------------------------

// Every class of our task plugins passes every check (ARC, which cannot generate, with the test
// pairs of the fixture tasks); so do the policies, the models and the example plugin.
TEST(CheckPlugin, OurPluginsPass) {
    for (const std::string target : {"org.hrm-sdk.task.sudoku", "maze", "gridnav", "org.hrm-sdk.policies", "trm", "hrm",
                                     "transformer", "org.hrm-sdk.examples.reverse",
                                     "arc --instances " HRM_TEST_DATA_DIR "/arc/instances.jsonl"}) {
        const Result r = hrm("check-plugin " + target);
        EXPECT_EQ(r.code, 0) << target << "\n" << r.output;
        EXPECT_EQ(r.output.find("FAIL"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("OK: "), std::string::npos) << r.output;
    }
}

TEST(CheckPlugin, ArcWithoutInstancesSaysWhatToPass) {
    const Result r = hrm("check-plugin arc");
    EXPECT_NE(r.output.find("SKIP  instances: none: the task cannot generate; pass --instances FILE"), std::string::npos)
        << r.output;
}

TEST(CheckPlugin, ACorrectPluginLoadedByPathPasses) {
    const Result r = hrm("check-plugin " HRM_FAULTY_TASK " --set task.fault=none");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("PASS  load"), std::string::npos) << r.output;
    // It has every optional slot but render, so nothing else may be skipped.
    const size_t skip = r.output.find("SKIP");
    EXPECT_EQ(r.output.substr(skip, 13), "SKIP  render:") << r.output;
    EXPECT_EQ(r.output.find("SKIP", skip + 1), std::string::npos) << r.output;
}

// Each deliberate fault fails the run, and the report names the check that caught it.
TEST(CheckPlugin, EachFaultIsCaughtByItsCheck) {
    const std::pair<const char *, const char *> faults[] = {
        {"verify_accepts_anything", "FAIL  verify rejects corrupted labels"},
        {"augment_inverse_wrong", "FAIL  augment then inverse is the identity"},
        {"spec_writes_past", "FAIL  spec honours the caller's struct_size"},
        // A SIGSEGV, or under the sanitizers their report and exit: either way named with its check.
        {"crash_on_malformed", "FAIL  encode refuses malformed instances: the plugin "},
        {"generate_unseeded", "FAIL  generate is deterministic and seeded"},
        {"split_stalls", "FAIL  split finds each instance alone: offset did not move forward"},
    };
    for (const auto &[fault, expect] : faults) {
        const Result r = hrm(std::string("check-plugin " HRM_FAULTY_TASK " --set task.fault=") + fault);
        EXPECT_EQ(r.code, 1) << fault << "\n" << r.output;
        EXPECT_NE(r.output.find(expect), std::string::npos) << fault << "\n" << r.output;
        EXPECT_NE(r.output.find("FAILED: 0 of 1 class(es)"), std::string::npos) << r.output;
    }
}

TEST(CheckPlugin, ABrokenLibraryIsAFailedLoad) {
    const std::string junk = ::testing::TempDir() + "not-a-plugin.so";
    std::ofstream(junk) << "not an ELF file\n";
    const Result r = hrm("check-plugin " + junk);
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("FAIL  load"), std::string::npos) << r.output;
    EXPECT_EQ(hrm("check-plugin no-such-plugin").code, 2);
}
