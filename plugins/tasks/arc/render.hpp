// Pictures of ARC grids in the ARC palette: terminal text (digits, or ANSI 256-colour blocks),
// SVG, and a self-contained HTML page of one task's voted predictions (no scripts, no network).
#pragma once

#include <string>
#include <vector>

#include "task.hpp"
#include "vote.hpp"

namespace hrm::arc {

// The official ARC palette, colour 0..9, as "#rrggbb".
extern const char* const kPalette[kColours];

// One titled grid of a side-by-side picture; an empty grid is drawn as "(none)".
struct Panel {
  std::string title;
  Grid grid;
};

// Panels side by side, titles above, two columns per cell. ansi: coloured blocks (256-colour
// backgrounds, reset at every line end), else the colour digits.
std::string render_text(const std::vector<Panel>& panels, bool ansi);
// Panels side by side as one SVG document.
std::string render_svg(const std::vector<Panel>& panels);
// One HTML page for a task: per test input, the input, the ranked attempts (up to max_attempts,
// with votes and mean confidence, marked when equal to the expected output) and the expected grid.
std::string render_html(const TaskResult& task, int max_attempts = 3);

}  // namespace hrm::arc
