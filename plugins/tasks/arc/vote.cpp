#include "vote.hpp"

#include <algorithm>
#include <cmath>

#include <hrm/common/json.hpp>
#include <hrm/hrm_plugin.hpp>

#include "encode.hpp"

namespace hrm::arc {

bool TestResult::solved_at(int k) const {
  if (!expected) return false;
  for (int i = 0; i < k && i < int(ranked.size()); ++i)
    if (ranked[size_t(i)].grid == *expected) return true;
  return false;
}

Voter::Entry* Voter::find(const std::string& task, const Grid& input) {
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return nullptr;
  for (Entry& e : it->second)
    if (e.test.input == input) return &e;
  return nullptr;
}

void Voter::add_test(const std::string& task, const Grid& input, const std::optional<Grid>& expected) {
  if (find(task, input)) return;
  Entry e;
  e.test.input = input;
  e.test.expected = expected;
  tasks_[task].push_back(std::move(e));
}

bool Voter::add_prediction(const std::string& puzzle, const Grid& aug_input, const Grid& aug_prediction,
                           double q_halt_logit) {
  const auto name = parse_puzzle_name(puzzle);
  if (!name) return false;
  const Augmentation inv = name->augmentation.inverse();
  Entry* e = find(name->task, inv.apply(aug_input));
  if (!e) return false;
  const Grid answer = aug_prediction.empty() ? Grid() : inv.apply(aug_prediction);
  const uint64_t h = grid_hash(answer);
  auto [it, added] = e->index.emplace(h, e->candidates.size());
  if (added) e->candidates.push_back(Candidate{answer, 0, 0.0});
  Candidate& c = e->candidates[it->second];
  c.votes += 1;
  c.confidence_sum += 1.0 / (1.0 + std::exp(-q_halt_logit));
  return true;
}

std::vector<TaskResult> Voter::results() const {
  std::vector<TaskResult> out;
  for (const auto& [task, entries] : tasks_) {
    TaskResult r{task, {}};
    for (const Entry& e : entries) {
      TestResult t = e.test;
      t.ranked = e.candidates;
      std::stable_sort(t.ranked.begin(), t.ranked.end(), [](const Candidate& a, const Candidate& b) {
        if (a.votes != b.votes) return a.votes > b.votes;
        return a.mean_confidence() > b.mean_confidence();
      });
      r.tests.push_back(std::move(t));
    }
    out.push_back(std::move(r));
  }
  return out;
}

Score score(const std::vector<TaskResult>& results, int k) {
  Score s;
  s.k = k;
  for (const TaskResult& r : results) {
    const bool known = !r.tests.empty() &&
                       std::all_of(r.tests.begin(), r.tests.end(), [](const TestResult& t) { return t.expected.has_value(); });
    if (!known) continue;
    int solved = 0;
    for (const TestResult& t : r.tests) solved += t.solved_at(k);
    s.tasks += 1;
    s.reference += solved == int(r.tests.size()) ? 1.0 : 0.0;
    s.official += double(solved) / double(r.tests.size());
  }
  if (s.tasks) s.reference /= s.tasks, s.official /= s.tasks;
  return s;
}

std::string submission_json(const std::vector<TaskResult>& results) {
  auto attempt = [](const TestResult& t, size_t i) {
    return i < t.ranked.size() && !t.ranked[i].grid.empty() ? grid_to_json(t.ranked[i].grid) : std::string("[[0]]");
  };
  std::string s = "{";
  for (size_t i = 0; i < results.size(); ++i) {
    s += (i ? ",\n" : "\n") + common::json::quote(results[i].task) + ": [";
    for (size_t j = 0; j < results[i].tests.size(); ++j) {
      const TestResult& t = results[i].tests[j];
      s += (j ? ", " : "") + std::string("{\"attempt_1\": ") + attempt(t, 0) + ", \"attempt_2\": " + attempt(t, 1) + "}";
    }
    s += "]";
  }
  return s + "\n}\n";
}

}  // namespace hrm::arc

