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

TEST(Cli, OracleSolvesAndReportsBadRecordsWithoutStopping) {
    const Result r = hrm("oracle --task sudoku --stats -",
                      "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......\n"
                      "12345\n"
                      "11.......................................................................\n");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.output.find("417369825632158947958724316825437169791586432346912758289643571573291684164875293\tsolutions=1"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("record 2: sudoku instance: wrong length"), std::string::npos) << r.output;
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
