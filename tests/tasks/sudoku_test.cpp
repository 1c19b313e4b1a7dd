#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "augment.hpp"
#include "generator.hpp"
#include "grid.hpp"
#include "render.hpp"
#include "solver.hpp"

using namespace hrm::sudoku;

namespace {

const char* kPuzzle9 = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........";
const char* kSolution9 = "468931527751624839392578461134756298289413675675289314846192753513867942927345186";
const char* kPuzzle4 = "1...34......4.3.";  // unique, singles only
const char* kPuzzle6 = "..3.6.5....3.16..4...1....42...2.6..";  // unique

// Lines of a fixture file, skipping '#' comments.
std::vector<std::string> fixture_lines(const std::string& name) {
  std::ifstream in(std::string(HRM_TASKS_TEST_DATA) + "/" + name);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Grid parse_ok(const std::string& s) {
  auto g = parse_line(s);
  EXPECT_TRUE(g.ok()) << g.error().message;
  return g.ok() ? g.value() : Grid();
}

}  // namespace

// ---------------------------------------------------------------- parsing

TEST(SudokuParse, LineAllSizes) {
  for (int n : {4, 6, 9, 16}) {
    std::string s(static_cast<std::size_t>(n * n), '.');
    s[0] = '1';
    s[static_cast<std::size_t>(n * n - 1)] = digit_char(n);
    auto g = parse_line(s);
    ASSERT_TRUE(g.ok()) << n << ": " << g.error().message;
    EXPECT_EQ(g->n(), n);
    EXPECT_EQ(g->at(0, 0), 1);
    EXPECT_EQ(g->at(n - 1, n - 1), n);
    EXPECT_EQ(format_line(*g), s);
  }
}

TEST(SudokuParse, BoxShapes) {
  EXPECT_EQ(parse_ok(kPuzzle4).shape, (Shape{4, 2, 2}));
  EXPECT_EQ(parse_ok(kPuzzle6).shape, (Shape{6, 2, 3}));
  EXPECT_EQ(parse_ok(kPuzzle9).shape, (Shape{9, 3, 3}));
}

TEST(SudokuParse, ZeroBlanksAndSixteenLetters) {
  auto g = parse_line(std::string("0000") + std::string(252, '.'));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->count_givens(), 0);
  std::string s(256, '.');
  s[0] = 'A';
  s[1] = 'g';
  auto h = parse_line(s);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->at(0, 0), 10);
  EXPECT_EQ(h->at(0, 1), 16);
  EXPECT_EQ(format_line(*h).substr(0, 2), "AG");
}

TEST(SudokuParse, Json) {
  auto g = parse_json(" [[1,0,0,0],[3,4,0,0],\n[0,0,0,0],[4,0,3,0]] ");
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(format_line(*g), kPuzzle4);
  EXPECT_EQ(format_json(*g), "[[1,0,0,0],[3,4,0,0],[0,0,0,0],[4,0,3,0]]");
}

TEST(SudokuParse, JsonStrictness) {
  for (const char* bad : {"[[1,0,0,4],[0,0,1,0],[0,1,0,0],[4,0,0,3],]", "[[1,0,0,4],[0,0,1,0],[0,1,0,0],[4,0,0,03]]",
                          "[[1,0,0,4],[0,0,1,0],[0,1,0,0],[4,0,0,-3]]", "[[1,0,0,4],[0,0,1,0],[0,1,0,0],[4,0,0,3]] x",
                          "[[1,0,0,4],[0,0,1,0],[0,1,0,0],[4,0,0,\"3\"]]", "[]"}) {
    auto g = parse_json(bad);
    EXPECT_FALSE(g.ok()) << bad;
    EXPECT_TRUE(contains(g.error().message, "JSON")) << g.error().message;
  }
}

TEST(SudokuParse, JsonRowLength) {
  auto g = parse_json("[[1,0,0,4],[0,0,1],[0,1,0,0],[4,0,0,3]]");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "row 2 has 3 values")) << g.error().message;
}

