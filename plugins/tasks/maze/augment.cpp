#include "augment.hpp"

namespace hrm::maze {
namespace {

// Source cell (sr, sc) of out[r][c] in an n x n square, written as numpy computes it.
void dihedral_source(int id, int n, int r, int c, int& sr, int& sc) {
  const int last = n - 1;
  sr = r, sc = c;
  switch (id) {
    case 1: sr = c, sc = last - r; break;         // np.rot90(a, 1)
    case 2: sr = last - r, sc = last - c; break;  // np.rot90(a, 2)
    case 3: sr = last - c, sc = r; break;         // np.rot90(a, 3)
    case 4: sc = last - c; break;                 // np.fliplr
    case 5: sr = last - r; break;                 // np.flipud
    case 6: sr = c, sc = r; break;                // a.T
    case 7: sr = last - c, sc = last - r; break;  // np.fliplr(np.rot90(a))
    default: break;
  }
}

}  // namespace

int dihedral_inverse(int id) {
  static constexpr int kInverse[kDihedralCount] = {0, 3, 2, 1, 4, 5, 6, 7};
  return id >= 0 && id < kDihedralCount ? kInverse[id] : id;
}

Maze dihedral(const Maze& m, int id) {
  Maze out = m;
  for (int r = 0; r < m.n; ++r)
    for (int c = 0; c < m.n; ++c) {
      int sr, sc;
      dihedral_source(id, m.n, r, c, sr, sc);
      out.at(r, c) = m.at(sr, sc);
    }
  return out;
}

void dihedral_tokens(const std::int32_t* src, std::int32_t* dst, int id, int canvas) {
  int n = 0;
  while (n < canvas && src[n] != 0) ++n;
  for (int i = 0; i < canvas * canvas; ++i) dst[i] = src[i];
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      int sr, sc;
      dihedral_source(id, n, r, c, sr, sc);
      dst[r * canvas + c] = src[sr * canvas + sc];
    }
}

}  // namespace hrm::maze
