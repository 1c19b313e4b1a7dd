// Cutting model-sized windows out of large MovingAI maps, one per scenario.
//
// For each scenario: plan on the whole map; if the optimal path's bounding box fits in a
// side x side window (side = min(window, map size) per axis), cut the window centred on that box
// (shifted to stay inside the map), then plan again inside the window exactly as the encoder
// will (the window edge is a wall for the footprint). The window is kept only if that cost
// equals the map's optimal cost: the label then is an optimal path of the real map too.
#pragma once

#include <string>
#include <vector>

#include "grid.hpp"
#include "planner.hpp"

namespace hrm::gridnav {

struct WindowResult {
  std::vector<Instance> windows;  // solutions: the window's grid with the optimal path marked
  std::vector<int> lines;         // .scen line of each window
  std::vector<LineError> skipped; // why the other scenarios gave no window ("line N: ...")
};

// Cuts at most one window per scenario. Scenarios with start == goal are skipped (S and G
// cannot share a cell in the text format), and so are start and goal next to each other (even
// diagonally): their path marks no cell, so the window would carry no label.
WindowResult cut_windows(const Grid& map, const std::vector<Scenario>& scenarios, int window, const MoveModel& model);

// The sub-grid [x0, x0 + w) x [y0, y0 + h) of grid.
Grid crop(const Grid& grid, int x0, int y0, int w, int h);

}  // namespace hrm::gridnav
