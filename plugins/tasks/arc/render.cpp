#include "render.hpp"

#include <algorithm>
#include <cstdio>

namespace hrm::arc {

const char* const kPalette[kColours] = {"#000000", "#0074d9", "#ff4136", "#2ecc40", "#ffdc00",
                                        "#aaaaaa", "#f012be", "#ff851b", "#7fdbff", "#870c25"};

namespace {

// Nearest xterm-256 colours of the palette above.
const int kAnsi256[kColours] = {16, 26, 203, 41, 220, 248, 201, 208, 117, 88};

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string svg_grid(const Grid& g, int x0, int y0, int cell) {
  std::string s;
  char buf[160];
  for (int r = 0; r < g.height; ++r)
    for (int c = 0; c < g.width; ++c) {
      std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#555\" stroke-width=\"0.5\"/>",
                    x0 + c * cell, y0 + r * cell, cell, cell, kPalette[g.at(r, c)]);
      s += buf;
    }
  return s;
}

}  // namespace

std::string render_text(const std::vector<Panel>& panels, bool ansi) {
  // Each panel is a column of lines 2 * width + 1 characters wide (at least its title's width).
  std::vector<std::vector<std::string>> cols;
  std::vector<size_t> widths;
  size_t height = 0;
  for (const Panel& p : panels) {
    std::vector<std::string> lines{p.title};
    size_t w = p.title.size();
    if (p.grid.empty()) lines.push_back("(none)"), w = std::max<size_t>(w, 6);
    for (int r = 0; r < p.grid.height; ++r) {
      std::string line;
      for (int c = 0; c < p.grid.width; ++c) {
        const int v = p.grid.at(r, c);
        if (ansi) line += "\x1b[48;5;" + std::to_string(kAnsi256[v]) + "m  ";
        else line += std::string(1, char('0' + v)) + " ";
      }
      if (ansi) line += "\x1b[0m";
      lines.push_back(line);
      w = std::max<size_t>(w, size_t(2 * p.grid.width));
    }
    height = std::max(height, lines.size());
    cols.push_back(std::move(lines));
    widths.push_back(w);
  }
  std::string out;
  for (size_t row = 0; row < height; ++row) {
    std::string line;
    for (size_t i = 0; i < cols.size(); ++i) {
      // Visible width: escape sequences take no columns; grid lines are 2 columns per cell.
      size_t visible = 0;
      std::string cell;
      if (row < cols[i].size()) {
        cell = cols[i][row];
        const bool grid_line = row > 0 && !panels[i].grid.empty();
        visible = grid_line ? size_t(2 * panels[i].grid.width) : cell.size();
      }
      line += cell + std::string(widths[i] - visible + (i + 1 < cols.size() ? 3 : 0), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string render_svg(const std::vector<Panel>& panels) {
  const int cell = 16, gap = 24, title = 20;
  int width = gap, height = 0;
  for (const Panel& p : panels) width += std::max(p.grid.width, 4) * cell + gap, height = std::max(height, p.grid.height);
  std::string body;
  int x = gap;
  for (const Panel& p : panels) {
    body += "<text x=\"" + std::to_string(x) + "\" y=\"14\" font-family=\"monospace\" font-size=\"12\">" +
            escape_html(p.title) + "</text>";
    body += p.grid.empty() ? "<text x=\"" + std::to_string(x) + "\" y=\"36\" font-family=\"monospace\" font-size=\"12\">(none)</text>"
                           : svg_grid(p.grid, x, title, cell);
    x += std::max(p.grid.width, 4) * cell + gap;
  }
  const int h = title + std::max(height, 2) * cell + 4;
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(h) + "\">" + body + "</svg>\n";
}

std::string render_html(const TaskResult& task, int max_attempts) {
  std::string s =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ARC " + escape_html(task.task) +
      "</title>\n<style>body{font-family:sans-serif;background:#fafafa}figure{display:inline-block;vertical-align:top;"
      "margin:8px}figcaption{font-size:12px}.ok{outline:3px solid #2ecc40}</style></head><body>\n<h1>" +
      escape_html(task.task) + "</h1>\n";
  auto figure = [](const std::string& caption, const Grid& g, bool ok) {
    std::string svg = g.empty() ? std::string("<p>(none)</p>")
                                : "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(g.width * 12) +
                                      "\" height=\"" + std::to_string(g.height * 12) + "\">" + svg_grid(g, 0, 0, 12) + "</svg>";
    return std::string("<figure") + (ok ? " class=\"ok\"" : "") + "><figcaption>" + escape_html(caption) +
           "</figcaption>" + svg + "</figure>\n";
  };
  for (size_t i = 0; i < task.tests.size(); ++i) {
    const TestResult& t = task.tests[i];
    // The rank of the expected answer says at which k this test input counts as solved.
    std::string verdict;
    if (t.expected) {
      verdict = ": expected answer not among the " + std::to_string(t.ranked.size()) + " candidates";
      for (size_t a = 0; a < t.ranked.size(); ++a)
        if (t.ranked[a].grid == *t.expected) {
          verdict = ": expected answer ranked " + std::to_string(a + 1);
          break;
        }
    }
    s += "<h2>test " + std::to_string(i) + escape_html(verdict) + "</h2>\n<div>";
    s += figure("input", t.input, false);
    for (int a = 0; a < max_attempts && a < int(t.ranked.size()); ++a) {
      const Candidate& c = t.ranked[size_t(a)];
      char cap[96];
      std::snprintf(cap, sizeof cap, "attempt %d: %d votes, q %.3f", a + 1, c.votes, c.mean_confidence());
      s += figure(cap, c.grid, t.expected && c.grid == *t.expected);
    }
    if (t.ranked.empty()) s += "<figure><figcaption>no prediction</figcaption></figure>\n";
    if (t.expected) s += figure("expected", *t.expected, false);
    s += "</div>\n";
  }
  return s + "</body></html>\n";
}

}  // namespace hrm::arc
