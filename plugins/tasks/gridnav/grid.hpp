// Grids for the gridnav task: MovingAI .map/.scen files, the compact text instances the
// encoder reads, and model tokens.
//
// Coordinates: x = column, y = row, (0, 0) top-left, as in MovingAI. Messages name cells
// both ways: "(x 3, y 7)" for map/scenario input (the files use x/y), "(row R, column C)"
// 1-based for compact text (the maze task's convention).
//
// MovingAI terrain (.map): '.' and 'G' free; '@', 'O' out of bounds and 'T' trees are
// blocked; 'S' swamp is passable (it costs kSwampCost per cell when terrain costs are on,
// else it is plain free ground); 'W' water is treated as blocked: the spec says it is
// traversable only from water, and this robot model has no boat mode.
//
// Compact text (one instance): rows of equal length joined by '\n';
//   '.' free, '#' blocked, '~' swamp, 'S' start, 'G' goal, and in solutions 'o' path on free
//   ground, '*' path on swamp (so a solution keeps the terrain its path crosses).
// S and G cells are free ground. Exactly one S and one G.
//
// Tokens (window side N, seq_len N*N, grid in the top-left corner, PAD elsewhere):
//   0 PAD, 1 blocked, 2 free, 3 start, 4 goal, 5 path, and 6 swamp when terrain costs
//   are on (vocab 7; with terrain off a swamp cell is free ground and encodes as 2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hrm::gridnav {

using hrm::task::Error;
using hrm::task::Result;
using hrm::task::Status;

enum class Terrain : std::uint8_t { kFree, kBlocked, kSwamp };

constexpr double kSwampCost = 2.0;  // cost factor of a swamp cell (MovingAI gives none)

struct Cell {
  int x = 0;  // column
  int y = 0;  // row
  bool operator==(const Cell& o) const { return x == o.x && y == o.y; }
  bool operator!=(const Cell& o) const { return !(*this == o); }
};

struct Grid {
  int width = 0;
  int height = 0;
  std::vector<Terrain> cells;  // row-major, width*height

  Grid() = default;
  Grid(int w, int h, Terrain fill) : width(w), height(h), cells(static_cast<std::size_t>(w) * h, fill) {}
  bool inside(Cell c) const { return c.x >= 0 && c.y >= 0 && c.x < width && c.y < height; }
  int index(Cell c) const { return c.y * width + c.x; }
  Cell cell(int index) const { return {index % width, index / width}; }
  Terrain at(Cell c) const { return cells[static_cast<std::size_t>(index(c))]; }
  Terrain& at(Cell c) { return cells[static_cast<std::size_t>(index(c))]; }
  bool operator==(const Grid& o) const { return width == o.width && height == o.height && cells == o.cells; }
};

// A planning problem in compact text: grid, start, goal and, in solutions, the path marks.
struct Instance {
  Grid grid;
  Cell start, goal;
  std::vector<std::uint8_t> marks;  // width*height, 1 = path ('o' or '*'); all 0 in a puzzle
  bool has_marks() const;
};

// ---- MovingAI files --------------------------------------------------------------------------

// Reads a .map ("type <t>", "height H", "width W", "map", then H rows of W characters; height
// comes before width). Errors name the line: missing/garbled header lines, bad numbers, rows of
// the wrong length, unknown characters (with x/y), missing or extra rows.
Result<Grid> parse_map(std::string_view text);

struct Scenario {
  int line = 0;  // 1-based line in the .scen file
  int bucket = 0;
  std::string map;  // as written in the file
  Cell start, goal;
  double optimal = 0;  // the file's optimal length (8-connected, diagonal sqrt 2)
};

struct LineError {
  int line = 0;  // 1-based
  std::string message;  // already starts with "line N: "
};

struct ScenarioFile {
  std::vector<Scenario> scenarios;  // the good lines
  std::vector<LineError> errors;    // one per bad line; the other lines are kept
};

// Reads a .scen ("version 1" then 9 tab-separated fields per line) for `map`, whose file name is
// map_name (compared by base name with each line's map field; "" skips that check). Each bad line
// (wrong field count, bad number, other map, other size, start/goal outside the map or on a
// blocked cell) gives one LineError and the rest are still read.
ScenarioFile parse_scen(std::string_view text, const Grid& map, std::string_view map_name);

// ---- compact text ----------------------------------------------------------------------------

// Reads one instance. Errors: empty text, rows of different lengths, unknown characters,
// missing or repeated S/G, all naming (row R, column C).
Result<Instance> parse_instance(std::string_view text);

// Rows joined by '\n' (no trailing newline); marks are written as 'o', or '*' on swamp.
std::string format_instance(const Instance& instance);

// "(row R, column C)", 1-based.
std::string position(Cell c);

// ---- tokens ----------------------------------------------------------------------------------

constexpr std::int32_t kPad = 0, kBlockedToken = 1, kFreeToken = 2, kStartToken = 3, kGoalToken = 4,
                       kPathToken = 5, kSwampToken = 6;

// seq_len = side*side tokens. `blocked` (width*height, may be empty) marks extra cells to encode
// as blocked: the footprint inflation, so the model sees the space the robot's centre moves in.
// with_marks adds the path (labels). terrain selects whether swamp gets its own token.
std::vector<std::int32_t> to_tokens(const Instance& instance, int side, const std::vector<std::uint8_t>& blocked,
                                    bool with_marks, bool terrain);

}  // namespace hrm::gridnav