TEST(SudokuParse, CsvWithAndWithoutHeader) {
  std::string row = std::string("magic,") + kPuzzle9 + "," + kSolution9 + ",42";
  for (const std::string& text : {"source,question,answer,rating\n" + row + "\n", row}) {
    auto recs = parse_csv(text);
    ASSERT_TRUE(recs.ok()) << recs.error().message;
    ASSERT_EQ(recs->size(), 1u);
    const CsvRecord& r = recs.value()[0];
    EXPECT_EQ(r.source, "magic");
    EXPECT_EQ(format_line(r.question), kPuzzle9);
    ASSERT_TRUE(r.answer.has_value());
    EXPECT_EQ(format_line(*r.answer), kSolution9);
    EXPECT_EQ(r.rating, "42");
    EXPECT_EQ(format_csv_record(r), row);
  }
}

TEST(SudokuParse, CsvErrorNamesLine) {
  auto recs = parse_csv(std::string("source,question,answer,rating\nx,") + kPuzzle9 + ",,1\ny,123,,2\n");
  ASSERT_FALSE(recs.ok());
  EXPECT_TRUE(contains(recs.error().message, "line 3")) << recs.error().message;
  EXPECT_TRUE(contains(recs.error().message, "wrong length")) << recs.error().message;
}

TEST(SudokuParse, CsvAsUsersHaveIt) {
  // RFC 4180: quoted fields, a doubled quote, CRLF line ends, a quoted header.
  const std::string text = std::string("\"source\",\"question\",\"answer\",\"rating\"\r\n") + "\"the \"\"hard\"\", one\",\"" +
                           kPuzzle9 + "\",\"" + kSolution9 + "\",\"42\"\r\n\r\nplain," + kPuzzle9 + ",,7\r\n";
  auto recs = parse_csv(text);
  ASSERT_TRUE(recs.ok()) << recs.error().message;
  ASSERT_EQ(recs->size(), 2u);
  const CsvRecord& r = recs.value()[0];
  EXPECT_EQ(r.source, "the \"hard\", one");
  EXPECT_EQ(format_line(r.question), kPuzzle9);
  ASSERT_TRUE(r.answer.has_value());
  EXPECT_EQ(format_line(*r.answer), kSolution9);
  EXPECT_EQ(r.rating, "42");
  // Written back, the source is quoted again so the row still has 4 fields.
  EXPECT_EQ(format_csv_record(r), std::string("\"the \"\"hard\"\", one\",") + kPuzzle9 + "," + kSolution9 + ",42");
  EXPECT_EQ(recs.value()[1].source, "plain");
  auto one = parse_puzzle(std::string("\"x\",\"") + kPuzzle9 + "\",\"\",\"1\"\r\n");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->format, Format::kCsv);
}

TEST(SudokuParse, MalformedCsvNamesLineAndField) {
  auto recs = parse_csv(std::string("source,question,answer,rating\r\nx,\"") + kPuzzle9 + ",,1\r\n");
  ASSERT_FALSE(recs.ok());
  EXPECT_TRUE(contains(recs.error().message, "line 2: CSV: unterminated quoted field in field 2")) << recs.error().message;
  auto stray = parse_csv_record(std::string("x,\"") + kPuzzle9 + "\"z,,1");
  ASSERT_FALSE(stray.ok());
  EXPECT_TRUE(contains(stray.error().message, "unexpected character 'z' after a closing quote")) << stray.error().message;
}

TEST(SudokuParse, AutoDetectAndFormatLike) {
  auto line = parse_puzzle(std::string(kPuzzle4) + "\n");
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->format, Format::kLine);
  auto zeros = parse_puzzle("1000340000004030");
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(format_like(zeros->grid, *zeros), "1000340000004030");
  auto json = parse_puzzle("[[1,0,0,4],[0,0,1,0],[0,1,0,0],[4,0,0,3]]");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->format, Format::kJson);
  auto csv = parse_puzzle(std::string("src,") + kPuzzle9 + ",,7");
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv->format, Format::kCsv);
  Grid sol = solve(csv->grid).solution;
  EXPECT_EQ(format_like(sol, *csv), std::string("src,") + kPuzzle9 + "," + kSolution9 + ",7");
}

// ---------------------------------------------------------------- errors

TEST(SudokuErrors, WrongLength) {
  auto g = parse_line(std::string(80, '.'));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "wrong length: 80")) << g.error().message;
}

TEST(SudokuErrors, IllegalCharacterNamesPosition) {
  std::string s(81, '.');
  s[9 + 4] = 'x';
  auto g = parse_line(s);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "illegal character 'x'")) << g.error().message;
  EXPECT_TRUE(contains(g.error().message, "row 2, column 5")) << g.error().message;
  EXPECT_EQ(g.error().row, 1);
  EXPECT_EQ(g.error().col, 4);
}

