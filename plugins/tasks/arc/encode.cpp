#include "encode.hpp"

#include <algorithm>
#include <string>

#include <hrm/hrm_plugin.hpp>

namespace hrm::arc {

std::vector<int32_t> encode_grid(const Grid& g, int r0, int c0) {
  hrm::plugin::require(r0 >= 0 && c0 >= 0 && r0 + g.height <= kCanvas && c0 + g.width <= kCanvas, HRM_E_INVALID_ARG,
                       "grid " + std::to_string(g.height) + "x" + std::to_string(g.width) + " does not fit at (" +
                           std::to_string(r0) + ", " + std::to_string(c0) + ")");
  std::vector<int32_t> t(size_t(kSeqLen), kPad);
  auto cell = [&t](int r, int c) -> int32_t& { return t[size_t(r) * kCanvas + size_t(c)]; };
  for (int r = 0; r < g.height; ++r)
    for (int c = 0; c < g.width; ++c) cell(r0 + r, c0 + c) = g.at(r, c) + kColourOffset;
  if (r0 + g.height < kCanvas)
    for (int c = 0; c < g.width; ++c) cell(r0 + g.height, c0 + c) = kEos;
  if (c0 + g.width < kCanvas)
    for (int r = 0; r < g.height; ++r) cell(r0 + r, c0 + g.width) = kEos;
  return t;
}

Grid crop(const int32_t* tokens) {
  auto is_colour = [](int32_t x) { return x >= kColourOffset && x < kColourOffset + kColours; };
  int best_area = 0, best_rows = 0, best_cols = 0;
  int cols = kCanvas;  // only shrinks: a rectangle needs every row up to it
  for (int rows = 1; rows <= kCanvas; ++rows) {
    for (int c = 0; c < cols; ++c)
      if (!is_colour(tokens[(rows - 1) * kCanvas + c])) {
        cols = c;
        break;
      }
    if (rows * cols > best_area) best_area = rows * cols, best_rows = rows, best_cols = cols;
  }
  if (best_area == 0) return Grid();
  Grid g(best_rows, best_cols);
  for (int r = 0; r < best_rows; ++r)
    for (int c = 0; c < best_cols; ++c) g.at(r, c) = uint8_t(tokens[r * kCanvas + c] - kColourOffset);
  return g;
}

Placement locate(const int32_t* tokens) {
  int rmin = kCanvas, rmax = -1, cmin = kCanvas, cmax = -1;
  for (int r = 0; r < kCanvas; ++r)
    for (int c = 0; c < kCanvas; ++c) {
      const int32_t x = tokens[r * kCanvas + c];
      if (x < kColourOffset || x >= kColourOffset + kColours) continue;
      rmin = std::min(rmin, r), rmax = std::max(rmax, r);
      cmin = std::min(cmin, c), cmax = std::max(cmax, c);
    }
  if (rmax < 0) return {};
  return {rmin, cmin, rmax - rmin + 1, cmax - cmin + 1};
}

}  // namespace hrm::arc
