// The reference ARC encoding (hrm-reference.md 4.4) and the evaluator's crop rule (5.2).
//
// A grid goes on a 30x30 canvas (900 tokens, row-major): PAD 0 everywhere, colour c as c + 2, and
// EOS 1 on the row just below the grid (its columns only) and the column just right of it (its
// rows only), each only when inside the canvas; the corner cell below-right is not marked.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "task.hpp"

namespace hrm::arc {

constexpr int kCanvas = 30;
constexpr int64_t kSeqLen = kCanvas * kCanvas;
constexpr int64_t kVocabSize = 12;
constexpr int32_t kPad = 0, kEos = 1, kColourOffset = 2;

// Writes g at (r0, c0) into a 900-token canvas. The grid must fit: r0 + height <= 30.
std::vector<int32_t> encode_grid(const Grid& g, int r0 = 0, int c0 = 0);

// The training-time translation: (pad_r, pad_c) drawn uniformly so that both grids of the pair fit
// at the same offset, pad_r in [0, 30 - max(h_in, h_out)] (pad_c alike). `draw(n)` returns a
// uniform integer in [0, n); passing it keeps this free of any particular generator.
template <class Draw>
std::pair<int, int> random_offset(const Grid& in, const Grid& out, Draw&& draw) {
  const int rows = kCanvas - std::max(in.height, out.height) + 1;
  const int cols = kCanvas - std::max(in.width, out.width) + 1;
  const int r = int(draw(rows));
  const int c = int(draw(cols));
  return {r, c};
}

// The reference crop (arc_eval.ipynb): the largest top-left rectangle of colour tokens (2..11),
// scanning rows from the top and shrinking the column bound at the first non-colour token of each
// row; colours are token - 2. Empty when token 0 is not a colour. `tokens` holds 900 values.
Grid crop(const int32_t* tokens);

// Where the grid is on a canvas: the bounding box of its colour tokens (r0, c0, h, w), or h = 0
// for a canvas without colours. Unlike crop() this finds translated grids.
struct Placement {
  int r0 = 0, c0 = 0, height = 0, width = 0;
};
Placement locate(const int32_t* tokens);

}  // namespace hrm::arc