TEST(SudokuErrors, DigitTooLargeForSize) {
  std::string s(16, '.');
  s[5] = '7';
  auto g = parse_line(s);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "digit 7 > 4")) << g.error().message;
  EXPECT_TRUE(contains(g.error().message, "row 2, column 2")) << g.error().message;
}

TEST(SudokuErrors, DuplicateInRow) {
  std::string s(81, '.');
  s[2] = '5';
  s[7] = '5';
  auto g = parse_line(s);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "digit 5 appears twice in row 1")) << g.error().message;
  EXPECT_TRUE(contains(g.error().message, "(row 1, column 8)")) << g.error().message;
}

TEST(SudokuErrors, DuplicateInColumn) {
  std::string s(81, '.');
  s[0 * 9 + 3] = '2';
  s[6 * 9 + 3] = '2';
  auto g = parse_line(s);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "appears twice in column 4")) << g.error().message;
  EXPECT_TRUE(contains(g.error().message, "(row 7, column 4)")) << g.error().message;
}

TEST(SudokuErrors, DuplicateInBox) {
  std::string s(36, '.');  // 6x6: box 1 = rows 1-2, columns 1-3
  s[0] = '3';
  s[6 + 2] = '3';
  auto g = parse_line(s);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "appears twice in box 1")) << g.error().message;
  EXPECT_TRUE(contains(g.error().message, "(row 2, column 3)")) << g.error().message;
}

TEST(SudokuErrors, ContradictionsAllowedWhenAsked) {
  std::string s(81, '.');
  s[0] = s[1] = '1';
  auto g = parse_line(s, /*check_contradictions=*/false);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(count_solutions(*g, 2), 0);
}

// ---------------------------------------------------------------- tokens

TEST(SudokuTokens, ReferenceEncoding) {
  Grid g = parse_ok(kPuzzle9);
  auto t = to_tokens(g);
  ASSERT_EQ(t.size(), 81u);
  EXPECT_EQ(vocab_size(g.shape), 11);
  EXPECT_EQ(seq_len(g.shape), 81);
  EXPECT_EQ(t[0], 5);  // digit 4 -> 5
  EXPECT_EQ(t[1], 1);  // blank -> 1
  auto back = from_tokens(t.data(), t.size(), g.shape);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, g);
  EXPECT_EQ(vocab_size(*shape_for_size(16)), 18);
}

TEST(SudokuTokens, PadIsAnErrorWithPosition) {
  std::vector<std::int32_t> t(16, 2);
  t[6] = 0;
  auto g = from_tokens(t.data(), t.size(), *shape_for_size(4));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "PAD token at (row 2, column 3)")) << g.error().message;
}

// ---------------------------------------------------------------- solver

TEST(SudokuSolver, HardPuzzlesMatchStoredSolutions) {
  auto lines = fixture_lines("sudoku_hard20.txt");
  ASSERT_EQ(lines.size(), 20u);
  for (const auto& line : lines) {
    Grid p = parse_ok(line.substr(0, 81));
    SolveResult r = solve(p, SolveOptions{2});
    EXPECT_EQ(r.solutions, 1) << line;
    EXPECT_EQ(format_line(r.solution), line.substr(84)) << line;
    EXPECT_TRUE(verify_solution(p, r.solution).ok());
    EXPECT_GT(r.guesses, 0u);  // these are not solvable by singles alone
  }
}

TEST(SudokuSolver, CountsMatchTdokuTests) {
  auto lines = fixture_lines("sudoku_counts.txt");
  ASSERT_GE(lines.size(), 15u);
  for (const auto& line : lines) {
    Grid p = parse_ok(line.substr(0, 81));
    int expected = std::stoi(line.substr(82));
    EXPECT_EQ(count_solutions(p, 1000), expected) << line;
    EXPECT_EQ(count_solutions(p, 2), std::min(expected, 2)) << line;
  }
}

TEST(SudokuSolver, AllSizes) {
  for (const char* s : {kPuzzle4, kPuzzle6}) {
    Grid p = parse_ok(s);
    SolveResult r = solve(p, SolveOptions{2});
    EXPECT_EQ(r.solutions, 1) << s;
    EXPECT_TRUE(verify_solution(p, r.solution).ok()) << s;
  }
  // An empty 16x16 grid has many solutions; the solver must find one quickly.
  Grid empty16(*shape_for_size(16));
  SolveResult r = solve(empty16, SolveOptions{2});
  EXPECT_EQ(r.solutions, 2);
  EXPECT_TRUE(verify_solution(empty16, r.solution).ok());
}

