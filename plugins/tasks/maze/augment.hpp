// The 8 dihedral transforms of a square maze, with the reference ids (spec 4.4,
// dataset/common.py), which follow numpy on a [row][column] array:
//   0 identity, 1 rot90 (counter-clockwise), 2 rot180, 3 rot270,
//   4 fliplr, 5 flipud, 6 transpose, 7 anti-transpose (fliplr of rot90).
// dihedral(dihedral(m, id), dihedral_inverse(id)) == m; inverse table [0,3,2,1,4,5,6,7].
// All of them map shortest paths to shortest paths, so labels stay valid.
#pragma once

#include <cstdint>

#include "grid.hpp"

namespace hrm::maze {

constexpr int kDihedralCount = 8;

// Returns `maze` transformed by dihedral id 0..7 (other ids: returned unchanged).
Maze dihedral(const Maze& maze, int id);
int dihedral_inverse(int id);

// The same on one row of canvas*canvas model tokens (see grid.hpp). The maze occupies the
// top-left n x n of the canvas, n = the number of non-PAD tokens in the first row; only
// that square is transformed, so padding stays bottom/right. src and dst must not overlap.
void dihedral_tokens(const std::int32_t* src, std::int32_t* dst, int id, int canvas = kCanvas);

}  // namespace hrm::maze
