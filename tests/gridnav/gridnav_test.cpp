// Tests of the gridnav core library: MovingAI parsing, A* against the benchmark's optimal
// lengths, the robot model (4/8 moves, corner cutting, footprint), windows, the generator,
// augmentation, the verifier and every kind of bad input.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <queue>
#include <sstream>
#include <string>

#include "augment.hpp"
#include "generator.hpp"
#include "grid.hpp"
#include "planner.hpp"
#include "render.hpp"
#include "window.hpp"

using namespace hrm::gridnav;

namespace {

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(HRM_GRIDNAV_TEST_DATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Grid map_ok(const std::string& text) {
  auto g = parse_map(text);
  EXPECT_TRUE(g.ok()) << g.error().message;
  return g.ok() ? g.value() : Grid();
}

Instance instance_ok(const std::string& text) {
  auto in = parse_instance(text);
  EXPECT_TRUE(in.ok()) << in.error().message;
  return in.ok() ? in.value() : Instance();
}

// The copied benchmark files (tests/data/gridnav, see its README.md).
struct MapCase {
  const char* map;
  const char* scen;
  int width, height, scenarios;
};
const MapCase kCases[] = {
    {"arena.map", "arena.map.scen", 49, 49, 160},
    {"den101d.map", "den101d.map.scen", 73, 41, 220},  // not square: catches swapped height/width
    {"maze-32-32-2.map", "maze-32-32-2-random-1.scen", 32, 32, 333},
    {"random-32-32-20.map", "random-32-32-20-random-1.scen", 32, 32, 409},
};

// Independent check for 4-connected costs: plain BFS (every move costs 1).
int bfs(const Grid& g, Cell s, Cell t) {
  std::vector<int> dist(g.cells.size(), -1);
  std::queue<Cell> q;
  dist[static_cast<size_t>(g.index(s))] = 0;
  q.push(s);
  while (!q.empty()) {
    Cell c = q.front();
    q.pop();
    if (c == t) return dist[static_cast<size_t>(g.index(c))];
    for (auto [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
      Cell n{c.x + dx, c.y + dy};
      if (!g.inside(n) || g.at(n) == Terrain::kBlocked || dist[static_cast<size_t>(g.index(n))] >= 0) continue;
      dist[static_cast<size_t>(g.index(n))] = dist[static_cast<size_t>(g.index(c))] + 1;
      q.push(n);
    }
  }
  return -1;
}

MoveModel moves(int m, int radius = 0) {
  MoveModel model;
  model.moves = m;
  model.radius = radius;
  return model;
}

}  // namespace

// ---- MovingAI parsing ------------------------------------------------------------------------

TEST(GridnavMap, ParsesBenchmarkMaps) {
  for (const auto& c : kCases) {
    Grid g = map_ok(read_file(c.map));
    EXPECT_EQ(g.width, c.width) << c.map;
    EXPECT_EQ(g.height, c.height) << c.map;
  }
  // random-32-32-20 holds one 'T' (a tree): blocked like '@'.
  const std::string text = read_file("random-32-32-20.map");
  Grid g = map_ok(text);
  const size_t tree = text.find('T', text.find("map\n") + 4);
  ASSERT_NE(tree, std::string::npos);
  const size_t row_start = text.find("map\n") + 4;
  const int offset = static_cast<int>(tree - row_start);
  EXPECT_EQ(g.at({offset % 33, offset / 33}), Terrain::kBlocked);  // rows are 32 chars + '\n'
}

TEST(GridnavMap, TerrainCharacters) {
  Grid g = map_ok("type octile\nheight 1\nwidth 7\nmap\n.GS@OTW\n");
  const Terrain want[] = {Terrain::kFree,    Terrain::kFree,    Terrain::kSwamp,  Terrain::kBlocked,
                          Terrain::kBlocked, Terrain::kBlocked, Terrain::kBlocked};
  for (int x = 0; x < 7; ++x) EXPECT_EQ(g.at({x, 0}), want[x]) << x;
}

TEST(GridnavScen, ParsesEveryLine) {
  for (const auto& c : kCases) {
    Grid g = map_ok(read_file(c.map));
    ScenarioFile f = parse_scen(read_file(c.scen), g, c.map);
    EXPECT_TRUE(f.errors.empty()) << c.scen << ": " << (f.errors.empty() ? "" : f.errors[0].message);
    EXPECT_EQ(static_cast<int>(f.scenarios.size()), c.scenarios) << c.scen;
  }
  Grid g = map_ok(read_file("arena.map"));
  ScenarioFile f = parse_scen(read_file("arena.map.scen"), g, "maps/dao/arena.map");
  ASSERT_FALSE(f.scenarios.empty());
  const Scenario& s = f.scenarios[2];  // "0 maps/dao/arena.map 49 49 1 13 4 12 3.41421"
  EXPECT_EQ(s.line, 4);
  EXPECT_EQ(s.start, (Cell{1, 13}));
  EXPECT_EQ(s.goal, (Cell{4, 12}));
  EXPECT_DOUBLE_EQ(s.optimal, 3.41421);
}

// ---- A* against the benchmark ------------------------------------------------------------------

TEST(GridnavAstar, ReproducesEveryScenarioOptimalLength) {
  int checked = 0;
  uint64_t expanded = 0;
  double seconds = 0;
  for (const auto& c : kCases) {
    Grid g = map_ok(read_file(c.map));
    ScenarioFile f = parse_scen(read_file(c.scen), g, c.map);
    const auto space = free_space(g, moves(8));
    const auto t0 = std::chrono::steady_clock::now();
    for (const Scenario& s : f.scenarios) {
      auto p = astar(g, s.start, s.goal, moves(8), space);
      ASSERT_TRUE(p.ok()) << c.scen << " line " << s.line << ": " << p.error().message;
      EXPECT_NEAR(p->cost, s.optimal, 1e-4 * std::max(1.0, s.optimal)) << c.scen << " line " << s.line;
      ASSERT_EQ(p->cells.front(), s.start);
      ASSERT_EQ(p->cells.back(), s.goal);
      expanded += p->expanded;
      ++checked;
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  EXPECT_EQ(checked, 160 + 220 + 333 + 409);
  std::printf("A*: %d scenarios in %.3f s (%.0f /s), %.0f nodes expanded on average\n", checked, seconds,
              checked / std::max(seconds, 1e-9), static_cast<double>(expanded) / checked);
}

TEST(GridnavAstar, FourConnectedMatchesBfs) {
  for (const auto& c : kCases) {
    Grid g = map_ok(read_file(c.map));
    ScenarioFile f = parse_scen(read_file(c.scen), g, c.map);
    int n = 0;
    for (const Scenario& s : f.scenarios) {
      if (n++ == 60) break;  // BFS is slow-ish; 60 per map is plenty
      auto p = astar(g, s.start, s.goal, moves(4));
      ASSERT_TRUE(p.ok()) << p.error().message;
      EXPECT_EQ(p->cost, bfs(g, s.start, s.goal)) << c.scen << " line " << s.line;
      EXPECT_GE(p->cost + 1e-9, s.optimal);  // never shorter than with diagonals
      for (size_t i = 1; i < p->cells.size(); ++i)
        EXPECT_EQ(std::abs(p->cells[i].x - p->cells[i - 1].x) + std::abs(p->cells[i].y - p->cells[i - 1].y), 1);
    }
  }
}

TEST(GridnavAstar, NoCornerCutting) {
  // The diagonal S->G passes the blocked corner at (row 1, column 2): it must go round.
  Instance in = instance_ok("S#\n.G");
  auto p = astar(in.grid, in.start, in.goal, moves(8));
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p->cost, 2.0);
  EXPECT_EQ(p->moves(), 2);
  in = instance_ok("S.\n.G");
  p = astar(in.grid, in.start, in.goal, moves(8));
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR(p->cost, std::sqrt(2.0), 1e-12);
  // Both corners blocked: no way through at all.
  in = instance_ok("S#\n#G");
  p = astar(in.grid, in.start, in.goal, moves(8));
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.error().message, "unreachable"));
}

TEST(GridnavAstar, CountsOptimalPaths) {
  auto count = [](const std::string& text, int m, int cap) {
    Instance in = instance_ok(text);
    MoveModel model = moves(m);
    return count_optimal_paths(in.grid, in.start, in.goal, model, free_space(in.grid, model), cap);
  };
  // 8 moves, one diagonal and one straight step: either order, two paths.
  EXPECT_EQ(count("S..\n..G", 8, 10), 2);
  // A blocked corner rules out one of them (no corner cutting).
  EXPECT_EQ(count("S..\n#.G", 8, 10), 1);
  EXPECT_EQ(count("S.#\n..G", 8, 10), 1);
  // Straight ahead is unique; 4 moves corner to corner on 3x3 has C(4,2) = 6, capped as asked.
  EXPECT_EQ(count("...\nS.G\n...", 8, 10), 1);
  EXPECT_EQ(count("S..\n...\n..G", 4, 100), 6);
  EXPECT_EQ(count("S..\n...\n..G", 4, 2), 2);
  EXPECT_EQ(count("S#\n#G", 8, 10), 0);  // unreachable
  // The distance field agrees with A* from every benchmark start.
  Grid g = map_ok(read_file("random-32-32-20.map"));
  ScenarioFile f = parse_scen(read_file("random-32-32-20-random-1.scen"), g, "random-32-32-20.map");
  const auto space = free_space(g, moves(8));
  for (size_t i = 0; i < 40; ++i) {
    const Scenario& s = f.scenarios[i * 7];
    auto p = astar(g, s.start, s.goal, moves(8), space);
    ASSERT_TRUE(p.ok());
    EXPECT_NEAR(distances(g, s.start, moves(8), space)[static_cast<size_t>(g.index(s.goal))], p->cost, 1e-9);
    EXPECT_NEAR(distances(g, s.goal, moves(8), space)[static_cast<size_t>(g.index(s.start))], p->cost, 1e-9);
  }
}

TEST(GridnavAstar, TerrainCosts) {
  Instance in = instance_ok("S~G");
  MoveModel m = moves(4);
  EXPECT_DOUBLE_EQ(astar(in.grid, in.start, in.goal, m)->cost, 2.0);  // swamp is plain ground
  m.terrain = true;
  EXPECT_DOUBLE_EQ(astar(in.grid, in.start, in.goal, m)->cost, 1.0 + kSwampCost);  // (1+2)/2 twice
  // A path over swamp is written '*', so the solution keeps the terrain it crosses.
  auto through = astar(in.grid, in.start, in.goal, m);
  ASSERT_TRUE(through.ok());
  const std::string sol = format_instance(mark_path(in, *through));
  EXPECT_EQ(sol, "S*G");
  Instance back = instance_ok(sol);
  EXPECT_EQ(back.grid, in.grid);
  EXPECT_TRUE(back.has_marks());
  // With a dry detour available, the path avoids the swamp when it pays.
  in = instance_ok("S~~~G\n.....");
  auto p = astar(in.grid, in.start, in.goal, m);
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p->cost, 6.0);
}

