// Seeded generator of unique-solution Sudoku puzzles, for every supported size.
//
// Method: draw a random complete grid (randomised search on the empty grid), then
// visit the cells in random order and blank each one if the puzzle keeps a unique
// solution, until `target_givens` remain. The result is accepted if its difficulty
// (see solver.hpp: guesses of a full uniqueness search) lies in
// [min_difficulty, max_difficulty]; otherwise a new attempt is made.
// Everything comes from one std::mt19937_64 seeded with `seed`, so the same options
// always produce the same puzzle.
#pragma once

#include <cstdint>
#include <limits>
#include <random>

#include "grid.hpp"
#include "common/result.hpp"

namespace hrm::sudoku {

struct GenerateOptions {
  Shape shape;                 // default 9x9
  int target_givens = 26;      // givens left in the puzzle (see default_givens)
  std::uint64_t min_difficulty = 0;
  std::uint64_t max_difficulty = std::numeric_limits<std::uint64_t>::max();
  int max_attempts = 200;      // complete grids tried before giving up
  std::uint64_t seed = 0;

  // A givens count that digging reaches quickly for each size (4x4: 6, 6x6: 14,
  // 9x9: 26, 16x16: 130); fewer givens take more attempts.
  static int default_givens(const Shape& shape);
};

struct Generated {
  Grid puzzle;
  Grid solution;
  std::uint64_t difficulty = 0;
  int attempts = 0;            // grids drawn until one fitted
};

// Fails (with the reason) if no puzzle fitting the options was found within
// max_attempts, e.g. when target_givens is below what digging can reach.
Result<Generated> generate(const GenerateOptions& options);

// A random complete valid grid (search with shuffled candidate order; random but
// not uniform over all grids).
Grid random_solution(Shape shape, std::mt19937_64& rng);

}  // namespace hrm::sudoku
