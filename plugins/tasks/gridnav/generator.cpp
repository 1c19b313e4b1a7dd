#include "generator.hpp"

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "common/random.hpp"

namespace hrm::gridnav {

using hrm::task::pick;

namespace {

using Rng = std::mt19937_64;

// Uniform double in [0, 1) from the top 53 bits: the same on every standard library.
double unit(Rng& rng) { return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0); }

void fill_rect(Grid& g, int x0, int y0, int w, int h, Terrain t) {
  for (int y = y0; y < y0 + h; ++y)
    for (int x = x0; x < x0 + w; ++x)
      if (g.inside({x, y})) g.at({x, y}) = t;
}

void clutter(Grid& g, double density, Rng& rng) {
  for (auto& c : g.cells)
    if (c == Terrain::kFree && unit(rng) < density) c = Terrain::kBlocked;
}

// Rooms of side `room` separated by 1-cell walls; each wall segment between two rooms gets a
// door `door` cells wide at a random offset.
Grid make_rooms(int w, int h, int room, int door, double density, Rng& rng) {
  Grid g(w, h, Terrain::kFree);
  const int pitch = room + 1;
  for (int y = room; y < h; y += pitch) fill_rect(g, 0, y, w, 1, Terrain::kBlocked);
  for (int x = room; x < w; x += pitch) fill_rect(g, x, 0, 1, h, Terrain::kBlocked);
  const int d = std::min(door, room);
  for (int ry = 0; ry * pitch < h; ++ry)
    for (int rx = 0; rx * pitch < w; ++rx) {
      const int x0 = rx * pitch, y0 = ry * pitch;
      // door in the wall to the right of this room, and in the wall below it
      if (x0 + room < w) fill_rect(g, x0 + room, y0 + static_cast<int>(pick(rng, static_cast<std::size_t>(room - d + 1))), 1, d, Terrain::kFree);
      if (y0 + room < h) fill_rect(g, x0 + static_cast<int>(pick(rng, static_cast<std::size_t>(room - d + 1))), y0 + room, d, 1, Terrain::kFree);
    }
  clutter(g, density, rng);
  return g;
}

// Perfect maze on a lattice of c x c cells with 1-cell walls (randomized DFS), then loops.
Grid make_maze(int w, int h, int c, double loops, Rng& rng) {
  Grid g(w, h, Terrain::kBlocked);
  const int pitch = c + 1, cols = (w + 1) / pitch, rows = (h + 1) / pitch;
  if (cols < 1 || rows < 1) return g;
  auto open_cell = [&](int i, int j) { fill_rect(g, j * pitch, i * pitch, c, c, Terrain::kFree); };
  // Opens the wall between lattice cell (i, j) and its right (or else lower) neighbour.
  auto open_wall = [&](int i, int j, bool right) {
    if (right) fill_rect(g, j * pitch + c, i * pitch, 1, c, Terrain::kFree);
    else fill_rect(g, j * pitch, i * pitch + c, c, 1, Terrain::kFree);
  };
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(rows * cols), 0);
  std::vector<std::pair<int, int>> stack{{static_cast<int>(pick(rng, rows)), static_cast<int>(pick(rng, cols))}};
  seen[static_cast<std::size_t>(stack[0].first * cols + stack[0].second)] = 1;
  open_cell(stack[0].first, stack[0].second);
  while (!stack.empty()) {
    auto [i, j] = stack.back();
    std::vector<std::pair<int, int>> next;
    for (auto [di, dj] : {std::pair{-1, 0}, {1, 0}, {0, -1}, {0, 1}}) {
      const int ni = i + di, nj = j + dj;
      if (ni >= 0 && nj >= 0 && ni < rows && nj < cols && !seen[static_cast<std::size_t>(ni * cols + nj)])
        next.emplace_back(ni, nj);
    }
    if (next.empty()) {
      stack.pop_back();
      continue;
    }
    auto [ni, nj] = next[pick(rng, next.size())];
    seen[static_cast<std::size_t>(ni * cols + nj)] = 1;
    open_cell(ni, nj);
    open_wall(std::min(i, ni), std::min(j, nj), nj != j);
    stack.emplace_back(ni, nj);
  }
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      if (j + 1 < cols && unit(rng) < loops) open_wall(i, j, true);
      if (i + 1 < rows && unit(rng) < loops) open_wall(i, j, false);
    }
  return g;
}