TEST(GridnavFootprint, InflatesObstaclesAndEdges) {
  Instance in = instance_ok(
      ".......\n"
      ".......\n"
      ".......\n"
      "...#...\n"
      ".......\n"
      ".......\n"
      "S.....G");
  auto space = free_space(in.grid, moves(8, 1));
  auto free_at = [&](int x, int y) { return space[static_cast<size_t>(in.grid.index({x, y}))] != 0; };
  EXPECT_FALSE(free_at(3, 3));
  EXPECT_FALSE(free_at(3, 2));  // orthogonal neighbours are within radius 1
  EXPECT_FALSE(free_at(4, 3));
  EXPECT_TRUE(free_at(4, 4));   // diagonal ones are sqrt(2) away
  EXPECT_FALSE(free_at(0, 3));  // the map edge is a wall
  EXPECT_TRUE(free_at(1, 1));
  auto p = astar(in.grid, in.start, in.goal, moves(8, 1));
  ASSERT_FALSE(p.ok());  // S sits on the edge
  EXPECT_TRUE(contains(p.error().message, "footprint radius 1")) << p.error().message;

  // A 1-cell gap lets a point robot through but not one of radius 1.
  in = instance_ok(
      ".........\n"
      ".S.......\n"
      ".........\n"
      "####.####\n"
      ".........\n"
      ".......G.\n"
      ".........");
  auto point = astar(in.grid, in.start, in.goal, moves(8, 0));
  ASSERT_TRUE(point.ok());
  auto wide = astar(in.grid, in.start, in.goal, moves(8, 1));
  ASSERT_FALSE(wide.ok());
  EXPECT_TRUE(contains(wide.error().message, "unreachable"));
}

