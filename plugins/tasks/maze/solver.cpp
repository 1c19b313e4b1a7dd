#include "solver.hpp"

#include <algorithm>

namespace hrm::maze {
namespace {

bool passable(char c) { return c != kWall; }

// BFS distances from `from` over cells where `ok(cell)` holds; -1 = unreachable.
template <class Ok>
std::vector<int> bfs(const Maze& m, int from, Ok ok) {
  std::vector<int> dist(m.cells.size(), -1);
  std::vector<int> queue{from};
  dist[static_cast<std::size_t>(from)] = 0;
  for (std::size_t head = 0; head < queue.size(); ++head) {
    int cell = queue[head], r = cell / m.n, c = cell % m.n;
    const int next[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
    for (const auto& rc : next) {
      if (rc[0] < 0 || rc[0] >= m.n || rc[1] < 0 || rc[1] >= m.n) continue;
      int nb = rc[0] * m.n + rc[1];
      if (dist[static_cast<std::size_t>(nb)] >= 0 || !ok(nb)) continue;
      dist[static_cast<std::size_t>(nb)] = dist[static_cast<std::size_t>(cell)] + 1;
      queue.push_back(nb);
    }
  }
  return dist;
}

// The 4 neighbours of `cell` inside the grid.
std::vector<int> neighbours(const Maze& m, int cell) {
  int r = cell / m.n, c = cell % m.n;
  std::vector<int> out;
  if (r > 0) out.push_back(cell - m.n);
  if (r + 1 < m.n) out.push_back(cell + m.n);
  if (c > 0) out.push_back(cell - 1);
  if (c + 1 < m.n) out.push_back(cell + 1);
  return out;
}

}  // namespace

std::vector<int> distances(const Maze& m, int from) {
  return bfs(m, from, [&m](int cell) { return passable(m.cells[static_cast<std::size_t>(cell)]); });
}

Result<PathInfo> shortest_path(const Maze& m, std::uint64_t count_cap) {
  if (auto st = check_structure(m); !st) return st.error();
  const int s = m.find(kStart), g = m.find(kGoal);
  auto dist = distances(m, s);
  if (dist[static_cast<std::size_t>(g)] < 0)
    return Error{"goal 'G' at " + position(m.n, g) + " is unreachable from start 'S' at " + position(m.n, s), g / m.n,
                 g % m.n};

  // Count shortest paths: process cells by increasing distance; ways(v) = sum of
  // ways(u) over neighbours u one step closer. Saturates at count_cap.
  std::vector<int> order(m.cells.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  order.erase(std::remove_if(order.begin(), order.end(), [&](int c) { return dist[static_cast<std::size_t>(c)] < 0; }),
              order.end());
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return dist[static_cast<std::size_t>(a)] < dist[static_cast<std::size_t>(b)]; });
  std::vector<std::uint64_t> ways(m.cells.size(), 0);
  ways[static_cast<std::size_t>(s)] = 1;
  for (int cell : order) {
    if (cell == s) continue;
    std::uint64_t w = 0;
    for (int nb : neighbours(m, cell))
      if (dist[static_cast<std::size_t>(nb)] == dist[static_cast<std::size_t>(cell)] - 1)
        w = std::min(count_cap, w + ways[static_cast<std::size_t>(nb)]);
    ways[static_cast<std::size_t>(cell)] = w;
  }

  PathInfo info;
  info.length = dist[static_cast<std::size_t>(g)];
  info.shortest_paths = ways[static_cast<std::size_t>(g)];
  // Walk back from G, always to the first neighbour (up, down, left, right) that is
  // one step closer, so the chosen path is deterministic.
  for (int cell = g;;) {
    info.path.push_back(cell);
    if (cell == s) break;
    for (int nb : neighbours(m, cell))
      if (dist[static_cast<std::size_t>(nb)] == dist[static_cast<std::size_t>(cell)] - 1) {
        cell = nb;
        break;
      }
  }
  std::reverse(info.path.begin(), info.path.end());
  return info;
}

Maze mark_path(const Maze& m, const std::vector<int>& path) {
  Maze out = m;
  for (std::size_t i = 1; i + 1 < path.size(); ++i) out.cells[static_cast<std::size_t>(path[i])] = kPath;
  return out;
}

Result<Maze> solve(const Maze& puzzle) {
  auto info = shortest_path(puzzle);
  if (!info) return info.error();
  return mark_path(puzzle, info->path);
}

Status verify(const Maze& puzzle, const Maze& answer) {
  if (answer.n != puzzle.n)
    return Error{"size mismatch: answer is " + std::to_string(answer.n) + "x" + std::to_string(answer.n) +
                 ", puzzle is " + std::to_string(puzzle.n) + "x" + std::to_string(puzzle.n)};
  auto best = shortest_path(puzzle);
  if (!best) return best.error();
  const int n = puzzle.n;
  int marked = 0;
  for (int i = 0; i < n * n; ++i) {
    char p = puzzle.cells[static_cast<std::size_t>(i)], a = answer.cells[static_cast<std::size_t>(i)];
    if (a == kPath) {
      if (p != kOpen && p != kPath)
        return Error{std::string("path crosses a '") + p + "' cell at " + position(n, i), i / n, i % n};
      ++marked;
    } else if (a != p) {
      return Error{std::string("cell changed from '") + p + "' to '" + a + "' at " + position(n, i), i / n, i % n};
    }
  }
  // If G is reachable from S through 'o' cells and exactly length-1 cells are marked,
  // the marked cells are exactly one shortest path (any S-G route uses >= length-1).
  const int s = puzzle.find(kStart), g = puzzle.find(kGoal);
  auto dist = bfs(answer, s, [&answer](int cell) {
    char c = answer.cells[static_cast<std::size_t>(cell)];
    return c == kPath || c == kGoal;
  });
  if (dist[static_cast<std::size_t>(g)] < 0)
    return Error{"marked path does not connect start 'S' at " + position(n, s) + " to goal 'G' at " + position(n, g)};
  if (marked != best->length - 1)
    return Error{"marked path has " + std::to_string(marked) + " cells, a shortest path has " +
                 std::to_string(best->length - 1)};
  return {};
}

}  // namespace hrm::maze
