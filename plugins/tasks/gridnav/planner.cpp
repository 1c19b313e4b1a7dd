#include "planner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <queue>
#include <tuple>

namespace hrm::gridnav {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
// Path costs are sums of 1s and sqrt(2)s (times small terrain factors): two different sums
// differ by far more than this, while rounding in long sums stays far below it.
constexpr double kEps = 1e-9;

// Orthogonal moves first: with equal costs the search then prefers them, which keeps paths
// deterministic and free of needless zig-zags.
constexpr int kDx[8] = {0, 1, 0, -1, 1, 1, -1, -1};
constexpr int kDy[8] = {-1, 0, 1, 0, -1, 1, 1, -1};

std::string xy(Cell c) { return "(x " + std::to_string(c.x) + ", y " + std::to_string(c.y) + ")"; }

double terrain_cost(const Grid& g, int i, bool terrain) {
  return terrain && g.cells[static_cast<std::size_t>(i)] == Terrain::kSwamp ? kSwampCost : 1.0;
}

double heuristic(Cell a, Cell b, int moves) {
  const int dx = std::abs(a.x - b.x), dy = std::abs(a.y - b.y);
  if (moves == 4) return dx + dy;
  return std::max(dx, dy) - std::min(dx, dy) + kSqrt2 * std::min(dx, dy);
}

// Calls visit(j, cost) for each legal move from cell index i, in kDx/kDy order, to a cell j on
// the map where the robot may stand (`space`) and, unless `allowed` is empty, that it allows;
// cost includes the terrain factors.
template <class Visit>
void for_each_move(const Grid& g, int i, const MoveModel& model, const std::vector<std::uint8_t>& space,
                   const std::vector<std::uint8_t>& allowed, const Visit& visit) {
  const Cell c = g.cell(i);
  for (int k = 0; k < model.moves; ++k) {
    const Cell nb{c.x + kDx[k], c.y + kDy[k]};
    if (!g.inside(nb)) continue;
    const auto un = static_cast<std::size_t>(g.index(nb));
    if (!space[un] || (!allowed.empty() && !allowed[un])) continue;
    double step = 1.0;
    if (k >= 4) {
      // No corner cutting: both orthogonal cells next to the diagonal must be free for the
      // footprint (not merely allowed: the verifier's marks need not include them).
      const Cell a{nb.x, c.y}, b{c.x, nb.y};
      if (!space[static_cast<std::size_t>(g.index(a))] || !space[static_cast<std::size_t>(g.index(b))]) continue;
      step = kSqrt2;
    }
    const int j = g.index(nb);
    visit(j, step * (terrain_cost(g, i, model.terrain) + terrain_cost(g, j, model.terrain)) / 2);
  }
}

}  // namespace

std::vector<std::uint8_t> free_space(const Grid& g, const MoveModel& model) {
  std::vector<std::uint8_t> space(g.cells.size(), 0);
  const int r = model.radius;
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x) {
      bool ok = g.at({x, y}) != Terrain::kBlocked;
      for (int dy = -r; dy <= r && ok; ++dy)
        for (int dx = -r; dx <= r && ok; ++dx) {
          if (dx * dx + dy * dy > r * r) continue;  // outside the disc
          const Cell n{x + dx, y + dy};
          if (!g.inside(n) || g.at(n) == Terrain::kBlocked) ok = false;
        }
      space[static_cast<std::size_t>(g.index({x, y}))] = ok ? 1 : 0;
    }
  return space;
}

Result<Path> astar(const Grid& g, Cell start, Cell goal, const MoveModel& model) {
  return astar(g, start, goal, model, free_space(g, model));
}