// ---- windows -----------------------------------------------------------------------------------

TEST(GridnavWindows, CutsOptimalWindows) {
  Grid g = map_ok(read_file("den101d.map"));
  ScenarioFile f = parse_scen(read_file("den101d.map.scen"), g, "den101d.map");
  WindowResult w = cut_windows(g, f.scenarios, 30, moves(8));
  ASSERT_GT(w.windows.size(), 50u);
  EXPECT_EQ(w.windows.size() + w.skipped.size(), f.scenarios.size());
  bool too_long = false;
  for (const auto& s : w.skipped) too_long |= contains(s.message, "more than the window");
  EXPECT_TRUE(too_long);
  for (size_t i = 0; i < w.windows.size(); ++i) {
    const Instance& win = w.windows[i];
    EXPECT_EQ(win.grid.width, 30);
    EXPECT_EQ(win.grid.height, 30);
    // The text round-trips, and the window's own optimum equals the scenario's optimal length.
    Instance back = instance_ok(format_instance(win));
    EXPECT_EQ(format_instance(back), format_instance(win));
    const Scenario* s = nullptr;
    for (const auto& sc : f.scenarios)
      if (sc.line == w.lines[i]) s = &sc;
    ASSERT_NE(s, nullptr);
    auto p = astar(back.grid, back.start, back.goal, moves(8));
    ASSERT_TRUE(p.ok());
    EXPECT_NEAR(p->cost, s->optimal, 1e-4 * s->optimal) << "line " << s->line;
    Instance puzzle = back;
    puzzle.marks.assign(puzzle.marks.size(), 0);
    auto v = verify(puzzle, back, moves(8));
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->valid) << v->reason;
  }
  // A small map gives windows of its own size.
  Grid small = map_ok(read_file("maze-32-32-2.map"));
  ScenarioFile fs = parse_scen(read_file("maze-32-32-2-random-1.scen"), small, "maze-32-32-2.map");
  WindowResult ws = cut_windows(small, fs.scenarios, 64, moves(8));
  ASSERT_FALSE(ws.windows.empty());
  EXPECT_EQ(ws.windows[0].grid.width, 32);
}

