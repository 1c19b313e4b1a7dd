// Validity-preserving Sudoku augmentations (reference `shuffle_sudoku`, spec 4.2),
// generalised to every supported size.
//
// A Transform is applied as
//     new[r][c] = digit_map[ src[row_perm[r]][col_perm[c]] ],  src = transpose ? old^T : old
// which is exactly the reference formula. Row permutations keep bands together
// (shuffle bands of box_rows rows, then rows within each band); column permutations
// keep stacks (box_cols columns) together. Transposition is only offered for square
// boxes, since a 6x6 grid with 2x3 boxes would turn into 3x2 boxes.
//
// The set of such transforms is closed under inversion, so inverse() returns another
// Transform of the same form: apply(inverse(t), apply(t, g)) == g. Use it to map a
// model's answer on an augmented puzzle back to the original puzzle.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "grid.hpp"

namespace hrm::sudoku {

struct Transform {
  Shape shape;
  std::vector<std::uint8_t> digit_map;  // size n+1, digit_map[0] == 0 (blank stays blank)
  bool transpose = false;
  std::vector<int> row_perm;            // new row r comes from source row row_perm[r]
  std::vector<int> col_perm;            // new column c comes from source column col_perm[c]

  static Transform identity(Shape shape);
  // A random transform; the same seed always gives the same transform.
  static Transform random(Shape shape, std::uint64_t seed);
  static Transform random(Shape shape, std::mt19937_64& rng);

  Grid apply(const Grid& grid) const;  // grid.shape must equal shape
  // The same on one row of seq_len model tokens (see grid.hpp): digit tokens 2..n+1
  // are mapped, PAD (0) and blank (1) only move. src and dst must not overlap.
  void apply_tokens(const std::int32_t* src, std::int32_t* dst) const;
  Transform inverse() const;
  std::string describe() const;        // compact human-readable form, for logs
};

}  // namespace hrm::sudoku
