#include <gtest/gtest.h>

#include <string>

#include "augment.hpp"
#include "generator.hpp"
#include "grid.hpp"
#include "render.hpp"
#include "solver.hpp"

using namespace hrm::maze;

namespace {

// 7x7 maze with two routes from S to G: a short one down the left side (8 moves)
// and a long one round the right (12 moves).
const char* kMaze7 =
    "#######"
    "#S    #"
    "# ### #"
    "# #   #"
    "# # ###"
    "#    G#"
    "#######";

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Maze parse_ok(const std::string& text) {
  auto m = parse_maze(text);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.ok() ? m.value() : Maze();
}

}  // namespace

TEST(MazeParse, SingleStringAndLines) {
  Maze a = parse_ok(kMaze7);
  EXPECT_EQ(a.n, 7);
  EXPECT_EQ(a.at(1, 1), 'S');
  Maze b = parse_ok(format_maze(a, /*multiline=*/true));
  EXPECT_EQ(a, b);
  EXPECT_EQ(format_maze(b), kMaze7);
  Maze c = parse_ok(format_maze(a, true) + "\r\n");  // trailing line ending is fine
  EXPECT_EQ(a, c);
}

TEST(MazeParse, Full30x30) {
  std::string s(900, ' ');
  s[0] = 'S';
  s[899] = 'G';
  EXPECT_EQ(parse_ok(s).n, 30);
}

TEST(MazeErrors, WrongLength) {
  auto m = parse_maze(std::string(899, ' '));
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message, "wrong length: 899")) << m.error().message;
  auto big = parse_maze(std::string(31 * 31, ' '));
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(contains(big.error().message, "wrong length")) << big.error().message;
  auto lines = parse_maze("S  \n  \n  G\n");
  ASSERT_FALSE(lines.ok());
  EXPECT_TRUE(contains(lines.error().message, "line 2 has 2 characters")) << lines.error().message;
}

TEST(MazeErrors, IllegalCharacterNamesPosition) {
  std::string s = kMaze7;
  s[3 * 7 + 4] = 'x';
  auto m = parse_maze(s);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message, "illegal character 'x'")) << m.error().message;
  EXPECT_TRUE(contains(m.error().message, "(row 4, column 5)")) << m.error().message;
  EXPECT_EQ(m.error().row, 3);
  EXPECT_EQ(m.error().col, 4);
}

TEST(MazeErrors, NoStart) {
  std::string s = kMaze7;
  s[8] = ' ';
  auto m = parse_maze(s);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message, "no start 'S'")) << m.error().message;
}

TEST(MazeErrors, NoGoal) {
  std::string s = kMaze7;
  s[5 * 7 + 5] = ' ';
  auto m = parse_maze(s);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message, "no goal 'G'")) << m.error().message;
}

TEST(MazeErrors, MultipleStarts) {
  std::string s = kMaze7;
  s[3 * 7 + 3] = 'S';
  auto m = parse_maze(s);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message, "more than one start 'S': at (row 2, column 2) and (row 4, column 4)"))
      << m.error().message;
}

TEST(MazeErrors, MultipleGoals) {
  std::string s = kMaze7;
  s[1 * 7 + 5] = 'G';
  auto m = parse_maze(s);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message, "more than one goal 'G'")) << m.error().message;
}

TEST(MazeErrors, UnreachableGoal) {
  Maze m = parse_ok(
      "#####"
      "#S# #"
      "### #"
      "#  G#"
      "#####");
  auto p = shortest_path(m);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.error().message, "goal 'G' at (row 4, column 4) is unreachable from start 'S' at (row 2, column 2)"))
      << p.error().message;
  EXPECT_FALSE(solve(m).ok());
}

TEST(MazeTokens, CanvasPaddingAndRoundTrip) {
  Maze m = parse_ok(kMaze7);
  auto t = to_tokens(m);
  ASSERT_EQ(t.size(), 900u);
  EXPECT_EQ(t[0], 1);       // '#'
  EXPECT_EQ(t[31], 3);      // 'S' at (1,1) of the 30-wide canvas
  EXPECT_EQ(t[32], 2);      // ' '
  EXPECT_EQ(t[5 * 30 + 5], 4);  // 'G'
  EXPECT_EQ(t[7], 0);       // right of the 7x7 maze: PAD
  EXPECT_EQ(t[7 * 30], 0);  // below it: PAD
  auto back = from_tokens(t.data(), t.size(), 7);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, m);
  auto solved = solve(m);
  ASSERT_TRUE(solved.ok());
  auto st = to_tokens(*solved);
  EXPECT_EQ(st[2 * 30 + 1], 5);  // 'o'
  auto pad = from_tokens(t.data(), t.size(), 8);
  ASSERT_FALSE(pad.ok());
  EXPECT_TRUE(contains(pad.error().message, "PAD token at (row 1, column 8)")) << pad.error().message;
}