Result<Path> astar(const Grid& g, Cell start, Cell goal, const MoveModel& model,
                   const std::vector<std::uint8_t>& space, const std::vector<std::uint8_t>& allowed) {
  if (model.moves != 4 && model.moves != 8) return Error{"moves must be 4 or 8", -1, -1};
  for (auto [c, what] : {std::pair<Cell, const char*>{start, "start"}, {goal, "goal"}}) {
    if (!g.inside(c)) return Error{std::string(what) + " " + xy(c) + " is outside the map", c.y, c.x};
    if (g.at(c) == Terrain::kBlocked) return Error{std::string(what) + " " + xy(c) + " is on a blocked cell", c.y, c.x};
    if (!space[static_cast<std::size_t>(g.index(c))])
      return Error{std::string(what) + " " + xy(c) + " collides with an obstacle or the map edge for footprint radius " +
                       std::to_string(model.radius),
                   c.y, c.x};
  }
  const std::size_t n = g.cells.size();
  std::vector<double> best(n, std::numeric_limits<double>::infinity());
  std::vector<int> parent(n, -1);
  std::vector<std::uint8_t> closed(n, 0);
  // (f, -g, index): lowest f first; among equal f the deeper node (larger g), then the lower
  // index, so the result never depends on the heap's internals.
  using Entry = std::tuple<double, double, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> open;
  const int s = g.index(start), t = g.index(goal);
  best[static_cast<std::size_t>(s)] = 0;
  open.emplace(heuristic(start, goal, model.moves), -0.0, s);
  Path path;
  while (!open.empty()) {
    // Plain variables, not a structured binding: lambdas cannot capture those before C++20
    // (clang, which the fuzz build uses, refuses it).
    const double neg_g = std::get<1>(open.top());
    const int i = std::get<2>(open.top());
    open.pop();
    const auto ui = static_cast<std::size_t>(i);
    if (closed[ui]) continue;
    closed[ui] = 1;
    ++path.expanded;
    if (i == t) break;
    for_each_move(g, i, model, space, allowed, [&](int j, double cost) {
      const auto uj = static_cast<std::size_t>(j);
      const double ng = -neg_g + cost;
      if (closed[uj] || ng >= best[uj] - kEps) return;
      best[uj] = ng;
      parent[uj] = i;
      open.emplace(ng + heuristic(g.cell(j), goal, model.moves), -ng, j);
    });
  }
  if (!closed[static_cast<std::size_t>(t)])
    return Error{"goal " + xy(goal) + " is unreachable from start " + xy(start), goal.y, goal.x};
  path.cost = best[static_cast<std::size_t>(t)];
  for (int i = t; i != -1; i = parent[static_cast<std::size_t>(i)]) path.cells.push_back(g.cell(i));
  std::reverse(path.cells.begin(), path.cells.end());
  return path;
}

std::vector<double> distances(const Grid& g, Cell source, const MoveModel& model,
                              const std::vector<std::uint8_t>& space) {
  std::vector<double> d(g.cells.size(), std::numeric_limits<double>::infinity());
  if (!g.inside(source) || !space[static_cast<std::size_t>(g.index(source))]) return d;
  using Entry = std::pair<double, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> open;
  d[static_cast<std::size_t>(g.index(source))] = 0;
  open.emplace(0.0, g.index(source));
  while (!open.empty()) {
    const auto [di_, i] = open.top();   // di_ copied below: a lambda cannot capture a binding (C++17)
    const double di = di_;
    open.pop();
    if (di > d[static_cast<std::size_t>(i)]) continue;  // a stale entry
    for_each_move(g, i, model, space, {}, [&](int j, double cost) {
      auto& dj = d[static_cast<std::size_t>(j)];
      if (di + cost < dj - kEps) dj = di + cost, open.emplace(dj, j);
    });
  }
  return d;
}

int count_optimal_paths(const Grid& g, Cell start, Cell goal, const MoveModel& model,
                        const std::vector<std::uint8_t>& space, int cap) {
  const auto from_s = distances(g, start, model, space), to_g = distances(g, goal, model, space);
  const double best = to_g[static_cast<std::size_t>(g.index(start))];
  if (best == std::numeric_limits<double>::infinity()) return 0;
  // Cells on some optimal path, in order of distance from S; paths(j) = sum of paths(i) over the
  // moves i -> j that keep to an optimal path (costs are symmetric, so to_g is also from G).
  std::vector<int> on;
  for (int i = 0; i < static_cast<int>(g.cells.size()); ++i)
    if (std::abs(from_s[static_cast<std::size_t>(i)] + to_g[static_cast<std::size_t>(i)] - best) < kEps) on.push_back(i);
  std::sort(on.begin(), on.end(), [&](int a, int b) { return from_s[static_cast<std::size_t>(a)] < from_s[static_cast<std::size_t>(b)]; });
  std::vector<int> paths(g.cells.size(), 0);
  paths[static_cast<std::size_t>(g.index(start))] = 1;
  for (int i : on)
    for_each_move(g, i, model, space, {}, [&](int j, double cost) {
      const auto ui = static_cast<std::size_t>(i), uj = static_cast<std::size_t>(j);
      if (std::abs(from_s[ui] + cost + to_g[uj] - best) < kEps) paths[uj] = std::min(cap, paths[uj] + paths[ui]);
    });
  return paths[static_cast<std::size_t>(g.index(goal))];
}

