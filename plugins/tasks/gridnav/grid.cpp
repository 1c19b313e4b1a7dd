#include "grid.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "hrm/common/error.hpp"

namespace hrm::gridnav {
namespace {

// Splits text into lines without '\n' or a trailing '\r' (files from Windows tools).
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    begin = end + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whole-string integer / number; false on anything else (so "12x" is an error, not 12).
bool to_int(std::string_view s, int& out) {
  std::string str(trim(s));
  if (str.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(str.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || v < -1000000000L || v > 1000000000L) return false;
  out = static_cast<int>(v);
  return true;
}

bool to_double(std::string_view s, double& out) {
  std::string str(trim(s));
  if (str.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(str.c_str(), &end);
  return *end == '\0' && errno == 0;
}

std::string line_prefix(int line) { return "line " + std::to_string(line) + ": "; }

std::string xy(Cell c) { return "(x " + std::to_string(c.x) + ", y " + std::to_string(c.y) + ")"; }

// "<key> <integer>" header line of a .map.
Status header_int(std::string_view line, int line_no, std::string_view key, int& out) {
  std::string_view t = trim(line);
  if (t.substr(0, key.size()) != key || t.size() == key.size() || (t[key.size()] != ' ' && t[key.size()] != '\t'))
    return Error{line_prefix(line_no) + "expected '" + std::string(key) + " <number>', got '" + hrm::common::printable(t) + "'",
                 line_no - 1, -1};
  if (!to_int(t.substr(key.size()), out) || out <= 0)
    return Error{line_prefix(line_no) + std::string(key) + " must be a positive integer, got '" +
                     hrm::common::printable(trim(t.substr(key.size()))) + "'",
                 line_no - 1, -1};
  return {};
}

std::string_view base_name(std::string_view path) {
  std::size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool Instance::has_marks() const {
  for (auto m : marks)
    if (m) return true;
  return false;
}

std::string position(Cell c) {
  return "(row " + std::to_string(c.y + 1) + ", column " + std::to_string(c.x + 1) + ")";
}

Result<Grid> parse_map(std::string_view text) {
  const auto lines = lines_of(text);
  int height = 0, width = 0;
  if (lines.empty() || trim(lines[0]).substr(0, 5) != "type " )
    return Error{"line 1: expected 'type <name>' (e.g. 'type octile')", 0, -1};
  if (lines.size() < 4) return Error{"map header is incomplete: expected type, height, width and map lines", -1, -1};
  if (auto st = header_int(lines[1], 2, "height", height); !st) return st.error();
  if (auto st = header_int(lines[2], 3, "width", width); !st) return st.error();
  if (trim(lines[3]) != "map") return Error{"line 4: expected 'map', got '" + hrm::common::printable(trim(lines[3])) + "'", 3, -1};
  if (static_cast<long long>(width) * height > 100000000LL)
    return Error{"map of " + std::to_string(width) + "x" + std::to_string(height) + " is too large", -1, -1};

  Grid g(width, height, Terrain::kFree);
  std::size_t rows = lines.size() - 4;
  while (rows > 0 && trim(lines[4 + rows - 1]).empty()) --rows;  // trailing blank lines are harmless
  if (rows != static_cast<std::size_t>(height))
    return Error{"map has " + std::to_string(rows) + " rows, the header says height " + std::to_string(height), -1, -1};
  for (int y = 0; y < height; ++y) {
    const std::string_view row = lines[4 + static_cast<std::size_t>(y)];
    const int line_no = 5 + y;
    if (row.size() != static_cast<std::size_t>(width))
      return Error{line_prefix(line_no) + "row " + std::to_string(y) + " has " + std::to_string(row.size()) +
                       " characters, the header says width " + std::to_string(width),
                   y, -1};
    for (int x = 0; x < width; ++x) {
      Terrain t;
      switch (row[static_cast<std::size_t>(x)]) {
        case '.': case 'G': t = Terrain::kFree; break;
        case 'S': t = Terrain::kSwamp; break;
        case '@': case 'O': case 'T': case 'W': t = Terrain::kBlocked; break;
        default:
          return Error{line_prefix(line_no) + "unknown character " +
                           hrm::common::quote_character(row.substr(static_cast<std::size_t>(x))) + " at " + xy({x, y}) + " (expected one of . G S @ O T W)",
                       y, x};
      }
      g.at({x, y}) = t;
    }
  }
  return g;
}

ScenarioFile parse_scen(std::string_view text, const Grid& map, std::string_view map_name) {
  ScenarioFile out;
  const auto lines = lines_of(text);
  std::size_t first = 0;
  if (!lines.empty()) {
    std::string_view head = trim(lines[0]);
    if (head.substr(0, 8) == "version ") {
      double v = 0;
      if (!to_double(head.substr(8), v) || v != 1.0)
        out.errors.push_back({1, "line 1: unsupported scenario version '" + hrm::common::printable(trim(head.substr(8))) +
                                     "' (expected 'version 1')"});
      first = 1;
    } else {
      // Reported once; the line is still read as a scenario below, so nothing is lost.
      out.errors.push_back({1, "line 1: expected 'version 1' header"});
    }
  }
  for (std::size_t i = first; i < lines.size(); ++i) {
    const int line_no = static_cast<int>(i) + 1;
    std::string_view line = lines[i];
    if (trim(line).empty()) continue;
    // Fields are tab-separated; map paths never hold tabs but may in principle hold spaces.
    std::vector<std::string_view> f;
    const char sep = line.find('\t') != std::string_view::npos ? '\t' : ' ';
    for (std::size_t b = 0; b <= line.size();) {
      std::size_t e = line.find(sep, b);
      if (e == std::string_view::npos) e = line.size();
      if (sep == '\t' || e > b) f.push_back(line.substr(b, e - b));
      b = e + 1;
    }
    auto fail = [&](const std::string& what) { out.errors.push_back({line_no, line_prefix(line_no) + what}); };
    if (f.size() != 9) {
      fail("expected 9 fields (bucket, map, width, height, start x, start y, goal x, goal y, optimal length), got " +
           std::to_string(f.size()));
      continue;
    }
    Scenario s;
    s.line = line_no;
    s.map = std::string(trim(f[1]));
    int w = 0, h = 0;
    static const char* const kNames[] = {"bucket", "", "width", "height", "start x", "start y", "goal x", "goal y"};
    int* ints[] = {&s.bucket, nullptr, &w, &h, &s.start.x, &s.start.y, &s.goal.x, &s.goal.y};
    bool ok = true;
    for (int k = 0; k < 8 && ok; ++k) {
      if (!ints[k]) continue;
      if (!to_int(f[static_cast<std::size_t>(k)], *ints[k])) {
        fail(std::string(kNames[k]) + " is not an integer: '" + hrm::common::printable(f[static_cast<std::size_t>(k)]) + "'");
        ok = false;
      }
    }
    if (!ok) continue;
    // strtod also reads "inf" and "nan", which then matched any path (issue #24): finite only.
    if (!to_double(f[8], s.optimal) || !std::isfinite(s.optimal) || s.optimal < 0) {
      fail("optimal length is not a finite non-negative number: '" + hrm::common::printable(f[8]) + "'");
      continue;
    }
    if (!map_name.empty() && base_name(s.map) != base_name(map_name)) {
      fail("names map '" + hrm::common::printable(s.map) + "', not '" + hrm::common::printable(base_name(map_name)) + "'");
      continue;
    }
    if (w != map.width || h != map.height) {
      fail("map size " + std::to_string(w) + "x" + std::to_string(h) + " differs from the map's " +
           std::to_string(map.width) + "x" + std::to_string(map.height));
      continue;
    }
    bool cells_ok = true;
    for (auto [c, what] : {std::pair<Cell, const char*>{s.start, "start"}, {s.goal, "goal"}}) {
      if (!cells_ok) break;
      if (!map.inside(c)) fail(std::string(what) + " " + xy(c) + " is outside the map"), cells_ok = false;
      else if (map.at(c) == Terrain::kBlocked) fail(std::string(what) + " " + xy(c) + " is on a blocked cell"), cells_ok = false;
    }
    if (cells_ok) out.scenarios.push_back(s);
  }
  return out;
}

Result<Instance> parse_instance(std::string_view text) {
  auto lines = lines_of(text);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty() || lines[0].empty()) return Error{"empty instance", -1, -1};
  const int width = static_cast<int>(lines[0].size());
  const int height = static_cast<int>(lines.size());
  Instance in;
  in.grid = Grid(width, height, Terrain::kFree);
  in.marks.assign(in.grid.cells.size(), 0);
  bool have_start = false, have_goal = false;
  for (int y = 0; y < height; ++y) {
    const std::string_view row = lines[static_cast<std::size_t>(y)];
    if (static_cast<int>(row.size()) != width)
      return Error{"row " + std::to_string(y + 1) + " has " + std::to_string(row.size()) + " characters, row 1 has " +
                       std::to_string(width),
                   y, -1};
    for (int x = 0; x < width; ++x) {
      const Cell c{x, y};
      const char ch = row[static_cast<std::size_t>(x)];
      switch (ch) {
        case '.': break;
        case '#': in.grid.at(c) = Terrain::kBlocked; break;
        case '~': in.grid.at(c) = Terrain::kSwamp; break;
        case 'o': in.marks[static_cast<std::size_t>(in.grid.index(c))] = 1; break;
        case '*':
          in.grid.at(c) = Terrain::kSwamp;
          in.marks[static_cast<std::size_t>(in.grid.index(c))] = 1;
          break;
        case 'S':
        case 'G': {
          bool& seen = ch == 'S' ? have_start : have_goal;
          Cell& where = ch == 'S' ? in.start : in.goal;
          if (seen)
            return Error{std::string("second '") + ch + "' at " + position(c) + ", the first is at " + position(where), y, x};
          seen = true;
          where = c;
          break;
        }
        default:
          return Error{"unknown character " + hrm::common::quote_character(row.substr(static_cast<std::size_t>(x))) + " at " + position(c) + " (expected . # ~ S G o *)", y, x};
      }
    }
  }
  if (!have_start) return Error{"no start 'S'", -1, -1};
  if (!have_goal) return Error{"no goal 'G'", -1, -1};
  return in;
}

std::string format_instance(const Instance& in) {
  const Grid& g = in.grid;
  std::string out;
  out.reserve(static_cast<std::size_t>((g.width + 1) * g.height));
  for (int y = 0; y < g.height; ++y) {
    if (y) out += '\n';
    for (int x = 0; x < g.width; ++x) {
      const Cell c{x, y};
      char ch = g.at(c) == Terrain::kBlocked ? '#' : g.at(c) == Terrain::kSwamp ? '~' : '.';
      if (!in.marks.empty() && in.marks[static_cast<std::size_t>(g.index(c))]) ch = ch == '~' ? '*' : 'o';
      if (c == in.start) ch = 'S';
      if (c == in.goal) ch = 'G';
      out += ch;
    }
  }
  return out;
}

std::vector<std::int32_t> to_tokens(const Instance& in, int side, const std::vector<std::uint8_t>& blocked,
                                    bool with_marks, bool terrain) {
  std::vector<std::int32_t> t(static_cast<std::size_t>(side) * side, kPad);
  const Grid& g = in.grid;
  for (int y = 0; y < g.height && y < side; ++y)
    for (int x = 0; x < g.width && x < side; ++x) {
      const Cell c{x, y};
      const auto i = static_cast<std::size_t>(g.index(c));
      std::int32_t v = kFreeToken;
      if (g.at(c) == Terrain::kBlocked || (!blocked.empty() && blocked[i])) v = kBlockedToken;
      else if (g.at(c) == Terrain::kSwamp && terrain) v = kSwampToken;
      if (with_marks && !in.marks.empty() && in.marks[i]) v = kPathToken;
      if (c == in.start) v = kStartToken;
      if (c == in.goal) v = kGoalToken;
      t[static_cast<std::size_t>(y * side + x)] = v;
    }
  return t;
}

}  // namespace hrm::gridnav
