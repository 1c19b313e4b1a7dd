#include "grid.hpp"

#include <algorithm>

#include "common/csv.hpp"
#include "hrm/common/error.hpp"

namespace hrm::maze {
namespace {

Error error_at(const std::string& what, int n, int cell) {
  return Error{what + " at " + position(n, cell), cell / n, cell % n};
}

bool legal(char c) { return kCharset.find(c) != std::string_view::npos; }

}  // namespace

std::string position(int n, int cell) {
  return "(row " + std::to_string(cell / n + 1) + ", column " + std::to_string(cell % n + 1) + ")";
}

int Maze::find(char what) const {
  auto i = cells.find(what);
  return i == std::string::npos ? -1 : static_cast<int>(i);
}

Status check_structure(const Maze& m) {
  for (char what : {kStart, kGoal}) {
    const char* name = what == kStart ? "start 'S'" : "goal 'G'";
    int first = m.find(what);
    if (first < 0) return Error{std::string("no ") + name + " in the maze"};
    auto second = m.cells.find(what, static_cast<std::size_t>(first) + 1);
    if (second != std::string::npos) {
      int cell = static_cast<int>(second);
      return Error{std::string("more than one ") + name + ": at " + position(m.n, first) + " and " +
                       position(m.n, cell),
                   cell / m.n, cell % m.n};
    }
  }
  return {};
}

Result<Maze> parse_maze(std::string_view text) {
  // Only line endings are stripped: spaces are open cells and must be kept.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::string cells;
  int n = 0;
  if (text.find('\n') != std::string_view::npos) {
    std::vector<std::string_view> lines;
    while (true) {
      auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
    n = static_cast<int>(lines.size());
    if (n < 2 || n > kMaxSize)
      return Error{"wrong length: " + std::to_string(n) + " lines, expected 2 to " + std::to_string(kMaxSize)};
    for (int r = 0; r < n; ++r) {
      if (static_cast<int>(lines[static_cast<std::size_t>(r)].size()) != n)
        return Error{"wrong length: line " + std::to_string(r + 1) + " has " +
                         std::to_string(lines[static_cast<std::size_t>(r)].size()) + " characters, expected " +
                         std::to_string(n),
                     r, -1};
      cells += lines[static_cast<std::size_t>(r)];
    }
  } else {
    cells = std::string(text);
    while (n * n < static_cast<int>(cells.size())) ++n;
    if (n * n != static_cast<int>(cells.size()) || n < 2 || n > kMaxSize)
      return Error{"wrong length: " + std::to_string(cells.size()) +
                   " characters, expected n*n with 2 <= n <= " + std::to_string(kMaxSize) + " (900 for 30x30)"};
  }
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (!legal(cells[i]))
      return Error{"illegal character " + hrm::common::quote_character(std::string_view(cells).substr(i)) + " at " + position(n, static_cast<int>(i)) +
                       " (allowed: '#', ' ', 'S', 'G', 'o')",
                   static_cast<int>(i) / n, static_cast<int>(i) % n};
  Maze m;
  m.n = n;
  m.cells = std::move(cells);
  if (auto st = check_structure(m); !st) return st.error();
  return m;
}

std::string format_maze(const Maze& m, bool multiline) {
  if (!multiline) return m.cells;
  std::string s;
  for (int r = 0; r < m.n; ++r) {
    s.append(m.cells, static_cast<std::size_t>(r * m.n), static_cast<std::size_t>(m.n));
    s += '\n';
  }
  return s;
}

Result<CsvRecord> parse_csv_record(std::string_view line) {
  auto record = hrm::task::csv::parse_record(line);
  if (!record) return record.error();
  const std::vector<std::string>& fields = *record;
  if (fields.size() != 4)
    return Error{"wrong number of CSV fields: " + std::to_string(fields.size()) +
                 ", expected 4 (source,question,answer,rating)"};
  auto q = parse_maze(fields[1]);
  if (!q) return Error{"question: " + q.error().message, q.error().row, q.error().col};
  CsvRecord rec{std::string(fields[0]), q.value(), std::nullopt, std::string(fields[3])};
  if (!fields[2].empty()) {
    auto a = parse_maze(fields[2]);
    if (!a) return Error{"answer: " + a.error().message, a.error().row, a.error().col};
    rec.answer = a.value();
  }
  return rec;
}

std::string format_csv_record(const CsvRecord& rec) {
  using hrm::task::csv::quote;  // a source or rating with ',' or '"' must read back as one field
  return quote(rec.source) + "," + rec.question.cells + "," + (rec.answer ? rec.answer->cells : "") + "," +
         quote(rec.rating);
}

std::vector<std::int32_t> to_tokens(const Maze& m, int canvas) {
  std::vector<std::int32_t> t(static_cast<std::size_t>(canvas * canvas), 0);
  for (int r = 0; r < m.n && r < canvas; ++r)
    for (int c = 0; c < m.n && c < canvas; ++c)
      t[static_cast<std::size_t>(r * canvas + c)] = static_cast<std::int32_t>(kCharset.find(m.at(r, c)) + 1);
  return t;
}

Result<Maze> from_tokens(const std::int32_t* tokens, std::size_t count, int n, int canvas) {
  if (count != static_cast<std::size_t>(canvas * canvas))
    return Error{"wrong length: " + std::to_string(count) + " tokens, expected " + std::to_string(canvas * canvas)};
  if (n < 2 || n > std::min(kMaxSize, canvas))
    return Error{"maze size " + std::to_string(n) + " out of range 2.." + std::to_string(std::min(kMaxSize, canvas))};
  Maze m(n, kWall);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      std::int32_t t = tokens[r * canvas + c];
      if (t == 0) return error_at("PAD token", n, r * n + c);
      if (t < 1 || t > 5) return error_at("token " + std::to_string(t) + " out of range", n, r * n + c);
      m.at(r, c) = kCharset[static_cast<std::size_t>(t - 1)];
    }
  return m;
}

}  // namespace hrm::maze
