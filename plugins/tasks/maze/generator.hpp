// Seeded generator of hard mazes in the spirit of Maze-Hard.
//
// 1. Carve a perfect maze (a spanning tree) on the lattice of odd (row, column)
//    cells with randomized depth-first search (long winding corridors) or randomized
//    Prim (many short dead ends).
// 2. Knock out a fraction of the remaining inner walls that separate two corridor
//    cells, which creates loops: the shortest path is no longer the only path.
// 3. Place S at a random open cell and G at a random open cell whose BFS distance
//    from S is at least min_path_length; otherwise start a new attempt.
// One std::mt19937_64 seeded with `seed` drives everything: same options, same maze.
#pragma once

#include <cstdint>

#include "grid.hpp"
#include "solver.hpp"

namespace hrm::maze {

enum class Carver { kDfs, kPrim };

struct GenerateOptions {
  int n = 30;                  // side, 5..30 (the outer frame stays wall)
  Carver carver = Carver::kDfs;
  double loop_fraction = 0.05; // share of removable inner walls knocked out
  int min_path_length = -1;    // moves from S to G; -1 = 3*n (90 for 30x30)
  bool unique_path = false;    // also require a single shortest path
  int max_attempts = 100;
  std::uint64_t seed = 0;
};

struct Generated {
  Maze puzzle;    // no 'o' cells
  Maze solution;  // puzzle with one shortest path marked
  PathInfo path;
  int attempts = 0;
};

Result<Generated> generate(const GenerateOptions& options);

}  // namespace hrm::maze
