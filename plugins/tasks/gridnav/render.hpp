// Human-facing pictures of an instance (with its path marks, if any).
#pragma once

#include <string>

#include "grid.hpp"

namespace hrm::gridnav {

// Plain (color = false): the compact text format, one row per line. With color = true each
// cell is two characters wide with ANSI backgrounds: blocked grey, swamp cyan, path yellow,
// S green, G red.
std::string render_text(const Instance& in, bool color = false);

// Standalone SVG: blocked dark grey, swamp light blue, path cells orange, S green, G red.
std::string render_svg(const Instance& in, int cell_px = 16);

}  // namespace hrm::gridnav