TEST(GridnavWindows, RejectsWindowsThatChangeTheOptimum) {
  // The optimal path (cost 4 + 2 sqrt 2) leaves the row band of S and G; a window that only
  // holds the direct corridor would make the path longer, so it is skipped, not mislabelled.
  Grid g = map_ok(
      "type octile\nheight 5\nwidth 9\nmap\n"
      ".........\n"
      ".@@@@@@@.\n"
      ".@@@@@@@.\n"
      "@@@@@@@@@\n"
      "@@@@@@@@@\n");
  Scenario s;
  s.line = 2;
  s.start = {0, 2};
  s.goal = {8, 2};
  WindowResult w = cut_windows(g, {s}, 9, moves(8));
  EXPECT_EQ(w.windows.size(), 1u);
  w = cut_windows(g, {s}, 3, moves(8));  // 3 wide: the path spans 9 columns
  ASSERT_EQ(w.skipped.size(), 1u);
  EXPECT_TRUE(contains(w.skipped[0].message, "line 2: path spans")) << w.skipped[0].message;
}

// ---- generator ---------------------------------------------------------------------------------

TEST(GridnavGenerator, DeterministicForEveryKind) {
  for (const char* kind : {"obstacles", "rooms", "maze", "warehouse"}) {
    for (int radius : {0, 1}) {
      GenerateOptions o;
      ASSERT_TRUE(parse_kind(kind, o.kind));
      o.model = moves(8, radius);
      o.seed = 42;
      auto a = generate(o), b = generate(o);
      ASSERT_TRUE(a.ok()) << kind << " radius " << radius << ": " << a.error().message;
      ASSERT_TRUE(b.ok());
      EXPECT_EQ(format_instance(a->solution), format_instance(b->solution)) << kind;
      o.seed = 43;
      auto c = generate(o);
      ASSERT_TRUE(c.ok());
      EXPECT_NE(format_instance(a->solution), format_instance(c->solution)) << kind;
      EXPECT_GE(a->path.cost, 15.0) << kind;  // default min_path: max side / 2
      auto v = verify(a->puzzle, a->solution, o.model);
      ASSERT_TRUE(v.ok());
      EXPECT_TRUE(v->valid) << kind << ": " << v->reason;
    }
  }
  MapKind k;
  EXPECT_FALSE(parse_kind("caves", k));
  GenerateOptions bad;
  bad.width = 2;
  EXPECT_FALSE(generate(bad).ok());
  bad = GenerateOptions();
  bad.min_path = 1000;
  bad.max_attempts = 2;
  auto r = generate(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "no start/goal pair")) << r.error().message;
}

