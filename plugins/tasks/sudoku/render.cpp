#include "render.hpp"

namespace hrm::sudoku {
namespace {
bool is_given(const Grid* givens, int r, int c) { return givens == nullptr || givens->at(r, c) != 0; }
}  // namespace

std::string render_text(const Grid& grid, const Grid* givens, bool color) {
  const Shape& s = grid.shape;
  bool any_filled = false;
  std::string rule = "+";
  for (int b = 0; b < s.n / s.box_cols; ++b) rule += std::string(static_cast<std::size_t>(2 * s.box_cols + 1), '-') + "+";
  rule += "\n";
  std::string out;
  for (int r = 0; r < s.n; ++r) {
    if (r % s.box_rows == 0) out += rule;
    for (int c = 0; c < s.n; ++c) {
      if (c % s.box_cols == 0) out += "| ";
      int v = grid.at(r, c);
      char ch = digit_char(v);
      const bool filled = v != 0 && !is_given(givens, r, c);
      any_filled = any_filled || filled;
      if (color && v != 0) {
        out += filled ? "\x1b[36m" : "\x1b[1m";
        out += ch;
        out += "\x1b[0m";
      } else {
        out += ch;
      }
      // Without colour a filled-in digit carries a mark, so the picture still tells the given
      // digits from the found ones (a log file, a pipe).
      out += !color && filled ? '*' : ' ';
    }
    out += "|\n";
  }
  out += rule;
  if (any_filled)
    out += color ? "\x1b[1mbold\x1b[0m: given, \x1b[36mcyan\x1b[0m: filled in\n" : "digit*: filled in, digit: given\n";
  return out;
}

std::string render_svg(const Grid& grid, const Grid* givens, int cell_px) {
  const Shape& s = grid.shape;
  const int size = s.n * cell_px, margin = 2, total = size + 2 * margin;
  auto num = [](int v) { return std::to_string(v); };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(total) + "\" height=\"" + num(total) +
                    "\" viewBox=\"0 0 " + num(total) + " " + num(total) + "\">\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + num(total) + "\" height=\"" + num(total) + "\" fill=\"white\"/>\n";
  svg += "<g transform=\"translate(" + num(margin) + "," + num(margin) + ")\" stroke=\"black\">\n";
  for (int i = 0; i <= s.n; ++i) {
    int p = i * cell_px;
    const char* w_row = (i % s.box_rows == 0) ? "3" : "1";
    const char* w_col = (i % s.box_cols == 0) ? "3" : "1";
    svg += "<line x1=\"0\" y1=\"" + num(p) + "\" x2=\"" + num(size) + "\" y2=\"" + num(p) + "\" stroke-width=\"" + w_row + "\"/>\n";
    svg += "<line x1=\"" + num(p) + "\" y1=\"0\" x2=\"" + num(p) + "\" y2=\"" + num(size) + "\" stroke-width=\"" + w_col + "\"/>\n";
  }
  svg += "</g>\n<g transform=\"translate(" + num(margin) + "," + num(margin) + ")\" font-family=\"sans-serif\" font-size=\"" +
         num(cell_px * 6 / 10) + "\" text-anchor=\"middle\" dominant-baseline=\"central\">\n";
  for (int r = 0; r < s.n; ++r)
    for (int c = 0; c < s.n; ++c) {
      int v = grid.at(r, c);
      if (v == 0) continue;
      svg += "<text x=\"" + num(c * cell_px + cell_px / 2) + "\" y=\"" + num(r * cell_px + cell_px / 2) + "\" fill=\"" +
             (is_given(givens, r, c) ? "black" : "#1f5fbf") + "\">" + std::string(1, digit_char(v)) + "</text>\n";
    }
  return svg + "</g>\n</svg>\n";
}

}  // namespace hrm::sudoku