// Horizontal shelves (1 x len) in columns separated by cross aisles, aisles `c` wide around them.
Grid make_warehouse(int w, int h, int len, int c, double density, Rng& rng) {
  Grid g(w, h, Terrain::kFree);
  for (int y = c; y + 1 + c <= h; y += 1 + c)
    for (int x = c; x + len + c <= w; x += len + c)
      if (unit(rng) >= 0.1) fill_rect(g, x, y, len, 1, Terrain::kBlocked);
  clutter(g, density, rng);
  return g;
}

}  // namespace

bool parse_kind(const std::string& name, MapKind& kind) {
  if (name == "obstacles") kind = MapKind::kObstacles;
  else if (name == "rooms") kind = MapKind::kRooms;
  else if (name == "maze") kind = MapKind::kMaze;
  else if (name == "warehouse") kind = MapKind::kWarehouse;
  else return false;
  return true;
}

Result<Generated> generate(const GenerateOptions& o) {
  if (o.width < 4 || o.height < 4 || o.width > 1000 || o.height > 1000)
    return Error{"size must be 4..1000, got " + std::to_string(o.width) + "x" + std::to_string(o.height), -1, -1};
  if (o.density != -1 && (o.density < 0 || o.density > 0.9))
    return Error{"density must be 0..0.9, got " + std::to_string(o.density), -1, -1};
  if (o.room < 2 || o.room > 100) return Error{"room must be 2..100, got " + std::to_string(o.room), -1, -1};
  if (o.max_attempts < 1) return Error{"max_attempts must be positive", -1, -1};
  if (o.model.radius < 0) return Error{"radius must be >= 0", -1, -1};
  // Random obstacles block their whole footprint disc once inflated, so the default densities
  // of random blocking shrink with its area; the maze's loop fraction does not.
  int disc = 0;
  for (int dy = -o.model.radius; dy <= o.model.radius; ++dy)
    for (int dx = -o.model.radius; dx <= o.model.radius; ++dx) disc += dx * dx + dy * dy <= o.model.radius * o.model.radius;
  static const double kDefaultDensity[] = {0.25, 0.05, 0.1, 0.0};
  const double density = o.density >= 0                ? o.density
                         : o.kind == MapKind::kMaze ? kDefaultDensity[static_cast<int>(o.kind)]
                                                       : kDefaultDensity[static_cast<int>(o.kind)] / disc;
  const double min_path = o.min_path >= 0 ? o.min_path : std::max(o.width, o.height) / 2.0;
  const int corridor = 2 * o.model.radius + 1;

  Rng rng(o.seed);
  for (int attempt = 1; attempt <= o.max_attempts; ++attempt) {
    Grid g;
    switch (o.kind) {
      case MapKind::kObstacles: g = Grid(o.width, o.height, Terrain::kFree), clutter(g, density, rng); break;
      case MapKind::kRooms: g = make_rooms(o.width, o.height, o.room, corridor, density, rng); break;
      case MapKind::kMaze: g = make_maze(o.width, o.height, corridor, density, rng); break;
      case MapKind::kWarehouse: g = make_warehouse(o.width, o.height, o.room, corridor, density, rng); break;
    }
    const auto space = free_space(g, o.model);
    std::vector<int> stand;
    for (int i = 0; i < static_cast<int>(space.size()); ++i)
      if (space[static_cast<std::size_t>(i)]) stand.push_back(i);
    if (stand.size() < 2) continue;
    for (int draw = 0; draw < 20; ++draw) {
      const Cell s = g.cell(stand[pick(rng, stand.size())]), t = g.cell(stand[pick(rng, stand.size())]);
      if (s == t) continue;
      auto path = astar(g, s, t, o.model, space);
      if (!path || path->cost < min_path) continue;
      if (o.unique_path && count_optimal_paths(g, s, t, o.model, space) != 1) continue;
      Generated out;
      out.puzzle.grid = g;
      out.puzzle.start = s;
      out.puzzle.goal = t;
      out.puzzle.marks.assign(g.cells.size(), 0);
      out.solution = mark_path(out.puzzle, *path);
      out.path = std::move(path).value();
      out.attempts = attempt;
      return out;
    }
  }
  return Error{"no start/goal pair with optimal cost >= " + std::to_string(min_path) +
                   (o.unique_path ? " and a unique optimal path" : "") + " in " +
                   std::to_string(o.max_attempts) + " maps (lower min_path or density)",
               -1, -1};
}

}  // namespace hrm::gridnav
