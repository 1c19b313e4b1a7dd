#include "render.hpp"

namespace hrm::gridnav {

std::string render_text(const Instance& in, bool color) {
  if (!color) return format_instance(in) + "\n";
  const std::string text = format_instance(in);
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '\n': out += "\x1b[0m\n"; break;
      case '#': out += "\x1b[100m  "; break;
      case '~': out += "\x1b[46m~~"; break;
      case 'o': out += "\x1b[43m  "; break;
      case '*': out += "\x1b[43m~~"; break;  // path over swamp
      case 'S': out += "\x1b[42mS "; break;
      case 'G': out += "\x1b[41mG "; break;
      default: out += "\x1b[0m  "; break;
    }
  }
  return out + "\x1b[0m\n";
}

std::string render_svg(const Instance& in, int px) {
  auto num = [](int v) { return std::to_string(v); };
  const Grid& g = in.grid;
  const int w = g.width * px, h = g.height * px;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(w) + "\" height=\"" + num(h) +
                    "\" viewBox=\"0 0 " + num(w) + " " + num(h) + "\" shape-rendering=\"crispEdges\">\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + num(w) + "\" height=\"" + num(h) + "\" fill=\"white\"/>\n";
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x) {
      const Cell c{x, y};
      const char* fill = nullptr;
      if (c == in.start) fill = "#20a040";
      else if (c == in.goal) fill = "#d03030";
      else if (!in.marks.empty() && in.marks[static_cast<std::size_t>(g.index(c))]) fill = "#f0a020";
      else if (g.at(c) == Terrain::kBlocked) fill = "#333333";
      else if (g.at(c) == Terrain::kSwamp) fill = "#a0d0f0";
      if (!fill) continue;
      svg += "<rect x=\"" + num(x * px) + "\" y=\"" + num(y * px) + "\" width=\"" + num(px) + "\" height=\"" + num(px) +
             "\" fill=\"" + fill + "\"/>\n";
    }
  return svg + "</svg>\n";
}

}  // namespace hrm::gridnav
