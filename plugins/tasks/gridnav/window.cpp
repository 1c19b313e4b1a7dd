#include "window.hpp"

#include <algorithm>
#include <cmath>

namespace hrm::gridnav {

Grid crop(const Grid& g, int x0, int y0, int w, int h) {
  Grid out(w, h, Terrain::kBlocked);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) out.at({x, y}) = g.at({x0 + x, y0 + y});
  return out;
}

WindowResult cut_windows(const Grid& map, const std::vector<Scenario>& scenarios, int window, const MoveModel& model) {
  WindowResult out;
  const auto space = free_space(map, model);  // once per map: it dominates for large maps
  const int w = std::min(window, map.width), h = std::min(window, map.height);
  for (const Scenario& s : scenarios) {
    auto skip = [&](const std::string& why) {
      out.skipped.push_back({s.line, "line " + std::to_string(s.line) + ": " + why});
    };
    if (s.start == s.goal) {
      skip("start equals goal");
      continue;
    }
    if (std::abs(s.start.x - s.goal.x) <= 1 && std::abs(s.start.y - s.goal.y) <= 1) {
      skip("start and goal are neighbours: the path has no cell to mark");
      continue;
    }
    auto full = astar(map, s.start, s.goal, model, space);
    if (!full) {
      skip(full.error().message);
      continue;
    }
    int x_lo = map.width, x_hi = -1, y_lo = map.height, y_hi = -1;
    for (const Cell& c : full->cells) {
      x_lo = std::min(x_lo, c.x), x_hi = std::max(x_hi, c.x);
      y_lo = std::min(y_lo, c.y), y_hi = std::max(y_hi, c.y);
    }
    if (x_hi - x_lo + 1 > w || y_hi - y_lo + 1 > h) {
      skip("path spans " + std::to_string(x_hi - x_lo + 1) + "x" + std::to_string(y_hi - y_lo + 1) +
           " cells, more than the window");
      continue;
    }
    // Centre the path's box, then slide the window back inside the map.
    const int x0 = std::clamp((x_lo + x_hi + 1) / 2 - w / 2, 0, map.width - w);
    const int y0 = std::clamp((y_lo + y_hi + 1) / 2 - h / 2, 0, map.height - h);
    Instance in;
    in.grid = crop(map, x0, y0, w, h);
    in.start = {s.start.x - x0, s.start.y - y0};
    in.goal = {s.goal.x - x0, s.goal.y - y0};
    in.marks.assign(in.grid.cells.size(), 0);
    auto local = astar(in.grid, in.start, in.goal, model);
    if (!local) {
      skip("inside the window: " + local.error().message);
      continue;
    }
    if (std::abs(local->cost - full->cost) > 1e-9 * std::max(1.0, full->cost)) {
      skip("the window's optimal cost " + std::to_string(local->cost) + " differs from the map's " +
           std::to_string(full->cost));
      continue;
    }
    out.windows.push_back(mark_path(in, *local));
    out.lines.push_back(s.line);
  }
  return out;
}

}  // namespace hrm::gridnav
