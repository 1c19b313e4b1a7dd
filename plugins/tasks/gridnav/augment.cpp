#include "augment.hpp"

#include <algorithm>

namespace hrm::gridnav {
namespace {

bool swaps_axes(int id) { return id == 1 || id == 3 || id == 6 || id == 7; }

// Source (sr, sc) of out[r][c] for a source array of h rows and w columns, as numpy computes it.
void dihedral_source(int id, int h, int w, int r, int c, int& sr, int& sc) {
  sr = r, sc = c;
  switch (id) {
    case 1: sr = c, sc = w - 1 - r; break;          // np.rot90(a, 1)
    case 2: sr = h - 1 - r, sc = w - 1 - c; break;  // np.rot90(a, 2)
    case 3: sr = h - 1 - c, sc = r; break;          // np.rot90(a, 3)
    case 4: sc = w - 1 - c; break;                  // np.fliplr
    case 5: sr = h - 1 - r; break;                  // np.flipud
    case 6: sr = c, sc = r; break;                  // a.T
    case 7: sr = h - 1 - c, sc = w - 1 - r; break;  // np.fliplr(np.rot90(a))
    default: break;
  }
}

}  // namespace

int dihedral_inverse(int id) {
  static constexpr int kInverse[kDihedralCount] = {0, 3, 2, 1, 4, 5, 6, 7};
  return id >= 0 && id < kDihedralCount ? kInverse[id] : id;
}

Instance dihedral(const Instance& in, int id) {
  const int h = in.grid.height, w = in.grid.width;
  const int oh = swaps_axes(id) ? w : h, ow = swaps_axes(id) ? h : w;
  Instance out;
  out.grid = Grid(ow, oh, Terrain::kFree);
  out.marks.assign(out.grid.cells.size(), 0);
  for (int r = 0; r < oh; ++r)
    for (int c = 0; c < ow; ++c) {
      int sr, sc;
      dihedral_source(id, h, w, r, c, sr, sc);
      const Cell from{sc, sr}, to{c, r};
      out.grid.at(to) = in.grid.at(from);
      if (!in.marks.empty()) out.marks[static_cast<std::size_t>(out.grid.index(to))] = in.marks[static_cast<std::size_t>(in.grid.index(from))];
      if (from == in.start) out.start = to;
      if (from == in.goal) out.goal = to;
    }
  return out;
}

void dihedral_tokens(const std::int32_t* src, std::int32_t* dst, int side, int id) {
  int w = 0, h = 0;
  while (w < side && src[w] != kPad) ++w;
  while (h < side && src[h * side] != kPad) ++h;
  const int oh = swaps_axes(id) ? w : h, ow = swaps_axes(id) ? h : w;
  std::fill(dst, dst + side * side, kPad);
  for (int r = 0; r < oh; ++r)
    for (int c = 0; c < ow; ++c) {
      int sr, sc;
      dihedral_source(id, h, w, r, c, sr, sc);
      dst[r * side + c] = src[sr * side + sc];
    }
}

}  // namespace hrm::gridnav