TEST(MazeSolver, ShortestPathAndUniqueness) {
  Maze m = parse_ok(kMaze7);
  auto p = shortest_path(m);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->length, 8);
  EXPECT_EQ(p->path.size(), 9u);
  EXPECT_TRUE(p->unique());
  auto solved = solve(m);
  ASSERT_TRUE(solved.ok());
  EXPECT_EQ(format_maze(*solved),
            "#######"
            "#S    #"
            "#o### #"
            "#o#   #"
            "#o# ###"
            "#ooooG#"
            "#######");
  // An open room has many shortest paths: from corner to corner of a 3x3 room, C(4,2) = 6.
  Maze room = parse_ok(
      "#####"
      "#S  #"
      "#   #"
      "#  G#"
      "#####");
  auto r = shortest_path(room);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->length, 4);
  EXPECT_EQ(r->shortest_paths, 6u);
  EXPECT_FALSE(r->unique());
  EXPECT_EQ(shortest_path(room, 3)->shortest_paths, 3u);  // capped
}

TEST(MazeVerify, AcceptsOptimalRejectsOthers) {
  Maze m = parse_ok(kMaze7);
  Maze good = *solve(m);
  EXPECT_TRUE(verify(m, good).ok());

  // Long route round the right: connected but not optimal.
  Maze longer = parse_ok(
      "#######"
      "#Soooo#"
      "# ###o#"
      "# #ooo#"
      "# #o###"
      "#  ooG#"
      "#######");
  auto st = verify(m, longer);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "marked path has 11 cells, a shortest path has 7")) << st.error().message;

  Maze broken = good;
  broken.at(3, 1) = ' ';
  st = verify(m, broken);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "does not connect")) << st.error().message;

  Maze through_wall = good;
  through_wall.at(2, 2) = 'o';
  st = verify(m, through_wall);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "crosses a '#' cell at (row 3, column 3)")) << st.error().message;

  Maze changed = good;
  changed.at(3, 3) = '#';
  st = verify(m, changed);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "cell changed from ' ' to '#' at (row 4, column 4)")) << st.error().message;

  Maze extra = good;
  extra.at(1, 2) = 'o';  // stray mark off the path
  st = verify(m, extra);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "marked path has 8 cells")) << st.error().message;
}

TEST(MazeGenerator, DeterministicAndHard) {
  GenerateOptions opt;
  opt.seed = 42;
  auto a = generate(opt);
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = generate(opt);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->puzzle, b->puzzle);
  EXPECT_EQ(a->puzzle.n, 30);
  EXPECT_GE(a->path.length, 90);
  EXPECT_EQ(a->puzzle.find(kPath), -1);
  EXPECT_TRUE(verify(a->puzzle, a->solution).ok());
  EXPECT_TRUE(parse_maze(format_maze(a->puzzle)).ok());
  opt.seed = 43;
  auto c = generate(opt);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->puzzle, c->puzzle);
}

TEST(MazeGenerator, OptionsAndFailure) {
  GenerateOptions opt;
  opt.n = 15;
  opt.carver = Carver::kPrim;
  opt.min_path_length = 20;
  opt.unique_path = true;
  opt.seed = 3;
  auto g = generate(opt);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->puzzle.n, 15);
  EXPECT_TRUE(g->path.unique());
  EXPECT_GE(g->path.length, 20);

  opt.min_path_length = 1000;  // impossible in 15x15
  opt.max_attempts = 3;
  auto bad = generate(opt);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, ">= 1000 moves")) << bad.error().message;
}

TEST(MazeAugment, DihedralInversesAndValidity) {
  GenerateOptions opt;
  opt.n = 21;
  opt.seed = 5;
  auto g = generate(opt);
  ASSERT_TRUE(g.ok()) << g.error().message;
  for (int id = 0; id < kDihedralCount; ++id) {
    Maze p = dihedral(g->puzzle, id), s = dihedral(g->solution, id);
    EXPECT_EQ(dihedral(p, dihedral_inverse(id)), g->puzzle) << id;
    EXPECT_EQ(dihedral(s, dihedral_inverse(id)), g->solution) << id;
    EXPECT_TRUE(verify(p, s).ok()) << id;
    EXPECT_EQ(shortest_path(p)->length, g->path.length) << id;
  }
}

