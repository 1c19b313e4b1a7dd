// Sudoku grids: sizes, parsing, formatting and model tokens.
//
// Supported sizes (n x n grid, boxes of box_rows x box_cols):
//   4x4 (2x2 boxes), 6x6 (2x3 boxes), 9x9 (3x3 boxes), 16x16 (4x4 boxes).
//
// Text alphabet (all formats except JSON):
//   blank        '.' or '0'
//   digits 1..9  '1'..'9'
//   digits 10..16 'A'..'G' (case-insensitive; only legal in 16x16 grids)
// JSON grids use integers, 0 = blank.
//
// Tokens (same rule as the reference 9x9 builder, generalised):
//   0 = PAD, 1 = blank, digit d -> d + 1; vocab_size = n + 2, seq_len = n * n, row-major.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hrm::sudoku {

using hrm::task::Error;
using hrm::task::Result;
using hrm::task::Status;

struct Shape {
  int n = 9;
  int box_rows = 3;  // rows per box == rows per band
  int box_cols = 3;  // columns per box == columns per stack
  int cells() const { return n * n; }
  bool operator==(const Shape& o) const { return n == o.n && box_rows == o.box_rows && box_cols == o.box_cols; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

// The shape for a side length (4, 6, 9, 16), or nullopt.
std::optional<Shape> shape_for_size(int n);
// The shape whose cell count is `cells` (16, 36, 81, 256), or nullopt.
std::optional<Shape> shape_for_cell_count(std::size_t cells);

struct Grid {
  Shape shape;
  std::vector<std::uint8_t> cells;  // row-major; 0 = blank, 1..n = digit

  Grid() : Grid(Shape{}) {}
  explicit Grid(Shape s) : shape(s), cells(static_cast<std::size_t>(s.cells()), 0) {}

  int n() const { return shape.n; }
  std::uint8_t at(int r, int c) const { return cells[static_cast<std::size_t>(r * shape.n + c)]; }
  std::uint8_t& at(int r, int c) { return cells[static_cast<std::size_t>(r * shape.n + c)]; }
  int count_givens() const;      // non-blank cells
  bool is_complete() const;      // no blank cell (says nothing about validity)
  bool operator==(const Grid& o) const { return shape == o.shape && cells == o.cells; }
  bool operator!=(const Grid& o) const { return !(*this == o); }
};

enum class Format { kLine, kCsv, kJson };

// One row of the sudoku-extreme CSV: `source,question,answer,rating`.
struct CsvRecord {
  std::string source;
  Grid question;
  std::optional<Grid> answer;  // empty answer column -> nullopt
  std::string rating;          // kept verbatim (an integer in sudoku-extreme)
};

// Character for digit d (0 -> `blank`), and the digit for a character (-1 if illegal).
char digit_char(int d, char blank = '.');
int char_digit(char c);

// Parsers. All report wrong length / illegal characters with a position. When
// `check_contradictions` is true they also reject duplicate givens (see check_givens);
// pass false to read model predictions, which may be inconsistent.
Result<Grid> parse_line(std::string_view line, bool check_contradictions = true);
Result<Grid> parse_json(std::string_view text, bool check_contradictions = true);
// One CSV row (no header), RFC 4180: fields may be quoted ("q", "a""b"); fields are trimmed.
Result<CsvRecord> parse_csv_record(std::string_view line, bool check_contradictions = true);
// A whole CSV file, LF or CRLF line ends; the header `source,question,answer,rating` (quoted or
// not) is optional. Errors name the 1-based line number.
Result<std::vector<CsvRecord>> parse_csv(std::string_view text, bool check_contradictions = true);

// A puzzle read by parse_puzzle, with what is needed to write an answer back in
// the same format.
struct Parsed {
  Grid grid;
  Format format = Format::kLine;
  char blank = '.';                // line format: the blank character seen ('.' if none)
  std::optional<CsvRecord> csv;    // CSV format: the record
};

// Auto-detects the format: JSON if it starts with '[', CSV if it contains ',',
// one line of digits otherwise. The size comes from the length.
Result<Parsed> parse_puzzle(std::string_view text, bool check_contradictions = true);

std::string format_line(const Grid& grid, char blank = '.');
std::string format_json(const Grid& grid);
std::string format_csv_record(const CsvRecord& record);
// Writes `grid` in the format of `like`. For CSV the original question, source and
// rating are kept and `grid` goes into the answer column.
std::string format_like(const Grid& grid, const Parsed& like);

// Rejects a grid with the same digit twice in a row, column or box. The error names
// the digit, the unit and both cells; row/col point at the second cell.
Status check_givens(const Grid& grid);

// Model tokens (see the header comment).
inline int vocab_size(const Shape& s) { return s.n + 2; }
inline int seq_len(const Shape& s) { return s.cells(); }
std::vector<std::int32_t> to_tokens(const Grid& grid);
// Inverse of to_tokens; PAD or out-of-range tokens are errors with the cell position.
Result<Grid> from_tokens(const std::int32_t* tokens, std::size_t count, Shape shape);

}  // namespace hrm::sudoku
