#include "generator.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "common/random.hpp"
#include "solver.hpp"

namespace hrm::sudoku {

using hrm::task::portable_shuffle;

namespace {

// Uniqueness checks during digging get a node budget: a check that blows up (rare,
// large grids with few givens) is treated as "not unique" and the cell is kept.
constexpr std::uint64_t kCheckNodeBudget = 200000;

bool has_unique_solution(const Grid& g) {
  SolveOptions opt;
  opt.limit = 2;
  opt.max_nodes = kCheckNodeBudget;
  SolveResult r = solve(g, opt);
  return !r.aborted && r.solutions == 1;
}

}  // namespace

int GenerateOptions::default_givens(const Shape& shape) {
  switch (shape.n) {
    case 4: return 6;
    case 6: return 14;
    case 16: return 130;
    default: return 26;
  }
}

Grid random_solution(Shape shape, std::mt19937_64& rng) {
  SolveOptions opt;
  opt.rng = &rng;
  opt.max_nodes = 100000;
  for (;;) {  // the empty grid always has solutions; retry only if the budget ran out
    SolveResult r = solve(Grid(shape), opt);
    if (r.solutions > 0) return r.solution;
  }
}

Result<Generated> generate(const GenerateOptions& options) {
  const Shape shape = options.shape;
  if (!shape_for_size(shape.n) || *shape_for_size(shape.n) != shape)
    return Error{"unsupported shape " + std::to_string(shape.n) + "x" + std::to_string(shape.n)};
  if (options.target_givens < 0 || options.target_givens > shape.cells())
    return Error{"target_givens must be in [0, " + std::to_string(shape.cells()) + "]"};
  if (options.min_difficulty > options.max_difficulty) return Error{"min_difficulty > max_difficulty"};

  std::mt19937_64 rng(options.seed);
  int closest_givens = shape.cells();
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    Grid solution = random_solution(shape, rng);
    Grid puzzle = solution;
    std::vector<int> order(static_cast<std::size_t>(shape.cells()));
    std::iota(order.begin(), order.end(), 0);
    portable_shuffle(order.begin(), order.end(), rng);
    int givens = shape.cells();
    for (int cell : order) {
      if (givens <= options.target_givens) break;
      std::uint8_t keep = puzzle.cells[static_cast<std::size_t>(cell)];
      puzzle.cells[static_cast<std::size_t>(cell)] = 0;
      if (has_unique_solution(puzzle)) {
        --givens;
      } else {
        puzzle.cells[static_cast<std::size_t>(cell)] = keep;
      }
    }
    closest_givens = std::min(closest_givens, givens);
    if (givens != options.target_givens) continue;
    std::uint64_t d = difficulty(puzzle);
    if (d < options.min_difficulty || d > options.max_difficulty) continue;
    return Generated{puzzle, solution, d, attempt};
  }
  return Error{"no puzzle with " + std::to_string(options.target_givens) + " givens and difficulty in [" +
               std::to_string(options.min_difficulty) + ", " + std::to_string(options.max_difficulty) + "] after " +
               std::to_string(options.max_attempts) + " attempts (fewest givens reached: " +
               std::to_string(closest_givens) + ")"};
}

}  // namespace hrm::sudoku