TEST(SudokuSolver, DifficultyIsDeterministicAndZeroForSinglesOnly) {
  Grid easy = parse_ok(kPuzzle4);
  EXPECT_EQ(difficulty(easy), 0u);
  Grid hard = parse_ok(kPuzzle9);
  EXPECT_EQ(difficulty(hard), difficulty(hard));
  EXPECT_GT(difficulty(hard), 0u);
}

TEST(SudokuVerify, Errors) {
  Grid p = parse_ok(kPuzzle9);
  Grid s = parse_ok(kSolution9);
  EXPECT_TRUE(verify_solution(p, s).ok());

  Grid blank = s;
  blank.at(4, 4) = 0;
  auto st = verify_solution(p, blank);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "blank cell at (row 5, column 5)")) << st.error().message;

  Grid changed = s;
  std::swap(changed.at(0, 0), changed.at(0, 1));  // still a permutation per row, but breaks a given
  st = verify_solution(p, changed);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "changes the given 4")) << st.error().message;

  Grid dup = s;
  dup.at(8, 8) = dup.at(8, 7);
  st = verify_solution(Grid(p.shape), dup);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "not a valid solution")) << st.error().message;
}

// ---------------------------------------------------------------- generator

TEST(SudokuGenerator, DeterministicUniqueAllSizes) {
  const std::vector<std::pair<int, int>> size_givens = {{4, 6}, {6, 14}, {9, 30}, {16, 150}};
  for (auto [n, givens] : size_givens) {
    GenerateOptions opt;
    opt.shape = *shape_for_size(n);
    opt.target_givens = givens;
    opt.seed = 1234;
    auto a = generate(opt);
    ASSERT_TRUE(a.ok()) << n << ": " << a.error().message;
    auto b = generate(opt);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a->puzzle, b->puzzle) << n;
    EXPECT_EQ(a->puzzle.count_givens(), givens);
    EXPECT_EQ(count_solutions(a->puzzle, 2), 1) << n;
    EXPECT_TRUE(verify_solution(a->puzzle, a->solution).ok());
    opt.seed = 99;
    auto c = generate(opt);
    ASSERT_TRUE(c.ok());
    EXPECT_NE(a->puzzle, c->puzzle) << n;
  }
}

TEST(SudokuGenerator, DifficultyWindow) {
  GenerateOptions opt;
  opt.target_givens = 24;
  opt.min_difficulty = 3;
  opt.seed = 7;
  auto g = generate(opt);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_GE(g->difficulty, 3u);
  EXPECT_EQ(g->difficulty, difficulty(g->puzzle));

  opt.target_givens = 5;  // far below the 17-clue minimum for 9x9
  opt.max_attempts = 2;
  auto bad = generate(opt);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, "after 2 attempts")) << bad.error().message;
}

// ---------------------------------------------------------------- augmentation

TEST(SudokuAugment, InverseRestoresAndKeepsValidity) {
  const std::vector<std::string> puzzles = {kPuzzle4, kPuzzle6, kPuzzle9};
  for (const auto& text : puzzles) {
    Grid p = parse_ok(text);
    Grid s = solve(p).solution;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
      Transform t = Transform::random(p.shape, seed);
      Grid tp = t.apply(p), ts = t.apply(s);
      EXPECT_TRUE(check_givens(tp).ok());
      EXPECT_TRUE(verify_solution(tp, ts).ok()) << t.describe();
      EXPECT_EQ(t.inverse().apply(tp), p) << t.describe();
      EXPECT_EQ(t.inverse().apply(ts), s) << t.describe();
      // Solving the augmented puzzle and mapping back gives the original answer.
      EXPECT_EQ(t.inverse().apply(solve(tp).solution), s);
    }
  }
}

TEST(SudokuAugment, SeededAndShapeRules) {
  Shape s9 = *shape_for_size(9), s6 = *shape_for_size(6);
  EXPECT_EQ(Transform::random(s9, 5).describe(), Transform::random(s9, 5).describe());
  bool any_transpose = false;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    any_transpose |= Transform::random(s9, seed).transpose;
    EXPECT_FALSE(Transform::random(s6, seed).transpose);  // 2x3 boxes: transposing would break them
  }
  EXPECT_TRUE(any_transpose);
  Grid g = parse_ok(kPuzzle9);
  EXPECT_EQ(Transform::identity(s9).apply(g), g);
}

