// The 8 dihedral transforms, with the reference ids (spec 4.4, dataset/common.py), following
// numpy on a [row][column] array of height h and width w:
//   0 identity, 1 rot90 (counter-clockwise), 2 rot180, 3 rot270,
//   4 fliplr, 5 flipud, 6 transpose, 7 anti-transpose (fliplr of rot90).
// Ids 1, 3, 6 and 7 swap height and width. Inverse table [0,3,2,1,4,5,6,7].
// They preserve 4- and 8-neighbourhoods, the corner-cutting rule, Euclidean footprints and
// move costs, so an optimal path stays optimal and labels stay valid.
#pragma once

#include <cstdint>

#include "grid.hpp"

namespace hrm::gridnav {

constexpr int kDihedralCount = 8;

int dihedral_inverse(int id);

// `in` (grid, S, G and marks) transformed by id 0..7.
Instance dihedral(const Instance& in, int id);

// The same on one row of side*side tokens: the grid is the top-left h x w block of non-PAD
// tokens (w = non-PAD tokens in row 0, h = in column 0); the result is again top-left, PAD
// elsewhere. src and dst must not overlap.
void dihedral_tokens(const std::int32_t* src, std::int32_t* dst, int side, int id);

}  // namespace hrm::gridnav
