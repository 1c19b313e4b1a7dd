// `hrm dataset build arc` and `hrm eval --task arc` end to end through the runner binary, on the
// small task files of tests/data/arc: the build is deterministic, and perfect predictions written
// from the test split score 100% and give the right submission file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>

#include <hrm/common/json.hpp>
#include <hrm/data/dataset.hpp>

#include "encode.hpp"
#include "task.hpp"

namespace fs = std::filesystem;
namespace arc = hrm::arc;

namespace {

const std::string kData = HRM_ARC_TEST_DATA;

std::string read(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// A folder of the running test's own (ctest may run the tests of this file in parallel).
fs::path test_dir() {
  return fs::path(testing::TempDir()) / ("arc_runner_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
}

// Runs the runner with args; returns its exit code, *out gets stdout and stderr.
int run_hrm(const std::string& args, std::string* out) {
  const fs::path log = test_dir().string() + ".log";
  const int rc = std::system((std::string(HRM_RUNNER) + " " + args + " > " + log.string() + " 2>&1").c_str());
  *out = read(log);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class ArcRunner : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_dir();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove(dir_.string() + ".log");
  }
  std::string build(const std::string& name, const std::string& roots, int aug = 3) {
    std::string out;
    EXPECT_EQ(run_hrm("dataset build arc --data " + roots + " --aug " + std::to_string(aug) + " --seed 7 -o " +
                      (dir_ / name).string(),
                  &out),
              0)
        << out;
    return out;
  }
  std::string both() const { return kData + "/arc-agi-1 " + kData + "/arc-agi-2"; }
  fs::path dir_;
};

}  // namespace

TEST_F(ArcRunner, BuildIsDeterministic) {
  const std::string out = build("a", both());
  EXPECT_NE(out.find("7 tasks (3 evaluation), 2 duplicate(s) dropped"), std::string::npos) << out;
  build("b", kData + "/arc-agi-2 " + kData + "/arc-agi-1");  // folder order does not matter
  for (const char* file : {"identifiers.json", "train/all__inputs.npy", "train/all__labels.npy", "test/all__inputs.npy",
                           "test/all__puzzle_identifiers.npy", "train/dataset.json"})
    EXPECT_TRUE(read(dir_ / "a" / file) == read(dir_ / "b" / file)) << file;  // not EXPECT_EQ: binary
  const auto names = hrm::data::read_identifiers((dir_ / "a").string());
  ASSERT_EQ(names.size(), 1u + 7 * 4);
  EXPECT_EQ(names[1], "00576224");
  const auto test = hrm::data::read_split((dir_ / "a" / "test").string());
  EXPECT_EQ(test.groups(), 3);
  EXPECT_EQ(test.puzzles(), 12);
  EXPECT_EQ(test.meta.num_puzzle_identifiers, int64_t(names.size()));
}

TEST_F(ArcRunner, PerfectPredictionsScoreEverything) {
  build("ds", both());
  const auto names = hrm::data::read_identifiers((dir_ / "ds").string());
  const auto test = hrm::data::read_split((dir_ / "ds" / "test").string());
  // One line per test row: its label, cropped, as the model's answer for that augmented puzzle.
  std::ofstream preds(dir_ / "preds.jsonl");
  for (int64_t p = 0; p < test.puzzles(); ++p)
    for (int32_t row = test.puzzle_indices[size_t(p)]; row < test.puzzle_indices[size_t(p) + 1]; ++row)
      preds << "{\"puzzle\": \"" << names[size_t(test.puzzle_identifiers[size_t(p)])] << "\", \"prediction\": "
            << arc::grid_to_json(arc::crop(&test.labels[size_t(row) * 900])) << ", \"q_halt\": 0.5}\n";
  preds.close();
  std::string out;
  ASSERT_EQ(run_hrm("eval --task arc --predictions " + (dir_ / "preds.jsonl").string() + " --data " + (dir_ / "ds").string() +
                    " --k 1,2 --submission " + (dir_ / "sub.json").string() + " --html " + (dir_ / "html").string(),
                &out),
            0)
      << out;
  EXPECT_NE(out.find("3 tasks, 3 test outputs; 12 of 12 test rows predicted"), std::string::npos) << out;
  EXPECT_NE(out.find("100.00% (3/3)"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir_ / "html" / "e8686506.html"));
  const auto sub = hrm::common::json::parse(read(dir_ / "sub.json"), "submission");
  ASSERT_TRUE(sub.is_object());
  ASSERT_EQ(sub.object.size(), 3u);
  for (const char* id : {"00576224", "66e6c45b", "e8686506"}) {
    const bool eval1 = std::string(id) != "e8686506";
    const arc::Task t = arc::read_task_file(kData + (eval1 ? "/arc-agi-1" : "/arc-agi-2") + "/evaluation/" + id + ".json");
    const auto* entry = sub.find(id);
    ASSERT_NE(entry, nullptr) << id;
    ASSERT_EQ(entry->array.size(), t.test.size());
    EXPECT_EQ(arc::grid_from_json(*entry->array[0].find("attempt_1"), id), *t.test[0].output) << id;
  }

  // test_instances.jsonl: one plugin instance per test row, in row order. Answering each with its
  // own output, as `hrm solve` would write it, scores everything too.
  std::ifstream instances(dir_ / "ds" / "test_instances.jsonl");
  std::ofstream solved(dir_ / "solved.jsonl");
  std::string line;
  int64_t row = 0;
  while (std::getline(instances, line)) {
    const auto instance = hrm::common::json::parse(line, "instance");
    ASSERT_LT(row, test.examples());
    int64_t puzzle = 0;
    while (test.puzzle_indices[size_t(puzzle) + 1] <= row) ++puzzle;
    EXPECT_EQ(instance.find("puzzle")->string, names[size_t(test.puzzle_identifiers[size_t(puzzle)])]);
    EXPECT_EQ(arc::encode_grid(arc::grid_from_json(*instance.find("input"), "input")),
              std::vector<int32_t>(test.inputs.begin() + row * 900, test.inputs.begin() + (row + 1) * 900));
    solved << "{\"index\": " << row << ", \"input\": " << hrm::common::json::quote(line) << ", \"solution\": \""
           << arc::grid_to_json(arc::grid_from_json(*instance.find("output"), "output")) << "\", \"q\": [1, 0]}\n";
    ++row;
  }
  solved.close();
  EXPECT_EQ(row, test.examples());
  ASSERT_EQ(run_hrm("eval --task arc --predictions " + (dir_ / "solved.jsonl").string() + " --data " + (dir_ / "ds").string() +
                        " --k 1 --submission ''",
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("100.00% (3/3)"), std::string::npos) << out;

  // A file that does not follow the rows is refused.
  std::ofstream(dir_ / "bad.jsonl") << "{\"puzzle\": \"e8686506\", \"prediction\": []}\n";
  EXPECT_EQ(run_hrm("eval --task arc --predictions " + (dir_ / "bad.jsonl").string() + " --data " + (dir_ / "ds").string() +
                    " --submission ''",
                &out),
            1);
  EXPECT_NE(out.find("but test row 0 is \"00576224\""), std::string::npos) << out;
  EXPECT_EQ(run_hrm("eval --task arc --data " + (dir_ / "ds").string(), &out), 2) << "no predictions given";
}