TEST(SudokuAugment, ReferenceFormula) {
  // new[i] = map[old_T[row_perm[i/9]*9 + col_perm[i%9]]], checked cell by cell.
  Grid g = parse_ok(kSolution9);
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    Transform t = Transform::random(g.shape, seed);
    Grid out = t.apply(g);
    for (int i = 0; i < 81; ++i) {
      int src = t.row_perm[static_cast<std::size_t>(i / 9)] * 9 + t.col_perm[static_cast<std::size_t>(i % 9)];
      int v = t.transpose ? g.at(src % 9, src / 9) : g.cells[static_cast<std::size_t>(src)];
      EXPECT_EQ(out.cells[static_cast<std::size_t>(i)], t.digit_map[static_cast<std::size_t>(v)]);
    }
  }
}

// ---------------------------------------------------------------- rendering

TEST(SudokuRender, TextAndSvg) {
  Grid p = parse_ok(kPuzzle4);
  Grid s = solve(p).solution;
  std::string plain = render_text(s, &p, false);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  // kPuzzle4 starts "1..." and solves to "1243": the given 1 plain, the filled 2 4 3 marked.
  EXPECT_TRUE(contains(plain, "+-----+-----+\n| 1 2*| 4*3*|\n")) << plain;
  EXPECT_TRUE(contains(plain, "digit*: filled in, digit: given\n")) << plain;
  // The puzzle alone has only givens: no marks and no legend.
  const std::string puzzle = render_text(p, &p, false);
  EXPECT_EQ(puzzle.find('*'), std::string::npos) << puzzle;
  EXPECT_EQ(puzzle.find("filled"), std::string::npos) << puzzle;
  std::string colored = render_text(s, &p, true);
  EXPECT_TRUE(contains(colored, "\x1b[1m1\x1b[0m"));   // a given
  EXPECT_TRUE(contains(colored, "\x1b[36m2\x1b[0m"));  // a filled cell
  EXPECT_EQ(colored.find('*'), std::string::npos);       // colour is the mark on a terminal
  EXPECT_TRUE(contains(colored, "cyan\x1b[0m: filled in"));
  std::string svg = render_svg(s, &p);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(contains(svg, "</svg>"));
  EXPECT_TRUE(contains(svg, "fill=\"#1f5fbf\""));
}

TEST(SudokuAugment, TokensMatchGridTransform) {
  for (const char* text : {kPuzzle6, kPuzzle9}) {
    Grid p = parse_ok(text);
    auto tokens = to_tokens(p);
    for (std::uint64_t seed = 1; seed < 10; ++seed) {
      Transform t = Transform::random(p.shape, seed);
      std::vector<std::int32_t> out(tokens.size()), back(tokens.size());
      t.apply_tokens(tokens.data(), out.data());
      EXPECT_EQ(out, to_tokens(t.apply(p)));
      t.inverse().apply_tokens(out.data(), back.data());
      EXPECT_EQ(back, tokens);
    }
  }
}

TEST(SudokuParse, EveryFormatEverySize) {
  for (int n : {4, 6, 9, 16}) {
    GenerateOptions opt;
    opt.shape = *shape_for_size(n);
    opt.target_givens = GenerateOptions::default_givens(opt.shape);
    opt.seed = 11;
    auto g = generate(opt);
    ASSERT_TRUE(g.ok()) << g.error().message;
    const Grid& p = g->puzzle;
    auto json = parse_puzzle(format_json(p));
    ASSERT_TRUE(json.ok()) << n << ": " << json.error().message;
    EXPECT_EQ(json->format, Format::kJson);
    EXPECT_EQ(json->grid, p);
    CsvRecord rec{"gen", p, g->solution, "0"};
    auto csv = parse_puzzle(format_csv_record(rec));
    ASSERT_TRUE(csv.ok()) << n << ": " << csv.error().message;
    EXPECT_EQ(csv->grid, p);
    EXPECT_EQ(*csv->csv->answer, g->solution);
    auto line = parse_puzzle(format_line(p, '0'));
    ASSERT_TRUE(line.ok());
    EXPECT_EQ(line->grid, p);
    EXPECT_EQ(format_like(line->grid, *line), format_line(p, '0'));
  }
}
