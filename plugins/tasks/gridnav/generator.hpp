// Seeded random grids with a start, a goal and an optimal path.
//
// Kinds (corridors, doors and aisles are 2*radius+1 cells wide, so the robot fits):
//   obstacles  every cell blocked with probability `density` (default 0.25);
//   rooms      a lattice of square rooms (`room` cells wide) with one door per wall between two
//              rooms, plus clutter: cells blocked with probability `density` (default 0.05);
//   maze       a perfect maze carved by randomized depth-first search, then each remaining wall
//              between two corridors knocked out with probability `density` (default 0.1: loops);
//   warehouse  rows of 1-cell-thick shelves (`room` cells long) between aisles, each shelf left
//              out with probability 0.1, plus clutter with probability `density` (default 0).
// With a footprint, the default densities of random blocking (not the maze's loops) are divided
// by the number of cells in the footprint disc (5 for radius 1), since each obstacle then blocks
// that many cells. Then S and G are drawn among the cells the robot may stand on until A*'s cost is at least
// min_path (and, with unique_path, until exactly one optimal path joins them); a map that gives no
// such pair in 20 draws is replaced, up to max_attempts maps.
// One std::mt19937_64 seeded with `seed` drives everything: same options, same instance.
#pragma once

#include <cstdint>
#include <string>

#include "grid.hpp"
#include "planner.hpp"

namespace hrm::gridnav {

enum class MapKind { kObstacles, kRooms, kMaze, kWarehouse };

struct GenerateOptions {
  MapKind kind = MapKind::kObstacles;
  int width = 30, height = 30;  // 4..1000 each
  double density = -1;          // -1 = the kind's default (above); else 0..0.9
  int room = 6;                 // rooms: room side; warehouse: shelf length (2..100)
  double min_path = -1;         // -1 = max(width, height) / 2
  bool unique_path = false;     // also require a single optimal path (then the label is the only answer)
  int max_attempts = 100;
  MoveModel model;
  std::uint64_t seed = 0;
};

struct Generated {
  Instance puzzle;    // no marks
  Instance solution;  // puzzle with the optimal path marked
  Path path;
  int attempts = 0;   // maps drawn
};

Result<Generated> generate(const GenerateOptions& options);

// "obstacles", "rooms", "maze", "warehouse"; false for anything else.
bool parse_kind(const std::string& name, MapKind& kind);

}  // namespace hrm::gridnav
