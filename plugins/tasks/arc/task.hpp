// ARC tasks: grids, demonstration/test pairs, and strict parsing of the ARC-AGI JSON files
// ({"train": [{"input": grid, "output": grid}, ...], "test": [...]}, keys in any order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <cstddef>
#include <string_view>
#include <vector>

#include <hrm/common/json.hpp>

namespace hrm::arc {

constexpr int kMaxSide = 30;  // ARC grids are 1..30 cells per side
constexpr int kColours = 10;  // cell values 0..9

// A rectangular grid of colours, row-major. An empty grid (0x0) stands for "no grid", e.g. a
// prediction whose top-left token is not a colour.
struct Grid {
  int height = 0, width = 0;
  std::vector<uint8_t> cells;  // [height * width]

  Grid() = default;
  Grid(int h, int w, uint8_t fill = 0) : height(h), width(w), cells(size_t(h) * size_t(w), fill) {}
  uint8_t& at(int r, int c) { return cells[size_t(r) * size_t(width) + size_t(c)]; }
  uint8_t at(int r, int c) const { return cells[size_t(r) * size_t(width) + size_t(c)]; }
  bool empty() const { return cells.empty(); }
  bool operator==(const Grid& o) const { return height == o.height && width == o.width && cells == o.cells; }
  bool operator!=(const Grid& o) const { return !(*this == o); }
};

struct Pair {
  Grid input;
  std::optional<Grid> output;  // always present in "train"; optional in "test" (hidden answers)
};

struct Task {
  std::string id;  // file name without .json (8 hex digits in ARC-AGI)
  std::vector<Pair> train, test;
};

// The largest ARC text read (a task file, an instance line, a grid): the biggest published task
// is well under 100 KB. Checked before parsing: a 6 MB line used to cost 10 s and 480 MB of JSON values
// before it was refused for having more than 30 columns (issue #24).
constexpr std::size_t kMaxTextBytes = std::size_t(1) << 20;
// Throws HRM_E_FORMAT "<where>: N bytes, more than any ARC task" when text is larger.
void check_text_size(std::string_view text, const std::string& where);

// Grid from a parsed JSON value: a list of 1..30 rows of equal length 1..30, integers 0..9.
// Throws hrm::plugin::Error(HRM_E_FORMAT) "<where>: row R column C: ..." (0-based positions).
Grid grid_from_json(const common::json::Value& v, const std::string& where);
// Same from text (whole document).
Grid parse_grid(std::string_view text, const std::string& where);
// Compact JSON: [[0,1],[1,0]].
std::string grid_to_json(const Grid& g);

// A whole task file. Keys: "train" (list, every pair with an output), "test" (list, outputs
// optional) and the optional "name" string that 11 published ARC-AGI files carry; anything else is an
// error. Errors name the task, the list, the pair and the position: "007bbfb7: train[2].output:
// row 1 column 4: 12 is not a colour 0-9".
Task parse_task(std::string_view text, const std::string& id);
// Reads path; the id is the file name without its extension.
Task read_task_file(const std::string& path);
// The same checks on a parsed task object.
Task task_from_json(const common::json::Value& doc, const std::string& id);
// A Kaggle-style collection, as TRM's builder reads it: `<prefix>_<subset>_challenges.json`, an
// object of tasks by id (in file order), with the test outputs from the sibling
// `<prefix>_<subset>_solutions.json` (id -> list of output grids) when it exists.
std::vector<Task> read_challenges_file(const std::string& path);

}  // namespace hrm::arc
