// ARC evaluation (hrm-reference.md 5.2, TRM's evaluators/arc.py): the model answers every
// augmented copy of every test input; answers are mapped back through the inverse augmentation,
// grouped by (task, original input), and ranked by vote count, then by mean sigmoid(q_halt).
// The top k of a test input are its k attempts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "augment.hpp"
#include "task.hpp"

namespace hrm::arc {

struct Candidate {
  Grid grid;
  int votes = 0;
  double confidence_sum = 0;  // sum of sigmoid(q_halt) over the votes
  double mean_confidence() const { return votes ? confidence_sum / votes : 0.0; }
};

struct TestResult {
  Grid input;
  std::optional<Grid> expected;
  std::vector<Candidate> ranked;  // best first
  // Whether expected is among the first k candidates.
  bool solved_at(int k) const;
};

struct TaskResult {
  std::string task;
  std::vector<TestResult> tests;  // in the order the test inputs were added
};

class Voter {
 public:
  // Declares a test input of a task (in the original, un-augmented space) and its answer if known.
  // Adding the same input twice to a task is ignored (ARC tasks have distinct test inputs).
  void add_test(const std::string& task, const Grid& input, const std::optional<Grid>& expected);
  // One answer of the model for puzzle `puzzle` (an augmented name such as 007bbfb7_t3_0615283749)
  // whose augmented input was aug_input. Returns false, without voting, when the puzzle name is
  // malformed or its de-augmented input is not a declared test input of its task.
  bool add_prediction(const std::string& puzzle, const Grid& aug_input, const Grid& aug_prediction, double q_halt_logit);
  // Tasks sorted by id; each test's candidates ranked by (votes, mean confidence) descending,
  // ties kept in order of first appearance (stable, like the reference's sort).
  std::vector<TaskResult> results() const;

 private:
  struct Entry {
    TestResult test;
    std::vector<Candidate> candidates;  // in order of first appearance
    std::map<uint64_t, size_t> index;   // grid hash -> candidate
  };
  std::map<std::string, std::vector<Entry>> tasks_;
  Entry* find(const std::string& task, const Grid& input);
};

// One row of a dataset's test split, cropped (crop()) from its input and label canvases.
struct TestRow {
  std::string puzzle;  // identifier name; "" for padding rows
  Grid input, label;
};

// Declares the ground truth: every row of an un-augmented puzzle (name without '_') is a test
// input of the task of that name.
void add_ground_truth(const std::vector<TestRow>& rows, Voter& voter);

// Votes a predictions file of JSON lines (blank lines skipped), in either of two forms:
//   {"puzzle": "<name>", "prediction": [[...]] | [900 tokens] | [], "q_halt": <logit>}
//       one line per test row, in row order. A token prediction is cropped by the reference rule;
//       [] is "no answer"; q_halt is optional (0).
//   {"index": i, "input": "<plugin instance>", "solution": "[[...]]", "q": [q_halt, q_continue]}
//       the output of `hrm solve --task arc` on the dataset's test_instances.jsonl: row i, the
//       puzzle named by the instance; a line with "error" instead of a solution is no answer.
// Each line's puzzle must be its row's, so a file from another dataset or order is refused.
// Throws hrm::plugin::Error(HRM_E_FORMAT) naming `where`:<line>.
struct Tally {
  int64_t predicted = 0;  // rows with a prediction (an empty one included)
  int64_t unmatched = 0;  // of which not matched to a declared test input (see add_prediction)
};
Tally vote_predictions(const std::vector<TestRow>& rows, std::string_view jsonl, const std::string& where, Voter& voter);

// One plugin instance line (see plugin.cpp) for a test row of task `task`, test input index
// `test_index`: the row's (augmented) input and expected output and its puzzle name. The dataset
// build writes these as test_instances.jsonl, so that `hrm solve` can run the test split.
std::string instance_line(const std::string& task, int64_t test_index, const TestRow& row);

// Scores over the tasks whose every test has an expected output (others are left out).
struct Score {
  int k = 0;
  int tasks = 0;           // scored tasks
  double reference = 0;    // tasks with every test output in its top k (the HRM/TRM rule), as a fraction
  double official = 0;     // ARC Prize rule: per task, the fraction of its test outputs in the top k,
                           // averaged over tasks (the official score is k = 2)
};
Score score(const std::vector<TaskResult>& results, int k);

// The ARC Prize submission: {"task": [{"attempt_1": grid, "attempt_2": grid}, ...]} with one
// entry per test input in order. Missing or empty attempts are written as [[0]] since the format
// needs a grid in both.
std::string submission_json(const std::vector<TaskResult>& results);

}  // namespace hrm::arc
