// Maze oracle (BFS shortest path) and answer verifier.
//
// Moves are 4-connected. Passable cells are ' ', 'o', 'S' and 'G'; '#' is a wall.
// Path length counts moves, so a path of length L marks L-1 cells with 'o'
// (S and G keep their letters, as in the reference labels).
#pragma once

#include <cstdint>
#include <vector>

#include "grid.hpp"

namespace hrm::maze {

struct PathInfo {
  int length = 0;                    // number of moves from S to G
  std::vector<int> path;             // cell indices S .. G (length + 1 cells)
  std::uint64_t shortest_paths = 0;  // number of distinct shortest paths, capped at the cap
  bool unique() const { return shortest_paths == 1; }
};

// Shortest S->G path. Errors: missing/duplicate S or G, unreachable goal (naming
// the S and G positions). Shortest paths are counted up to `count_cap`.
Result<PathInfo> shortest_path(const Maze& maze, std::uint64_t count_cap = 1000000);

// BFS distance (moves) from `from` to every cell over passable cells; -1 = unreachable.
std::vector<int> distances(const Maze& maze, int from);

// `maze` with the interior cells of `path` set to 'o'.
Maze mark_path(const Maze& maze, const std::vector<int>& path);

// The reference label: the puzzle with one shortest path marked.
Result<Maze> solve(const Maze& puzzle);

// Checks that `answer` is `puzzle` plus a marked path: only open cells changed and
// only to 'o'; the 'o' cells connect S to G 4-connectedly; and the path is optimal.
Status verify(const Maze& puzzle, const Maze& answer);

}  // namespace hrm::maze
