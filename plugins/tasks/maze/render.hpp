// Human-facing output of mazes: terminal text and SVG.
#pragma once

#include <string>

#include "grid.hpp"

namespace hrm::maze {

// Plain (color = false): the maze as n lines of n characters, i.e. the multiline
// input format, path cells shown as 'o'. With color = true every cell is two
// characters wide with ANSI background colours: walls grey, path yellow, S green,
// G red.
std::string render_text(const Maze& maze, bool color = false);

// Standalone SVG document: walls dark grey, path orange, S green, G red.
std::string render_svg(const Maze& maze, int cell_px = 16);

}  // namespace hrm::maze