TEST(GridnavGenerator, UniquePathKeepsOnlyOneOptimalPath) {
  GenerateOptions o;
  o.width = o.height = 10;
  o.min_path = 6;
  int ambiguous = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    o.seed = seed;
    o.unique_path = false;
    auto any = generate(o);
    ASSERT_TRUE(any.ok()) << any.error().message;
    const auto& p = any->puzzle;
    ambiguous += count_optimal_paths(p.grid, p.start, p.goal, o.model, free_space(p.grid, o.model)) > 1;
    o.unique_path = true;
    auto one = generate(o);
    ASSERT_TRUE(one.ok()) << one.error().message;
    const auto& q = one->puzzle;
    EXPECT_EQ(count_optimal_paths(q.grid, q.start, q.goal, o.model, free_space(q.grid, o.model), 10), 1) << seed;
    auto v = verify(q, one->solution, o.model);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->valid) << seed << ": " << v->reason;
  }
  EXPECT_GT(ambiguous, 10);  // without the option most instances have several (so the test can fail)
}

// ---- augmentation ------------------------------------------------------------------------------

TEST(GridnavAugment, DihedralInversesAndInvariance) {
  GenerateOptions o;
  o.width = 13;
  o.height = 7;  // not square: rotations swap the sides
  o.min_path = 5;
  o.seed = 7;
  auto g = generate(o);
  ASSERT_TRUE(g.ok()) << g.error().message;
  const Instance& sol = g->solution;
  const int side = 16;
  const auto tokens = to_tokens(sol, side, {}, true, false);
  for (int id = 0; id < kDihedralCount; ++id) {
    Instance t = dihedral(sol, id);
    EXPECT_EQ(format_instance(dihedral(t, dihedral_inverse(id))), format_instance(sol)) << id;
    // The transformed marks are still an optimal path of the transformed puzzle.
    Instance puzzle = t;
    puzzle.marks.assign(puzzle.marks.size(), 0);
    auto v = verify(puzzle, t, o.model);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->valid) << id << ": " << v->reason;
    EXPECT_NEAR(v->optimal, g->path.cost, 1e-9);
    // Tokens: the same transform, and the inverse restores the row.
    std::vector<int32_t> fwd(tokens.size()), back(tokens.size());
    dihedral_tokens(tokens.data(), fwd.data(), side, id);
    EXPECT_EQ(fwd, to_tokens(t, side, {}, true, false)) << id;
    dihedral_tokens(fwd.data(), back.data(), side, dihedral_inverse(id));
    EXPECT_EQ(back, tokens) << id;
  }
  EXPECT_EQ(dihedral(sol, 1).grid.width, 7);
}

// ---- verifier ----------------------------------------------------------------------------------

