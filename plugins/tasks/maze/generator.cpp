#include "generator.hpp"

#include <algorithm>
#include <random>
#include <vector>

#include "common/random.hpp"

namespace hrm::maze {

using hrm::task::pick;
using hrm::task::portable_shuffle;

namespace {

int pick_int(std::mt19937_64& rng, std::size_t k) { return static_cast<int>(pick(rng, k)); }

// Lattice cells are the odd (row, column) positions inside the frame; neighbouring
// lattice cells are two apart and the wall between them is the cell in the middle.
struct Lattice {
  int n;
  int side;  // lattice cells per row/column
  int cell(int i, int j) const { return (2 * i + 1) * n + (2 * j + 1); }
};

void carve_dfs(Maze& m, const Lattice& L, std::mt19937_64& rng) {
  std::vector<char> seen(static_cast<std::size_t>(L.side * L.side), 0);
  std::vector<int> stack{pick_int(rng, seen.size())};
  seen[static_cast<std::size_t>(stack.back())] = 1;
  m.cells[static_cast<std::size_t>(L.cell(stack.back() / L.side, stack.back() % L.side))] = kOpen;
  while (!stack.empty()) {
    int v = stack.back(), i = v / L.side, j = v % L.side;
    int options[4], k = 0;
    if (i > 0 && !seen[static_cast<std::size_t>(v - L.side)]) options[k++] = v - L.side;
    if (i + 1 < L.side && !seen[static_cast<std::size_t>(v + L.side)]) options[k++] = v + L.side;
    if (j > 0 && !seen[static_cast<std::size_t>(v - 1)]) options[k++] = v - 1;
    if (j + 1 < L.side && !seen[static_cast<std::size_t>(v + 1)]) options[k++] = v + 1;
    if (k == 0) {
      stack.pop_back();
      continue;
    }
    int w = options[pick_int(rng, static_cast<std::size_t>(k))];
    int a = L.cell(i, j), b = L.cell(w / L.side, w % L.side);
    m.cells[static_cast<std::size_t>((a + b) / 2)] = kOpen;  // the wall between them
    m.cells[static_cast<std::size_t>(b)] = kOpen;
    seen[static_cast<std::size_t>(w)] = 1;
    stack.push_back(w);
  }
}

void carve_prim(Maze& m, const Lattice& L, std::mt19937_64& rng) {
  std::vector<char> in(static_cast<std::size_t>(L.side * L.side), 0);
  std::vector<std::pair<int, int>> frontier;  // (tree cell, outside neighbour)
  auto add = [&](int v) {
    in[static_cast<std::size_t>(v)] = 1;
    m.cells[static_cast<std::size_t>(L.cell(v / L.side, v % L.side))] = kOpen;
    int i = v / L.side, j = v % L.side;
    if (i > 0) frontier.emplace_back(v, v - L.side);
    if (i + 1 < L.side) frontier.emplace_back(v, v + L.side);
    if (j > 0) frontier.emplace_back(v, v - 1);
    if (j + 1 < L.side) frontier.emplace_back(v, v + 1);
  };
  add(pick_int(rng, in.size()));
  while (!frontier.empty()) {
    std::size_t k = static_cast<std::size_t>(pick_int(rng, frontier.size()));
    auto [v, w] = frontier[k];
    frontier[k] = frontier.back();
    frontier.pop_back();
    if (in[static_cast<std::size_t>(w)]) continue;
    int a = L.cell(v / L.side, v % L.side), b = L.cell(w / L.side, w % L.side);
    m.cells[static_cast<std::size_t>((a + b) / 2)] = kOpen;
    add(w);
  }
}

// Walls with corridor on two opposite sides: removing one joins two corridors.
void add_loops(Maze& m, double fraction, std::mt19937_64& rng) {
  std::vector<int> candidates;
  for (int r = 1; r + 1 < m.n; ++r)
    for (int c = 1; c + 1 < m.n; ++c) {
      if (m.at(r, c) != kWall) continue;
      bool horizontal = m.at(r, c - 1) != kWall && m.at(r, c + 1) != kWall;
      bool vertical = m.at(r - 1, c) != kWall && m.at(r + 1, c) != kWall;
      if (horizontal != vertical) candidates.push_back(r * m.n + c);  // both = a pillar gap, skip
    }
  portable_shuffle(candidates.begin(), candidates.end(), rng);
  auto k = static_cast<std::size_t>(fraction * static_cast<double>(candidates.size()));
  for (std::size_t i = 0; i < k && i < candidates.size(); ++i) m.cells[static_cast<std::size_t>(candidates[i])] = kOpen;
}

}  // namespace

Result<Generated> generate(const GenerateOptions& o) {
  if (o.n < 5 || o.n > kMaxSize) return Error{"maze size " + std::to_string(o.n) + " out of range 5..30"};
  if (o.loop_fraction < 0 || o.loop_fraction > 1) return Error{"loop_fraction must be in [0, 1]"};
  const int min_len = o.min_path_length >= 0 ? o.min_path_length : 3 * o.n;
  std::mt19937_64 rng(o.seed);
  const Lattice L{o.n, (o.n - 1) / 2};
  int longest = 0;
  for (int attempt = 1; attempt <= o.max_attempts; ++attempt) {
    Maze m(o.n, kWall);
    if (o.carver == Carver::kDfs)
      carve_dfs(m, L, rng);
    else
      carve_prim(m, L, rng);
    add_loops(m, o.loop_fraction, rng);

    std::vector<int> open;
    for (int i = 0; i < o.n * o.n; ++i)
      if (m.cells[static_cast<std::size_t>(i)] == kOpen) open.push_back(i);
    // S: a cell farthest from a random open cell (the usual double-sweep trick, so S
    // sits at one end of a long route). G: a random cell far enough from S.
    std::vector<int> dist = distances(m, open[static_cast<std::size_t>(pick_int(rng, open.size()))]);
    int s = open[0];
    for (int c : open)
      if (dist[static_cast<std::size_t>(c)] > dist[static_cast<std::size_t>(s)]) s = c;
    m.cells[static_cast<std::size_t>(s)] = kStart;
    dist = distances(m, s);
    std::vector<int> far;
    for (int c : open) {
      int d = dist[static_cast<std::size_t>(c)];
      longest = std::max(longest, d);
      if (c != s && d >= min_len) far.push_back(c);
    }
    if (far.empty()) continue;
    int g = far[static_cast<std::size_t>(pick_int(rng, far.size()))];
    m.cells[static_cast<std::size_t>(g)] = kGoal;
    auto info = shortest_path(m);
    if (!info) continue;  // cannot happen: g was reachable
    if (o.unique_path && !info->unique()) continue;
    return Generated{m, mark_path(m, info->path), info.value(), attempt};
  }
  return Error{"no maze with a shortest path of >= " + std::to_string(min_len) + " moves" +
               (o.unique_path ? " (unique)" : "") + " after " + std::to_string(o.max_attempts) +
               " attempts (longest seen: " + std::to_string(longest) + ")"};
}

}  // namespace hrm::maze
