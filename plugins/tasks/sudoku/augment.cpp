#include "augment.hpp"

#include <algorithm>
#include <numeric>

#include "common/random.hpp"

namespace hrm::sudoku {

using hrm::task::portable_shuffle;

namespace {

std::vector<int> invert(const std::vector<int>& p) {
  std::vector<int> inv(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) inv[static_cast<std::size_t>(p[i])] = static_cast<int>(i);
  return inv;
}

// Permutation of n lines made of groups of `group` lines: shuffle the groups, then
// the lines inside each group (as the reference does for bands/stacks).
std::vector<int> grouped_permutation(int n, int group, std::mt19937_64& rng) {
  std::vector<int> groups(static_cast<std::size_t>(n / group));
  std::iota(groups.begin(), groups.end(), 0);
  portable_shuffle(groups.begin(), groups.end(), rng);
  std::vector<int> perm;
  for (int g : groups) {
    std::vector<int> inner(static_cast<std::size_t>(group));
    std::iota(inner.begin(), inner.end(), 0);
    portable_shuffle(inner.begin(), inner.end(), rng);
    for (int k : inner) perm.push_back(g * group + k);
  }
  return perm;
}

}  // namespace

Transform Transform::identity(Shape shape) {
  Transform t;
  t.shape = shape;
  t.digit_map.resize(static_cast<std::size_t>(shape.n + 1));
  std::iota(t.digit_map.begin(), t.digit_map.end(), 0);
  t.row_perm.resize(static_cast<std::size_t>(shape.n));
  std::iota(t.row_perm.begin(), t.row_perm.end(), 0);
  t.col_perm = t.row_perm;
  return t;
}

Transform Transform::random(Shape shape, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return random(shape, rng);
}

Transform Transform::random(Shape shape, std::mt19937_64& rng) {
  Transform t = identity(shape);
  portable_shuffle(t.digit_map.begin() + 1, t.digit_map.end(), rng);
  // Draw the coin even for non-square boxes so the rest of the stream does not
  // depend on the box shape in a surprising way.
  bool coin = (rng() & 1) != 0;
  t.transpose = coin && shape.box_rows == shape.box_cols;
  t.row_perm = grouped_permutation(shape.n, shape.box_rows, rng);
  t.col_perm = grouped_permutation(shape.n, shape.box_cols, rng);
  return t;
}

Grid Transform::apply(const Grid& grid) const {
  const int n = shape.n;
  Grid out(shape);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      int sr = row_perm[static_cast<std::size_t>(r)], sc = col_perm[static_cast<std::size_t>(c)];
      std::uint8_t v = transpose ? grid.at(sc, sr) : grid.at(sr, sc);
      out.at(r, c) = digit_map[v];
    }
  return out;
}

void Transform::apply_tokens(const std::int32_t* src, std::int32_t* dst) const {
  const int n = shape.n;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      int sr = row_perm[static_cast<std::size_t>(r)], sc = col_perm[static_cast<std::size_t>(c)];
      std::int32_t t = transpose ? src[sc * n + sr] : src[sr * n + sc];
      dst[r * n + c] = (t >= 2 && t <= n + 1) ? digit_map[static_cast<std::size_t>(t - 1)] + 1 : t;
    }
}

Transform Transform::inverse() const {
  // Forward: new[r][c] = map[old[rp[r]][cp[c]]] (no transpose) or map[old[cp[c]][rp[r]]]
  // (transpose). Solving for old gives old[a][b] = map^-1[new[rp^-1[a]][cp^-1[b]]] or
  // map^-1[new^T[cp^-1[a]][rp^-1[b]]], i.e. the same form with the roles below.
  Transform inv;
  inv.shape = shape;
  inv.transpose = transpose;
  inv.digit_map.resize(digit_map.size());
  for (std::size_t d = 0; d < digit_map.size(); ++d) inv.digit_map[digit_map[d]] = static_cast<std::uint8_t>(d);
  std::vector<int> rp_inv = invert(row_perm), cp_inv = invert(col_perm);
  inv.row_perm = transpose ? cp_inv : rp_inv;
  inv.col_perm = transpose ? rp_inv : cp_inv;
  return inv;
}

std::string Transform::describe() const {
  auto list = [](const std::vector<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
  };
  std::string map;
  for (std::size_t d = 1; d < digit_map.size(); ++d) map += digit_char(digit_map[d]);
  return "digits=" + map + " transpose=" + (transpose ? "1" : "0") + " rows=" + list(row_perm) +
         " cols=" + list(col_perm);
}

}  // namespace hrm::sudoku
