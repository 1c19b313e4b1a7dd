// Maze grids: parsing, formatting and model tokens (reference Maze-Hard format).
//
// A maze is a square n x n grid (2 <= n <= 30) of the characters
//   '#' wall, ' ' open, 'S' start, 'G' goal, 'o' path (only in solutions).
// Text input is either one string of n*n characters (row-major, as in the reference
// CSV) or n lines of n characters each.
//
// Tokens: CHARSET "# SGo" -> 1..5, 0 = PAD, vocab_size 6, seq_len canvas^2 (900 for the
// reference 30x30 canvas). A maze smaller than the canvas is written into its top-left
// corner and the rest is PAD. (The released model never saw PAD, see reference 4.5; only
// models trained with padded mazes can use smaller ones.) A smaller canvas (the encoder's
// [task] canvas option) makes small-maze models cheaper: cost grows with canvas^4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hrm::maze {

using hrm::task::Error;
using hrm::task::Result;
using hrm::task::Status;

constexpr int kMaxSize = 30;
constexpr int kCanvas = 30;               // default token canvas side (the reference's)
constexpr int kSeqLen = kCanvas * kCanvas;  // 900
constexpr int kVocabSize = 6;
constexpr char kWall = '#', kOpen = ' ', kStart = 'S', kGoal = 'G', kPath = 'o';
constexpr std::string_view kCharset = "# SGo";  // token = index + 1

struct Maze {
  int n = 0;
  std::string cells;  // n*n characters, row-major

  Maze() = default;
  Maze(int side, char fill) : n(side), cells(static_cast<std::size_t>(side * side), fill) {}

  char at(int r, int c) const { return cells[static_cast<std::size_t>(r * n + c)]; }
  char& at(int r, int c) { return cells[static_cast<std::size_t>(r * n + c)]; }
  int find(char what) const;  // first cell index holding `what`, or -1
  bool operator==(const Maze& o) const { return n == o.n && cells == o.cells; }
  bool operator!=(const Maze& o) const { return !(*this == o); }
};

// Checks exactly one S and one G; errors name the positions involved.
Status check_structure(const Maze& maze);

// Parses either format (a newline inside the text means n lines of n characters).
// Reports wrong length, illegal characters and S/G problems with positions.
Result<Maze> parse_maze(std::string_view text);

// One string of n*n characters, or n lines joined by '\n' when `multiline`.
std::string format_maze(const Maze& maze, bool multiline = false);

// One row of the reference CSV (`source,question,answer,rating`, as in
// sapientinc/maze-30x30-hard-1k), RFC 4180: a field may be quoted ("#S  G#", "a""b"), and a
// quoted field may hold a block of lines. Unquoted fields are not trimmed: spaces are open cells.
struct CsvRecord {
  std::string source;
  Maze question;
  std::optional<Maze> answer;  // empty answer column -> nullopt
  std::string rating;          // kept verbatim
};
Result<CsvRecord> parse_csv_record(std::string_view line);
std::string format_csv_record(const CsvRecord& record);

// canvas*canvas tokens; the maze must fit (maze.n <= canvas).
std::vector<std::int32_t> to_tokens(const Maze& maze, int canvas = kCanvas);
// Reads the top-left n x n of a canvas x canvas token grid (count must be canvas^2). PAD or
// unknown tokens inside the n x n area are errors with the position. S/G are not checked
// (model outputs).
Result<Maze> from_tokens(const std::int32_t* tokens, std::size_t count, int n = kCanvas, int canvas = kCanvas);

// "(row R, column C)", 1-based, for messages.
std::string position(int n, int cell);

}  // namespace hrm::maze