namespace hrm::arc {

namespace {

using hrm::plugin::Error;

// A prediction's grid: rows (already cropped), 900 canvas tokens (cropped here), or [] (none).
Grid prediction_grid(const common::json::Value& v, const std::string& where) {
  if (!v.is_array()) throw Error(HRM_E_FORMAT, where + ": \"prediction\" must be a grid, 900 tokens or []");
  if (v.array.empty()) return {};
  if (v.array[0].is_array()) return grid_from_json(v, where + ": prediction");
  if (int64_t(v.array.size()) != kSeqLen)
    throw Error(HRM_E_FORMAT, where + ": a token prediction needs 900 tokens, got " + std::to_string(v.array.size()));
  std::vector<int32_t> tokens;
  for (const auto& t : v.array) {
    if (!t.is_integer) throw Error(HRM_E_FORMAT, where + ": tokens must be integers");
    tokens.push_back(int32_t(t.integer));
  }
  return crop(tokens.data());
}

}  // namespace

void add_ground_truth(const std::vector<TestRow>& rows, Voter& voter) {
  for (const TestRow& r : rows)
    if (!r.puzzle.empty() && is_original_puzzle(r.puzzle)) voter.add_test(r.puzzle, r.input, r.label);
}

Tally vote_predictions(const std::vector<TestRow>& rows, std::string_view jsonl, const std::string& where, Voter& voter) {
  using Type = common::json::Value::Type;
  Tally tally;
  size_t next_row = 0, lineno = 0, pos = 0;
  // The line that predicted each row (0: none yet). A second line for a row is refused: it would
  // vote twice and count twice ("10 of 9 rows predicted", issue #24).
  std::vector<size_t> predicted_on(rows.size(), 0);
  while (pos < jsonl.size()) {
    size_t eol = jsonl.find('\n', pos);
    if (eol == std::string_view::npos) eol = jsonl.size();
    const std::string_view line = jsonl.substr(pos, eol - pos);
    pos = eol + 1;
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string at = where + ":" + std::to_string(lineno);
    const auto v = common::json::parse(line, at);
    if (!v.is_object()) throw Error(HRM_E_FORMAT, at + ": expected a JSON object");

    // Which row, which puzzle, which answer and confidence, in either form.
    size_t row = next_row;
    std::string puzzle;
    Grid answer;
    double q_halt = 0.0;
    if (const auto* index = v.find("index")) {  // hrm solve's output
      if (!index->is_integer || index->integer < 0) throw Error(HRM_E_FORMAT, at + ": \"index\" must be an integer >= 0");
      row = size_t(index->integer);
      const auto* input = v.find("input");
      if (!input || !input->is_string()) throw Error(HRM_E_FORMAT, at + ": \"input\" must be the instance text");
      const auto instance = common::json::parse(input->string, at + ": input");
      const auto* name = instance.find("puzzle") ? instance.find("puzzle") : instance.find("task");
      if (!name || !name->is_string()) throw Error(HRM_E_FORMAT, at + ": the instance names no puzzle or task");
      puzzle = name->string;
      if (const auto* solution = v.find("solution")) {
        if (!solution->is_string()) throw Error(HRM_E_FORMAT, at + ": \"solution\" must be a string");
        answer = parse_grid(solution->string, at + ": solution");
      } else if (!v.find("error")) {
        throw Error(HRM_E_FORMAT, at + ": needs \"solution\" or \"error\"");
      }
      if (const auto* q = v.find("q")) {
        if (!q->is_array() || q->array.empty() || q->array[0].type != Type::Number)
          throw Error(HRM_E_FORMAT, at + ": \"q\" must be [q_halt, q_continue]");
        q_halt = q->array[0].number;
      }
    } else {
      const auto* name = v.find("puzzle");
      const auto* pred = v.find("prediction");
      const auto* q = v.find("q_halt");
      if (!name || !name->is_string() || !pred) throw Error(HRM_E_FORMAT, at + ": needs \"puzzle\" and \"prediction\"");
      if (q && q->type != Type::Number) throw Error(HRM_E_FORMAT, at + ": \"q_halt\" must be a number");
      puzzle = name->string;
      answer = prediction_grid(*pred, at);
      q_halt = q ? q->number : 0.0;
    }
    if (row >= rows.size())
      throw Error(HRM_E_FORMAT, at + ": row " + std::to_string(row) + " but the dataset has " + std::to_string(rows.size()) +
                                    " test rows (more predictions than rows?)");
    if (puzzle != rows[row].puzzle)
      throw Error(HRM_E_FORMAT, at + ": puzzle \"" + puzzle + "\" but test row " + std::to_string(row) + " is \"" +
                                    rows[row].puzzle + "\" (lines must follow the dataset's test rows)");
    if (predicted_on[row] != 0)
      throw Error(HRM_E_FORMAT, at + ": a second prediction for test row " + std::to_string(row) + " (puzzle \"" +
                                    rows[row].puzzle + "\"); line " + std::to_string(predicted_on[row]) +
                                    " predicted it already");
    predicted_on[row] = lineno;
    next_row = row + 1;
    ++tally.predicted;
    if (!voter.add_prediction(puzzle, rows[row].input, answer, q_halt)) ++tally.unmatched;
  }
  return tally;
}

std::string instance_line(const std::string& task, int64_t test_index, const TestRow& row) {
  return "{\"task\": " + common::json::quote(task) + ", \"test_index\": " + std::to_string(test_index) +
         ", \"input\": " + grid_to_json(row.input) + ", \"output\": " + grid_to_json(row.label) +
         ", \"puzzle\": " + common::json::quote(row.puzzle) + "}";
}

}  // namespace hrm::arc
