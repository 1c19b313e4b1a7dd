// Human-facing output of Sudoku grids: terminal text and SVG.
#pragma once

#include <string>

#include "grid.hpp"

namespace hrm::sudoku {

// Text grid with box lines, e.g. for 9x9:
//   +-------+-------+-------+
//   | 5 3 . | . 7 . | . . . |
// When `givens` is given, filled-in cells (blank in `givens`) are told from the givens: with
// `color` givens are bold and filled-in cells cyan (ANSI escapes); without, the output is plain
// ASCII and a filled-in digit is followed by '*' ("| 4 6*8*|"). A legend line follows the grid
// whenever a cell was filled in.
std::string render_text(const Grid& grid, const Grid* givens = nullptr, bool color = false);

// Standalone SVG document: thin cell lines, thick box lines; givens in black,
// filled-in cells (non-blank in `grid`, blank in `givens`) in blue.
std::string render_svg(const Grid& grid, const Grid* givens = nullptr, int cell_px = 40);

}  // namespace hrm::sudoku