Instance mark_path(const Instance& puzzle, const Path& path) {
  Instance out = puzzle;
  out.marks.assign(out.grid.cells.size(), 0);
  for (const Cell& c : path.cells)
    if (c != puzzle.start && c != puzzle.goal) out.marks[static_cast<std::size_t>(out.grid.index(c))] = 1;
  return out;
}

Result<Verdict> verify(const Instance& puzzle, const Instance& answer, const MoveModel& model,
                       double accept_suboptimal) {
  const Grid& g = puzzle.grid;
  const auto space = free_space(g, model);
  auto best = astar(g, puzzle.start, puzzle.goal, model, space);
  if (!best) return best.error();
  Verdict v;
  v.optimal = best->cost;
  auto reject = [&v](std::string why) {
    v.reason = std::move(why);
    return v;
  };
  if (answer.grid.width != g.width || answer.grid.height != g.height)
    return reject("answer is " + std::to_string(answer.grid.width) + "x" + std::to_string(answer.grid.height) +
                  ", the puzzle " + std::to_string(g.width) + "x" + std::to_string(g.height));
  if (answer.start != puzzle.start) return reject("answer moves the start to " + position(answer.start));
  if (answer.goal != puzzle.goal) return reject("answer moves the goal to " + position(answer.goal));
  std::vector<std::uint8_t> allowed(g.cells.size(), 0);
  int marked = 0;
  for (int i = 0; i < static_cast<int>(g.cells.size()); ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const Cell c = g.cell(i);
    const bool mark = !answer.marks.empty() && answer.marks[ui];
    // A mark may only replace free ground; anything else must be as in the puzzle.
    if (!mark && answer.grid.cells[ui] != g.cells[ui]) return reject("answer changes the cell at " + position(c));
    if (!mark) continue;
    if (g.cells[ui] == Terrain::kBlocked) return reject("path cell " + position(c) + " is blocked");
    if (!space[ui])
      return reject("path cell " + position(c) + " collides with an obstacle for footprint radius " +
                    std::to_string(model.radius));
    allowed[ui] = 1;
    ++marked;
  }
  allowed[static_cast<std::size_t>(g.index(puzzle.start))] = 1;
  allowed[static_cast<std::size_t>(g.index(puzzle.goal))] = 1;
  auto walk = astar(g, puzzle.start, puzzle.goal, model, space, allowed);
  if (!walk) return reject("the marked cells do not join start and goal (broken path)");
  if (walk->moves() - 1 != marked) {
    std::vector<std::uint8_t> on(g.cells.size(), 0);
    for (const Cell& c : walk->cells) on[static_cast<std::size_t>(g.index(c))] = 1;
    for (int i = 0; i < static_cast<int>(g.cells.size()); ++i)
      if (allowed[static_cast<std::size_t>(i)] && !on[static_cast<std::size_t>(i)])
        return reject("stray mark at " + position(g.cell(i)) + ": not on the path from S to G");
  }
  v.is_path = true;
  v.cost = walk->cost;
  v.ratio = v.optimal > 0 ? v.cost / v.optimal : 1.0;
  if (v.ratio > accept_suboptimal * (1 + kEps))
    return reject("path costs " + std::to_string(v.cost) + ", optimal is " + std::to_string(v.optimal) +
                  " (ratio " + std::to_string(v.ratio) + ")");
  v.valid = true;
  return v;
}

}  // namespace hrm::gridnav