TEST(MazeAugment, NumpyConventions) {
  // 3x3 with distinct cells to pin the exact orientation of each id.
  Maze m;
  m.n = 3;
  m.cells = "#S  G #o ";  // rows: "#S ", " G ", "#o "
  // np.rot90 turns counter-clockwise: its first row is the last column, top to bottom
  // (numpy docs: rot90([[1,2],[3,4]]) == [[2,4],[1,3]]).
  EXPECT_EQ(dihedral(m, 0).cells, m.cells);
  EXPECT_EQ(dihedral(m, 1).cells, "   SGo# #");
  EXPECT_EQ(dihedral(m, 2).cells, " o# G  S#");
  EXPECT_EQ(dihedral(m, 3).cells, "# #oGS   ");
  EXPECT_EQ(dihedral(m, 4).cells, " S# G  o#");
  EXPECT_EQ(dihedral(m, 5).cells, "#o  G #S ");
  EXPECT_EQ(dihedral(m, 6).cells, "# #SGo   ");
  EXPECT_EQ(dihedral(m, 7).cells, "   oGS# #");
  const int expected_inverse[8] = {0, 3, 2, 1, 4, 5, 6, 7};
  for (int id = 0; id < 8; ++id) EXPECT_EQ(dihedral_inverse(id), expected_inverse[id]);
}

TEST(MazeRender, TextAndSvg) {
  Maze s = *solve(parse_ok(kMaze7));
  std::string plain = render_text(s);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  EXPECT_EQ(plain.substr(0, 24), "#######\n#S    #\n#o### #\n");
  std::string colored = render_text(s, true);
  EXPECT_TRUE(contains(colored, "\x1b[43m"));  // path
  EXPECT_TRUE(contains(colored, "\x1b[42mS"));  // start
  std::string svg = render_svg(s);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(contains(svg, "fill=\"#f0a020\""));
  EXPECT_TRUE(contains(svg, "</svg>"));
}

TEST(MazeParse, CsvRecord) {
  Maze q = parse_ok(kMaze7);
  Maze a = *solve(q);
  std::string line = "gen," + q.cells + "," + a.cells + ",8";
  auto rec = parse_csv_record(line + "\r\n");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_EQ(rec->source, "gen");
  EXPECT_EQ(rec->question, q);
  ASSERT_TRUE(rec->answer.has_value());
  EXPECT_EQ(*rec->answer, a);
  EXPECT_EQ(format_csv_record(*rec), line);
  auto no_answer = parse_csv_record("x," + q.cells + ",,");
  ASSERT_TRUE(no_answer.ok());
  EXPECT_FALSE(no_answer->answer.has_value());
  auto bad = parse_csv_record("x," + q.cells.substr(1) + ",,");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, "question: wrong length: 48")) << bad.error().message;
}

TEST(MazeParse, QuotedCsvRecord) {
  Maze q = parse_ok(kMaze7);
  Maze a = *solve(q);
  // The issue's row: every field quoted, CRLF end, a doubled quote in the source.
  auto rec = parse_csv_record("\"my \"\"maze\"\"\",\"" + q.cells + "\",\"" + a.cells + "\",\"8\"\r\n");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_EQ(rec->source, "my \"maze\"");
  EXPECT_EQ(rec->question, q);
  ASSERT_TRUE(rec->answer.has_value());
  EXPECT_EQ(*rec->answer, a);
  EXPECT_EQ(rec->rating, "8");
  EXPECT_EQ(format_csv_record(*rec), "\"my \"\"maze\"\"\"," + q.cells + "," + a.cells + ",8");
  // A quoted field may hold the maze as a block of lines.
  auto block = parse_csv_record("x,\"" + format_maze(q, true) + "\",,");
  ASSERT_TRUE(block.ok()) << block.error().message;
  EXPECT_EQ(block->question, q);
  auto bad = parse_csv_record("x,\"" + q.cells + ",,");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, "CSV: unterminated quoted field in field 2")) << bad.error().message;
}

TEST(MazeAugment, TokensMatchGridTransformAndKeepPadding) {
  Maze m = *solve(parse_ok(kMaze7));
  auto tokens = to_tokens(m);
  std::vector<std::int32_t> out(900), back(900);
  for (int id = 0; id < kDihedralCount; ++id) {
    dihedral_tokens(tokens.data(), out.data(), id);
    EXPECT_EQ(out, to_tokens(dihedral(m, id))) << id;  // still top-left, PAD elsewhere
    dihedral_tokens(out.data(), back.data(), dihedral_inverse(id));
    EXPECT_EQ(back, tokens) << id;
  }
}
