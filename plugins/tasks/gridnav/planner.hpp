// The robot model, the exact planner (A*) and the verifier of marked paths.
//
// Moves: 4-connected (cost 1) or 8-connected (orthogonal 1, diagonal sqrt 2, the MovingAI
// convention). A diagonal move never cuts a corner: both orthogonal neighbours it passes
// must be free, as in the MovingAI/HOG2 octile benchmarks whose optimal lengths A* matches.
//
// Footprint: a disc of `radius` cells around the robot's centre cell. The centre may stand on
// a cell only if no blocked cell, and no cell outside the map, lies within Euclidean distance
// radius (cell centres). So obstacles are inflated and the map edge acts as a wall.
//
// Terrain costs (optional): a move costs step * (cost(from) + cost(to)) / 2 with cost 1 for
// free ground and kSwampCost for swamp. The average keeps costs symmetric, so a reversed or
// mirrored path costs the same. Without terrain costs swamp is plain free ground.
#pragma once

#include <cstdint>
#include <vector>

#include "grid.hpp"

namespace hrm::gridnav {

struct MoveModel {
  int moves = 8;       // 4 or 8
  int radius = 0;      // footprint radius in cells, >= 0
  bool terrain = false;
};

// 1 where the robot's centre may stand: not blocked, and nothing blocked (or off the map)
// within the footprint. width*height entries.
std::vector<std::uint8_t> free_space(const Grid& grid, const MoveModel& model);

struct Path {
  double cost = 0;           // sum of move costs
  std::vector<Cell> cells;   // start .. goal
  std::uint64_t expanded = 0;  // A* nodes expanded (the difficulty rating)
  int moves() const { return cells.empty() ? 0 : static_cast<int>(cells.size()) - 1; }
};

// A* from start to goal (octile heuristic for 8 moves, Manhattan for 4; admissible since
// every step costs at least its length). `space` is free_space(grid, model) (pass it when
// planning many times on one grid); `allowed`, when not empty, further restricts the cells
// the path may use (the verifier passes the marked cells). Errors name the cell: start/goal
// outside the map, blocked, colliding with the footprint, or the goal unreachable.
Result<Path> astar(const Grid& grid, Cell start, Cell goal, const MoveModel& model,
                   const std::vector<std::uint8_t>& space, const std::vector<std::uint8_t>& allowed = {});
Result<Path> astar(const Grid& grid, Cell start, Cell goal, const MoveModel& model);

// Cheapest cost from `source` to every cell (Dijkstra; infinity where unreachable or where the
// robot may not stand). Costs are symmetric, so this is also every cell's cost *to* `source`.
std::vector<double> distances(const Grid& grid, Cell source, const MoveModel& model,
                              const std::vector<std::uint8_t>& space);

// How many distinct optimal paths join start and goal, counted up to `cap` (cap 2 asks "is the
// optimal path unique?"); 0 when the goal is unreachable. With 8 moves open ground has many:
// any order of the diagonal and orthogonal steps costs the same.
int count_optimal_paths(const Grid& grid, Cell start, Cell goal, const MoveModel& model,
                        const std::vector<std::uint8_t>& space, int cap = 2);

// `puzzle` with the interior cells of `path` marked (start and goal keep their letters).
Instance mark_path(const Instance& puzzle, const Path& path);

struct Verdict {
  bool valid = false;      // a collision-free path joining S and G, within accept_suboptimal
  bool is_path = false;    // the marks form a connected, collision-free S-G path (maybe suboptimal)
  double cost = 0;         // cost of the marked path (cheapest walk over the marked cells)
  double optimal = 0;      // A*'s cost
  double ratio = 0;        // cost / optimal (1 = optimal); 0 when !is_path
  std::string reason;      // why it was rejected; "" when valid
};

// Checks `answer` against `puzzle` (see docs/gridnav.md): same grid, S and G; marks only on
// free cells outside the inflated obstacles; the marked cells (with S and G) connect S to G
// under the move model, and every mark lies on the cheapest such walk (no stray marks); its cost
// / A*'s is at most accept_suboptimal. A rejected answer is a Verdict; an error is returned
// only for a puzzle without a solution.
Result<Verdict> verify(const Instance& puzzle, const Instance& answer, const MoveModel& model,
                       double accept_suboptimal = 1.0);

}  // namespace hrm::gridnav
