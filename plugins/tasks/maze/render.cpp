#include "render.hpp"

namespace hrm::maze {

std::string render_text(const Maze& m, bool color) {
  if (!color) return format_maze(m, /*multiline=*/true);
  std::string out;
  for (int r = 0; r < m.n; ++r) {
    for (int c = 0; c < m.n; ++c) {
      switch (m.at(r, c)) {
        case kWall: out += "\x1b[100m  "; break;
        case kPath: out += "\x1b[43m  "; break;
        case kStart: out += "\x1b[42mS "; break;
        case kGoal: out += "\x1b[41mG "; break;
        default: out += "\x1b[0m  "; break;
      }
    }
    out += "\x1b[0m\n";
  }
  return out;
}

std::string render_svg(const Maze& m, int cell_px) {
  auto num = [](int v) { return std::to_string(v); };
  const int size = m.n * cell_px;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(size) + "\" height=\"" + num(size) +
                    "\" viewBox=\"0 0 " + num(size) + " " + num(size) + "\" shape-rendering=\"crispEdges\">\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + num(size) + "\" height=\"" + num(size) + "\" fill=\"white\"/>\n";
  for (int r = 0; r < m.n; ++r)
    for (int c = 0; c < m.n; ++c) {
      const char* fill = nullptr;
      switch (m.at(r, c)) {
        case kWall: fill = "#333333"; break;
        case kPath: fill = "#f0a020"; break;
        case kStart: fill = "#20a040"; break;
        case kGoal: fill = "#d03030"; break;
        default: continue;
      }
      svg += "<rect x=\"" + num(c * cell_px) + "\" y=\"" + num(r * cell_px) + "\" width=\"" + num(cell_px) +
             "\" height=\"" + num(cell_px) + "\" fill=\"" + fill + "\"/>\n";
    }
  return svg + "</svg>\n";
}

}  // namespace hrm::maze
