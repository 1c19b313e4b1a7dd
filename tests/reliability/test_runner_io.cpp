// Issue #24, the runner's input and output files: two `hrm solve -o same.jsonl` both exited 0 and
// left invalid JSON lines; `hrm solve DIR` printed "solved 0/0" and exited 0; a UTF-8 byte order
// mark was rejected in puzzle files; `hrm oracle --task gridnav` output could not be read back.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hrm/common/error.hpp"
#include "hrm/common/json.hpp"
#include "shell.hpp"   // tests/common

namespace fs = std::filesystem;

namespace {

fs::path fresh(const std::string &name) {
    const fs::path d = fs::path(::testing::TempDir()) / ("hrm_reliability_io_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

void write(const fs::path &p, const std::string &text) { std::ofstream(p, std::ios::binary) << text; }

// `hrm ARGS` in dir with stdin from the file `in` (empty when not given): exit code and stdout,
// followed by stderr unless `stderr_to` names somewhere else for it.
test_shell::Result run_hrm(const fs::path &dir, const std::string &args, const std::string &in = "/dev/null",
                           const std::string &stderr_to = "&1") {
    return test_shell::run("cd " + dir.string() + " && HRM_PLUGIN_PATH=" HRM_PLUGIN_DIR " " HRM_TEST_LAUNCHER " " HRM_RUNNER
                           " " + args + " < " + in + " 2>" + stderr_to);
}

bool has(const std::string &s, const std::string &part) { return s.find(part) != std::string::npos; }

const std::string kModel = HRM_TEST_DATA_DIR "/parity/small/model.safetensors";
const std::string kSudoku = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......";

}  // namespace

// A second run on an output file another process is writing fails at once and leaves that file
// alone: here the other process is this test, holding the lock `hrm solve -o` takes.
TEST(RunnerOutput, SolveRefusesAnOutputFileAnotherRunIsWriting) {
    const fs::path d = fresh("lock");
    const fs::path out = d / "same.jsonl";
    write(out, "{\"index\": 0}\n");   // the first run's line so far
    const int fd = ::open(out.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const auto second = run_hrm(d, "solve --task sudoku --model " + kModel + " -o same.jsonl");
    EXPECT_EQ(second.code, 1) << second.output;
    EXPECT_TRUE(has(second.output, "'same.jsonl' is being written by another process")) << second.output;
    EXPECT_EQ(test_shell::slurp(out), "{\"index\": 0}\n") << "the first run's output was truncated";
    ::close(fd);   // the first run is done: the file is free again and emptied for the new run
    const auto third = run_hrm(d, "solve --task sudoku --model " + kModel + " -o same.jsonl");
    EXPECT_EQ(third.code, 0) << third.output;
    EXPECT_EQ(test_shell::slurp(out), "");
}

// A folder given as the puzzle file read as no puzzles; an empty file still is none (exit 0, said).
TEST(RunnerInput, AFolderIsNotAnEmptyPuzzleFile) {
    const fs::path d = fresh("folder");
    fs::create_directories(d / "puzzles");
    const auto solve = run_hrm(d, "solve --task sudoku --model " + kModel + " puzzles");
    EXPECT_EQ(solve.code, 1) << solve.output;
    EXPECT_TRUE(has(solve.output, "'puzzles' is a folder, not a file")) << solve.output;
    EXPECT_FALSE(has(solve.output, "solved 0/0")) << solve.output;
    const auto oracle = run_hrm(d, "oracle --task sudoku puzzles");
    EXPECT_EQ(oracle.code, 1) << oracle.output;
    EXPECT_TRUE(has(oracle.output, "'puzzles' is a folder, not a file")) << oracle.output;

    write(d / "empty.txt", "");
    const auto empty = run_hrm(d, "solve --task sudoku --model " + kModel + " empty.txt");
    EXPECT_EQ(empty.code, 0) << empty.output;
    EXPECT_TRUE(has(empty.output, "no puzzles in 'empty.txt'")) << empty.output;
}

// Editors on Windows start a text file with a byte order mark; it is not part of the first puzzle.
TEST(RunnerInput, AByteOrderMarkIsSkipped) {
    const fs::path d = fresh("bom");
    write(d / "p.txt", "\xEF\xBB\xBF" + kSudoku + "\n" + kSudoku + "\n");
    for (const std::string args : {"oracle --task sudoku p.txt", "oracle --task sudoku -"}) {
        const auto r = run_hrm(d, args, (d / "p.txt").string());
        EXPECT_EQ(r.code, 0) << args << ": " << r.output;
        EXPECT_TRUE(has(r.output, "2 solved, 0 failed")) << args << ": " << r.output;
    }
    write(d / "p.csv", "\xEF\xBB\xBF" "source,question,answer,rating\nme," + kSudoku + ",,0\n");
    const auto csv = run_hrm(d, "oracle --task sudoku p.csv");
    EXPECT_TRUE(has(csv.output, "1 solved, 0 failed")) << csv.output;
}

// One JSON object per line, in input order, failed records included with their error: the output
// of a task whose solutions span several lines (gridnav) reads back record by record.
TEST(RunnerOutput, OracleWritesOneJsonLinePerRecordFailuresIncluded) {
    const fs::path d = fresh("oracle");
    write(d / "g.txt", "S..\n.#.\n..G\n\nS.x\n..G\n\nS#G\n...\n");
    const auto r = run_hrm(d, "oracle --task gridnav g.txt", "/dev/null", "/dev/null");   // stdout only
    EXPECT_EQ(r.code, 1) << r.output;
    std::vector<hrm::common::json::Value> lines;
    for (size_t pos = 0; pos < r.output.size();) {
        const size_t eol = r.output.find('\n', pos);
        ASSERT_NE(eol, std::string::npos) << "an unterminated line: " << r.output;
        lines.push_back(hrm::common::json::parse(r.output.substr(pos, eol - pos), "line"));
        pos = eol + 1;
    }
    ASSERT_EQ(lines.size(), 3u) << r.output;
    for (size_t i = 0; i < 3; ++i) {
        ASSERT_TRUE(lines[i].is_object()) << r.output;
        EXPECT_EQ(lines[i].find("index")->integer, int64_t(i));
        EXPECT_EQ(lines[i].find("error") != nullptr, i == 1) << r.output;
        EXPECT_EQ(lines[i].find("solution") != nullptr, i != 1) << r.output;
    }
    EXPECT_TRUE(has(lines[1].find("error")->string, "unknown character 'x'")) << r.output;
    EXPECT_EQ(lines[2].find("solution")->string, "S#G\nooo") << r.output;
}