TEST(GridnavVerify, AcceptsOptimalRejectsTheRest) {
  const char* kPuzzle =
      "S....\n"
      ".###.\n"
      ".....\n"
      "....G";
  Instance puzzle = instance_ok(kPuzzle);
  auto v = verify(puzzle, instance_ok("S....\n.###.\n.....\n....G"), moves(8));
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->valid);
  EXPECT_FALSE(v->is_path);
  EXPECT_TRUE(contains(v->reason, "broken path")) << v->reason;

  // Optimal: down the left side and along row 3, one diagonal at an end: 5 + sqrt 2.
  auto best = astar(puzzle.grid, puzzle.start, puzzle.goal, moves(8));
  ASSERT_TRUE(best.ok());
  Instance opt = mark_path(puzzle, *best);
  v = verify(puzzle, opt, moves(8));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid) << v->reason;
  EXPECT_DOUBLE_EQ(v->ratio, 1.0);
  EXPECT_NEAR(v->optimal, 5 + std::sqrt(2.0), 1e-12);

  // Broken: one mark removed.
  Instance broken = opt;
  for (auto& m : broken.marks)
    if (m) {
      m = 0;
      break;
    }
  v = verify(puzzle, broken, moves(8));
  EXPECT_FALSE(v->valid);
  EXPECT_TRUE(contains(v->reason, "do not join")) << v->reason;

  // Colliding: a mark on a blocked cell.
  v = verify(puzzle, instance_ok("So...\n.#o#.\n.....\n....G"), moves(8));
  EXPECT_FALSE(v->valid);
  EXPECT_TRUE(contains(v->reason, "path cell (row 2, column 3) is blocked")) << v->reason;

  // Stray mark far from the path.
  Instance stray = opt;
  stray.marks[static_cast<size_t>(puzzle.grid.index({4, 0}))] = 1;
  v = verify(puzzle, stray, moves(8));
  EXPECT_FALSE(v->valid);
  EXPECT_TRUE(contains(v->reason, "stray mark at (row 1, column 5)")) << v->reason;

  // Suboptimal: along the top and down the right side, cost 7 (the corner at (row 2, column 4)
  // forbids the diagonal): rejected with its ratio, then accepted with a looser bound.
  Instance longer = instance_ok("Soooo\n.###o\n....o\n....G");
  v = verify(puzzle, longer, moves(8));
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->valid);
  EXPECT_TRUE(v->is_path);
  EXPECT_NEAR(v->cost, 7.0, 1e-9);
  EXPECT_NEAR(v->ratio, 7.0 / v->optimal, 1e-12);
  EXPECT_GT(v->ratio, 1.0);
  EXPECT_TRUE(contains(v->reason, "ratio")) << v->reason;
  v = verify(puzzle, longer, moves(8), 1.5);
  EXPECT_TRUE(v->valid) << v->reason;

  // Footprint: the same optimal marks collide for radius 1 only if they touch the walls.
  Instance open = instance_ok(
      ".......\n"
      ".S.....\n"
      ".......\n"
      ".......\n"
      ".....G.\n"
      ".......");
  Instance hugging = instance_ok(
      ".......\n"
      ".Soooo.\n"
      "......o\n"
      "......o\n"
      ".....G.\n"
      ".......");
  v = verify(open, hugging, moves(8, 1));
  EXPECT_FALSE(v->valid);
  EXPECT_TRUE(contains(v->reason, "collides with an obstacle for footprint radius 1")) << v->reason;

  // A changed cell and a moved goal are rejected too.
  v = verify(puzzle, instance_ok("S...#\n.###.\n.....\n....G"), moves(8));
  EXPECT_TRUE(contains(v->reason, "changes the cell at (row 1, column 5)")) << v->reason;
  v = verify(puzzle, instance_ok("S....\n.###.\n.....\n...G."), moves(8));
  EXPECT_TRUE(contains(v->reason, "moves the goal")) << v->reason;
}

// ---- bad input: one test each ------------------------------------------------------------------

