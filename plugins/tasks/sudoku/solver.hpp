// Exact Sudoku solver (all sizes), solution counting, difficulty rating and verifier.
//
// The solver is a bitset backtracking search. At every node it propagates naked
// singles (a cell with one candidate) and hidden singles (a digit with one place
// in a row/column/box) to a fixpoint, then branches on the cell with the fewest
// candidates (MRV). Search effort is reported as nodes and guesses.
#pragma once

#include <cstdint>
#include <random>

#include "grid.hpp"

namespace hrm::sudoku {

struct SolveOptions {
  int limit = 1;                    // stop after this many solutions (2 = uniqueness check)
  std::uint64_t max_nodes = 0;      // give up after this many nodes (0 = never)
  std::mt19937_64* rng = nullptr;   // if set, candidates are tried in random order (generator)
};

struct SolveResult {
  int solutions = 0;          // number found, at most `limit`
  Grid solution;              // the first solution found (meaningful if solutions > 0)
  std::uint64_t nodes = 0;    // search nodes visited (each runs propagation)
  std::uint64_t guesses = 0;  // branch choices tried (0 = solved by propagation alone)
  bool aborted = false;       // max_nodes was reached; counts are lower bounds
};

// Solves `puzzle`. Contradictory givens simply yield 0 solutions; use check_givens
// for a message that names the cells.
SolveResult solve(const Grid& puzzle, const SolveOptions& options = {});

// Number of solutions, capped at `limit`.
int count_solutions(const Grid& puzzle, int limit = 2);

// Difficulty = guesses made by a complete uniqueness search (limit 2), i.e. the
// effort needed to find the solution AND prove there is no other. 0 means the
// puzzle falls to singles alone. Deterministic for a given grid.
std::uint64_t difficulty(const Grid& puzzle);

// Checks that `answer` is complete, every row/column/box holds each digit once,
// and every given of `puzzle` is kept. The error names the first problem found.
Status verify_solution(const Grid& puzzle, const Grid& answer);

}  // namespace hrm::sudoku
