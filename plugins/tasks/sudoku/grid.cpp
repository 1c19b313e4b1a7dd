#include "grid.hpp"

#include <algorithm>
#include <cctype>

#include "common/csv.hpp"
#include "hrm/common/error.hpp"

namespace hrm::sudoku {
namespace {

std::string pos(int r, int c) { return "(row " + std::to_string(r + 1) + ", column " + std::to_string(c + 1) + ")"; }

Error error_at(std::string what, int cell, int n) {
  int r = cell / n, c = cell % n;
  return Error{std::move(what) + " at " + pos(r, c), r, c};
}

std::string valid_lengths() { return "16 (4x4), 36 (6x6), 81 (9x9) or 256 (16x16)"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status maybe_check(const Grid& g, bool check) { return check ? check_givens(g) : Status{}; }

// Minimal strict JSON reader for `[[int,...],...]`: whitespace, brackets, commas and
// non-negative integers without leading zeros. Nothing else is JSON we need.
class JsonGridReader {
 public:
  explicit JsonGridReader(std::string_view text) : s_(text) {}

  Result<std::vector<std::vector<long>>> read() {
    std::vector<std::vector<long>> rows;
    if (!expect('[')) return fail("expected '['");
    skip_ws();
    if (peek() == ']') return fail("empty grid");
    for (;;) {
      std::vector<long> row;
      if (!expect('[')) return fail("expected '[' starting row " + std::to_string(rows.size() + 1));
      for (;;) {
        skip_ws();
        long v = 0;
        if (!read_int(v)) return fail("expected a non-negative integer in row " + std::to_string(rows.size() + 1));
        row.push_back(v);
        skip_ws();
        if (peek() == ',') { ++i_; continue; }
        if (peek() == ']') { ++i_; break; }
        return fail("expected ',' or ']' in row " + std::to_string(rows.size() + 1));
      }
      rows.push_back(std::move(row));
      skip_ws();
      if (peek() == ',') { ++i_; continue; }
      if (peek() == ']') { ++i_; break; }
      return fail("expected ',' or ']' after row " + std::to_string(rows.size()));
    }
    skip_ws();
    if (i_ != s_.size()) return fail("trailing characters after the grid");
    return rows;
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool expect(char c) {
    skip_ws();
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool read_int(long& v) {
    std::size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])) && i_ - start < 9) {
      v = v * 10 + (s_[i_] - '0');
      ++i_;
    }
    if (i_ == start) return false;
    if (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;  // absurdly long
    return !(s_[start] == '0' && i_ - start > 1);  // JSON forbids leading zeros
  }
  Error fail(const std::string& what) const {
    return Error{"invalid JSON grid: " + what + " at character " + std::to_string(i_ + 1)};
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<Shape> shape_for_size(int n) {
  switch (n) {
    case 4: return Shape{4, 2, 2};
    case 6: return Shape{6, 2, 3};
    case 9: return Shape{9, 3, 3};
    case 16: return Shape{16, 4, 4};
    default: return std::nullopt;
  }
}

std::optional<Shape> shape_for_cell_count(std::size_t cells) {
  for (int n : {4, 6, 9, 16})
    if (static_cast<std::size_t>(n * n) == cells) return shape_for_size(n);
  return std::nullopt;
}

int Grid::count_givens() const {
  int k = 0;
  for (auto v : cells) k += v != 0;
  return k;
}

bool Grid::is_complete() const {
  for (auto v : cells)
    if (v == 0) return false;
  return true;
}

char digit_char(int d, char blank) {
  if (d <= 0) return blank;
  if (d <= 9) return static_cast<char>('0' + d);
  return static_cast<char>('A' + d - 10);
}

int char_digit(char c) {
  if (c == '.' || c == '0') return 0;
  if (c >= '1' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'G') return c - 'A' + 10;
  if (c >= 'a' && c <= 'g') return c - 'a' + 10;
  return -1;
}

Result<Grid> parse_line(std::string_view line, bool check_contradictions) {
  line = trim(line);
  auto shape = shape_for_cell_count(line.size());
  if (!shape)
    return Error{"wrong length: " + std::to_string(line.size()) + " characters, expected " + valid_lengths()};
  Grid g(*shape);
  for (int i = 0; i < shape->cells(); ++i) {
    char c = line[static_cast<std::size_t>(i)];
    int d = char_digit(c);
    if (d < 0 || d > shape->n) {
      std::string what = "illegal character " + hrm::common::quote_character(line.substr(static_cast<std::size_t>(i)));
      if (d > shape->n) what += " (digit " + std::to_string(d) + " > " + std::to_string(shape->n) + ")";
      return error_at(what, i, shape->n);
    }
    g.cells[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(d);
  }
  if (auto st = maybe_check(g, check_contradictions); !st) return st.error();
  return g;
}

Result<Grid> parse_json(std::string_view text, bool check_contradictions) {
  auto rows = JsonGridReader(text).read();
  if (!rows) return rows.error();
  const auto& v = rows.value();
  auto shape = shape_for_size(static_cast<int>(v.size()));
  if (!shape)
    return Error{"wrong length: " + std::to_string(v.size()) + " rows, expected 4, 6, 9 or 16"};
  Grid g(*shape);
  for (int r = 0; r < shape->n; ++r) {
    const auto& row = v[static_cast<std::size_t>(r)];
    if (static_cast<int>(row.size()) != shape->n)
      return Error{"wrong length: row " + std::to_string(r + 1) + " has " + std::to_string(row.size()) +
                       " values, expected " + std::to_string(shape->n),
                   r, -1};
    for (int c = 0; c < shape->n; ++c) {
      long d = row[static_cast<std::size_t>(c)];
      if (d > shape->n)
        return error_at("illegal value " + std::to_string(d) + " (max " + std::to_string(shape->n) + ")",
                        r * shape->n + c, shape->n);
      g.at(r, c) = static_cast<std::uint8_t>(d);
    }
  }
  if (auto st = maybe_check(g, check_contradictions); !st) return st.error();
  return g;
}

Result<CsvRecord> parse_csv_record(std::string_view line, bool check_contradictions) {
  auto record = hrm::task::csv::parse_record(line);
  if (!record) return record.error();
  std::vector<std::string_view> fields;
  for (const std::string& f : *record) fields.push_back(trim(f));
  if (fields.size() != 4)
    return Error{"wrong number of CSV fields: " + std::to_string(fields.size()) +
                 ", expected 4 (source,question,answer,rating)"};
  auto q = parse_line(fields[1], check_contradictions);
  if (!q) return Error{"question: " + q.error().message, q.error().row, q.error().col};
  CsvRecord rec{std::string(fields[0]), q.value(), std::nullopt, std::string(fields[3])};
  if (!fields[2].empty()) {
    // The answer must be a valid grid on its own; consistency with the question is
    // the verifier's job, not the parser's.
    auto a = parse_line(fields[2], check_contradictions);
    if (!a) return Error{"answer: " + a.error().message, a.error().row, a.error().col};
    if (a->shape != q->shape) return Error{"answer size differs from question size"};
    rec.answer = a.value();
  }
  return rec;
}

Result<std::vector<CsvRecord>> parse_csv(std::string_view text, bool check_contradictions) {
  std::vector<CsvRecord> out;
  int line_no = 1;  // of the record's first line: a quoted field may span lines
  bool first = true;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = hrm::task::csv::record_end(text, begin);
    const std::string_view record = text.substr(begin, end - begin);
    const int lines = 1 + static_cast<int>(std::count(record.begin(), record.end(), '\n'));
    begin = end + 1;
    if (trim(record).empty()) {
      line_no += lines;
      continue;
    }
    const bool header = first && hrm::task::csv::is_header(record, "source");  // optional header
    first = false;
    if (!header) {
      auto rec = parse_csv_record(trim(record), check_contradictions);
      if (!rec)
        return Error{"line " + std::to_string(line_no) + ": " + rec.error().message, rec.error().row, rec.error().col};
      out.push_back(std::move(rec).value());
    }
    line_no += lines;
  }
  return out;
}

Result<Parsed> parse_puzzle(std::string_view text, bool check_contradictions) {
  text = trim(text);
  Parsed p;
  if (!text.empty() && text.front() == '[') {
    auto g = parse_json(text, check_contradictions);
    if (!g) return g.error();
    p.grid = g.value();
    p.format = Format::kJson;
    return p;
  }
  if (text.find(',') != std::string_view::npos) {
    auto recs = parse_csv(text, check_contradictions);
    if (!recs) return recs.error();
    if (recs->size() != 1)
      return Error{"expected exactly one CSV record, found " + std::to_string(recs->size())};
    p.csv = recs.value()[0];
    p.grid = p.csv->question;
    p.format = Format::kCsv;
    return p;
  }
  auto g = parse_line(text, check_contradictions);
  if (!g) return g.error();
  p.grid = g.value();
  p.format = Format::kLine;
  p.blank = text.find('0') != std::string_view::npos ? '0' : '.';
  return p;
}

std::string format_line(const Grid& grid, char blank) {
  std::string s;
  s.reserve(grid.cells.size());
  for (auto v : grid.cells) s.push_back(digit_char(v, blank));
  return s;
}

std::string format_json(const Grid& grid) {
  std::string s = "[";
  for (int r = 0; r < grid.n(); ++r) {
    s += r ? ",[" : "[";
    for (int c = 0; c < grid.n(); ++c) {
      if (c) s += ',';
      s += std::to_string(grid.at(r, c));
    }
    s += ']';
  }
  return s + "]";
}

std::string format_csv_record(const CsvRecord& rec) {
  using hrm::task::csv::quote;  // a source or rating with ',' or '"' must read back as one field
  return quote(rec.source) + "," + format_line(rec.question) + "," + (rec.answer ? format_line(*rec.answer) : "") +
         "," + quote(rec.rating);
}

std::string format_like(const Grid& grid, const Parsed& like) {
  switch (like.format) {
    case Format::kJson: return format_json(grid);
    case Format::kCsv: {
      CsvRecord rec = like.csv ? *like.csv : CsvRecord{"", grid, std::nullopt, ""};
      rec.answer = grid;
      return format_csv_record(rec);
    }
    case Format::kLine: break;
  }
  return format_line(grid, like.blank);
}

Status check_givens(const Grid& g) {
  const Shape& s = g.shape;
  const int n = s.n;
  // For each unit kind, map (unit index, digit) -> first cell seen.
  auto check_unit = [&](const char* kind, int unit, auto cell_of) -> Status {
    std::vector<int> seen(static_cast<std::size_t>(n + 1), -1);
    for (int k = 0; k < n; ++k) {
      int cell = cell_of(unit, k);
      int d = g.cells[static_cast<std::size_t>(cell)];
      if (d == 0) continue;
      int& first = seen[static_cast<std::size_t>(d)];
      if (first >= 0) {
        int r = cell / n, c = cell % n;
        return Error{"contradictory givens: digit " + std::string(1, digit_char(d)) + " appears twice in " + kind +
                         " " + std::to_string(unit + 1) + ", at " + pos(first / n, first % n) + " and " + pos(r, c),
                     r, c};
      }
      first = cell;
    }
    return {};
  };
  for (int u = 0; u < n; ++u) {
    if (auto st = check_unit("row", u, [n](int r, int k) { return r * n + k; }); !st) return st;
    if (auto st = check_unit("column", u, [n](int c, int k) { return k * n + c; }); !st) return st;
    auto box_cell = [&s](int b, int k) {
      int boxes_per_row = s.n / s.box_cols;
      int r = (b / boxes_per_row) * s.box_rows + k / s.box_cols;
      int c = (b % boxes_per_row) * s.box_cols + k % s.box_cols;
      return r * s.n + c;
    };
    if (auto st = check_unit("box", u, box_cell); !st) return st;
  }
  return {};
}

std::vector<std::int32_t> to_tokens(const Grid& grid) {
  std::vector<std::int32_t> t(grid.cells.size());
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = grid.cells[i] + 1;
  return t;
}

Result<Grid> from_tokens(const std::int32_t* tokens, std::size_t count, Shape shape) {
  if (count != static_cast<std::size_t>(shape.cells()))
    return Error{"wrong length: " + std::to_string(count) + " tokens, expected " + std::to_string(shape.cells())};
  Grid g(shape);
  for (int i = 0; i < shape.cells(); ++i) {
    std::int32_t t = tokens[i];
    if (t == 0) return error_at("PAD token", i, shape.n);
    if (t < 0 || t > shape.n + 1) return error_at("token " + std::to_string(t) + " out of range", i, shape.n);
    g.cells[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(t - 1);
  }
  return g;
}

}  // namespace hrm::sudoku