TEST(GridnavBadInput, MapHeaderMissingType) {
  auto g = parse_map("height 2\nwidth 2\nmap\n..\n..\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "line 1: expected 'type")) << g.error().message;
}

TEST(GridnavBadInput, MapHeaderWidthBeforeHeight) {
  auto g = parse_map("type octile\nwidth 3\nheight 2\nmap\n...\n...\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "line 2: expected 'height <number>'")) << g.error().message;
}

TEST(GridnavBadInput, MapHeaderBadNumber) {
  auto g = parse_map("type octile\nheight 2\nwidth x3\nmap\n...\n...\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "line 3: width must be a positive integer, got 'x3'")) << g.error().message;
}

TEST(GridnavBadInput, MapRowOfWrongLength) {
  auto g = parse_map("type octile\nheight 3\nwidth 3\nmap\n...\n..\n...\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "line 6: row 1 has 2 characters, the header says width 3"))
      << g.error().message;
}

TEST(GridnavBadInput, MapUnknownCharacter) {
  auto g = parse_map("type octile\nheight 2\nwidth 3\nmap\n...\n.x.\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "line 6: unknown character 'x' at (x 1, y 1)")) << g.error().message;
}

TEST(GridnavBadInput, MapMissingRows) {
  auto g = parse_map("type octile\nheight 3\nwidth 3\nmap\n...\n...\n");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(contains(g.error().message, "map has 2 rows, the header says height 3")) << g.error().message;
}

namespace {

// A 4x3 map and a .scen with one good line before and after the bad one.
const char* kSmallMap = "type octile\nheight 3\nwidth 4\nmap\n....\n.@..\n....\n";

ScenarioFile scen_with(const std::string& bad_line) {
  auto g = parse_map(kSmallMap);
  EXPECT_TRUE(g.ok());
  const std::string good = "0\tsmall.map\t4\t3\t0\t0\t3\t2\t3.82842712\n";
  return parse_scen("version 1\n" + good + bad_line + "\n" + good, g.value(), "maps/small.map");
}

void expect_one_error(const ScenarioFile& f, const std::string& message) {
  EXPECT_EQ(f.scenarios.size(), 2u);  // both good lines kept
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].line, 3);
  EXPECT_TRUE(contains(f.errors[0].message, message)) << f.errors[0].message;
}

}  // namespace

TEST(GridnavBadInput, ScenWrongFieldCount) {
  expect_one_error(scen_with("0\tsmall.map\t4\t3\t0\t0\t3\t2"), "line 3: expected 9 fields");
}

TEST(GridnavBadInput, ScenBadNumber) {
  expect_one_error(scen_with("0\tsmall.map\t4\t3\tzero\t0\t3\t2\t1"), "line 3: start x is not an integer: 'zero'");
}

TEST(GridnavBadInput, ScenStartOutsideMap) {
  expect_one_error(scen_with("0\tsmall.map\t4\t3\t4\t0\t3\t2\t1"), "line 3: start (x 4, y 0) is outside the map");
}

TEST(GridnavBadInput, ScenGoalOnBlockedCell) {
  expect_one_error(scen_with("0\tsmall.map\t4\t3\t0\t0\t1\t1\t1"), "line 3: goal (x 1, y 1) is on a blocked cell");
}

TEST(GridnavBadInput, ScenOtherMap) {
  expect_one_error(scen_with("0\tmaps/other.map\t4\t3\t0\t0\t3\t2\t1"), "line 3: names map 'maps/other.map', not 'small.map'");
}

TEST(GridnavBadInput, ScenOtherMapSize) {
  expect_one_error(scen_with("0\tsmall.map\t3\t4\t0\t0\t2\t2\t1"), "line 3: map size 3x4 differs from the map's 4x3");
}

TEST(GridnavBadInput, ScenMissingVersion) {
  auto g = parse_map(kSmallMap);
  ScenarioFile f = parse_scen("0\tsmall.map\t4\t3\t0\t0\t3\t2\t3.82842712\n", g.value(), "small.map");
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_TRUE(contains(f.errors[0].message, "line 1: expected 'version 1' header"));
  EXPECT_EQ(f.scenarios.size(), 1u);  // the line is still read
}

TEST(GridnavBadInput, InstanceRowOfWrongLength) {
  auto in = parse_instance("S..\n..\n..G");
  ASSERT_FALSE(in.ok());
  EXPECT_TRUE(contains(in.error().message, "row 2 has 2 characters, row 1 has 3")) << in.error().message;
}

TEST(GridnavBadInput, InstanceUnknownCharacter) {
  auto in = parse_instance("S..\n.@.\n..G");
  ASSERT_FALSE(in.ok());
  EXPECT_TRUE(contains(in.error().message, "unknown character '@' at (row 2, column 2)")) << in.error().message;
}

TEST(GridnavBadInput, InstanceStartTwiceOrGoalMissing) {
  auto in = parse_instance("S..\n...\n..S");
  ASSERT_FALSE(in.ok());
  EXPECT_TRUE(contains(in.error().message, "second 'S' at (row 3, column 3), the first is at (row 1, column 1)"))
      << in.error().message;
  in = parse_instance("S..\n...\n...");
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().message, "no goal 'G'");
}

TEST(GridnavBadInput, StartOrGoalBlockedByFootprint) {
  Instance in = instance_ok("S..\n...\n..G");
  auto p = astar(in.grid, in.start, in.goal, moves(8, 1));
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.error().message, "start (x 0, y 0) collides")) << p.error().message;
  p = astar(in.grid, {5, 0}, in.goal, moves(8));
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.error().message, "start (x 5, y 0) is outside the map")) << p.error().message;
}

// ---- rendering ---------------------------------------------------------------------------------

TEST(GridnavRender, TextAnsiSvg) {
  Instance in = instance_ok("So.\n#~G");
  EXPECT_EQ(render_text(in), "So.\n#~G\n");
  const std::string ansi = render_text(in, true);
  EXPECT_TRUE(contains(ansi, "\x1b[43m  "));  // the path cell highlighted
  EXPECT_TRUE(contains(ansi, "\x1b[42mS "));
  const std::string svg = render_svg(in, 10);
  EXPECT_TRUE(contains(svg, "width=\"30\" height=\"20\""));
  EXPECT_TRUE(contains(svg, "#f0a020"));
  EXPECT_TRUE(contains(svg, "</svg>"));
}
