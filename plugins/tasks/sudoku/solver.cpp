#include "solver.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "common/random.hpp"

namespace hrm::sudoku {

using hrm::task::portable_shuffle;

namespace {

// Cell/unit incidence for one shape, computed once per shape.
struct Topology {
  Shape shape;
  int cells = 0;
  int peers_per_cell = 0;
  std::vector<std::uint8_t> peers;  // cells * peers_per_cell: every other cell sharing a unit
  std::vector<std::uint8_t> units;  // (3n) * n: rows, then columns, then boxes
};

Topology make_topology(const Shape& s) {
  Topology t;
  t.shape = s;
  t.cells = s.cells();
  const int n = s.n;
  auto box_of = [&s](int r, int c) { return (r / s.box_rows) * (s.n / s.box_cols) + c / s.box_cols; };
  std::vector<std::vector<std::uint8_t>> units(static_cast<std::size_t>(3 * n));
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      auto cell = static_cast<std::uint8_t>(r * n + c);
      units[static_cast<std::size_t>(r)].push_back(cell);
      units[static_cast<std::size_t>(n + c)].push_back(cell);
      units[static_cast<std::size_t>(2 * n + box_of(r, c))].push_back(cell);
    }
  for (auto& u : units) t.units.insert(t.units.end(), u.begin(), u.end());
  for (int a = 0; a < t.cells; ++a) {
    int ra = a / n, ca = a % n;
    int count = 0;
    for (int b = 0; b < t.cells; ++b) {
      int rb = b / n, cb = b % n;
      if (a != b && (ra == rb || ca == cb || box_of(ra, ca) == box_of(rb, cb))) {
        t.peers.push_back(static_cast<std::uint8_t>(b));
        ++count;
      }
    }
    t.peers_per_cell = count;  // the same for every cell
  }
  return t;
}

const Topology& topology(const Shape& s) {
  // Function-local statics: built once, thread-safe initialisation.
  static const Topology t4 = make_topology(*shape_for_size(4));
  static const Topology t6 = make_topology(*shape_for_size(6));
  static const Topology t9 = make_topology(*shape_for_size(9));
  static const Topology t16 = make_topology(*shape_for_size(16));
  switch (s.n) {
    case 4: return t4;
    case 6: return t6;
    case 16: return t16;
    default: return t9;
  }
}

int popcount(std::uint32_t m) { return __builtin_popcount(m); }
int lowest_digit(std::uint32_t m) { return __builtin_ctz(m) + 1; }

// Search state. Sized for the largest grid; copying ~770 bytes per branch is cheap
// next to the propagation work done at each node.
struct State {
  std::array<std::uint16_t, 256> cand;  // bit d-1 set = digit d still possible
  std::array<std::uint8_t, 256> value;  // placed digit, 0 = not placed yet
  int unsolved;
};

class Search {
 public:
  Search(const Topology& t, const SolveOptions& opt, SolveResult& res)
      : t_(t), opt_(opt), res_(res), full_(static_cast<std::uint16_t>((1u << t.shape.n) - 1)) {}

  void run(const Grid& puzzle) {
    State s;
    s.cand.fill(full_);
    s.value.fill(0);
    s.unsolved = t_.cells;
    queue_.clear();
    for (int i = 0; i < t_.cells; ++i) {
      int d = puzzle.cells[static_cast<std::size_t>(i)];
      if (d != 0 && !assign(s, i, d)) return;  // contradictory givens: no solution
    }
    dfs(s);
  }

 private:
  // Places digit d in `cell` and removes it from the peers. Peers left with a single
  // candidate are queued; a peer left with none is a contradiction.
  bool assign(State& s, int cell, int d) {
    const std::uint16_t bit = static_cast<std::uint16_t>(1u << (d - 1));
    const auto c = static_cast<std::size_t>(cell);
    if (!(s.cand[c] & bit)) return false;
    s.cand[c] = bit;
    s.value[c] = static_cast<std::uint8_t>(d);
    --s.unsolved;
    const std::uint8_t* p = &t_.peers[c * static_cast<std::size_t>(t_.peers_per_cell)];
    for (int k = 0; k < t_.peers_per_cell; ++k) {
      std::uint16_t& m = s.cand[p[k]];
      if (!(m & bit)) continue;
      m = static_cast<std::uint16_t>(m & ~bit);
      if (m == 0) return false;
      if ((m & (m - 1)) == 0 && !s.value[p[k]]) queue_.push_back(p[k]);
    }
    return true;
  }

  // Naked and hidden singles until nothing changes. False on contradiction.
  bool propagate(State& s) {
    const int n = t_.shape.n;
    for (;;) {
      while (!queue_.empty()) {
        int cell = queue_.back();
        queue_.pop_back();
        if (s.value[static_cast<std::size_t>(cell)]) continue;
        std::uint16_t m = s.cand[static_cast<std::size_t>(cell)];
        if (!assign(s, cell, lowest_digit(m))) return false;
      }
      if (s.unsolved == 0) return true;
      bool progress = false;
      for (int u = 0; u < 3 * n; ++u) {
        const std::uint8_t* cells = &t_.units[static_cast<std::size_t>(u * n)];
        std::uint32_t once = 0, twice = 0, placed = 0;
        for (int k = 0; k < n; ++k) {
          std::uint32_t m = s.cand[cells[k]];
          twice |= once & m;
          once |= m;
          if (s.value[cells[k]]) placed |= m;
        }
        if (once != full_) return false;  // some digit has no place left in this unit
        std::uint32_t hidden = once & ~twice & ~placed;
        while (hidden) {
          std::uint32_t bit = hidden & (0u - hidden);
          hidden ^= bit;
          int k = 0;
          while (k < n && !(s.cand[cells[k]] & bit)) ++k;
          // The only holder may have been used up by another hidden single of this unit.
          if (k == n || s.value[cells[k]]) return false;
          if (!assign(s, cells[k], lowest_digit(bit))) return false;
          progress = true;
        }
      }
      if (!progress && queue_.empty()) return true;
    }
  }

  void dfs(State& s) {
    ++res_.nodes;
    if (opt_.max_nodes && res_.nodes > opt_.max_nodes) {
      res_.aborted = true;
      return;
    }
    if (!propagate(s)) return;
    if (s.unsolved == 0) {
      if (res_.solutions++ == 0)
        for (int i = 0; i < t_.cells; ++i) res_.solution.cells[static_cast<std::size_t>(i)] = s.value[static_cast<std::size_t>(i)];
      return;
    }
    // Minimum remaining values: the unplaced cell with the fewest candidates.
    int best = -1, best_count = 99;
    for (int i = 0; i < t_.cells && best_count > 2; ++i) {
      if (s.value[static_cast<std::size_t>(i)]) continue;
      int k = popcount(s.cand[static_cast<std::size_t>(i)]);
      if (k < best_count) best = i, best_count = k;
    }
    std::array<int, 16> digits{};
    int nd = 0;
    for (std::uint32_t m = s.cand[static_cast<std::size_t>(best)]; m; m &= m - 1) digits[static_cast<std::size_t>(nd++)] = lowest_digit(m);
    if (opt_.rng) portable_shuffle(digits.begin(), digits.begin() + nd, *opt_.rng);
    for (int i = 0; i < nd; ++i) {
      ++res_.guesses;
      State child = s;
      queue_.clear();
      if (assign(child, best, digits[static_cast<std::size_t>(i)])) dfs(child);
      if (res_.solutions >= opt_.limit || res_.aborted) return;
    }
  }

  const Topology& t_;
  const SolveOptions& opt_;
  SolveResult& res_;
  const std::uint16_t full_;
  std::vector<int> queue_;
};

}  // namespace

SolveResult solve(const Grid& puzzle, const SolveOptions& options) {
  SolveResult res;
  res.solution = Grid(puzzle.shape);
  SolveOptions opt = options;
  opt.limit = std::max(1, opt.limit);
  Search(topology(puzzle.shape), opt, res).run(puzzle);
  return res;
}

int count_solutions(const Grid& puzzle, int limit) {
  SolveOptions opt;
  opt.limit = limit;
  return solve(puzzle, opt).solutions;
}

std::uint64_t difficulty(const Grid& puzzle) {
  SolveOptions opt;
  opt.limit = 2;
  return solve(puzzle, opt).guesses;
}

Status verify_solution(const Grid& puzzle, const Grid& answer) {
  if (puzzle.shape != answer.shape)
    return Error{"size mismatch: answer is " + std::to_string(answer.n()) + "x" + std::to_string(answer.n()) +
                 ", puzzle is " + std::to_string(puzzle.n()) + "x" + std::to_string(puzzle.n())};
  const int n = puzzle.n();
  auto where = [](int r, int c) { return " at (row " + std::to_string(r + 1) + ", column " + std::to_string(c + 1) + ")"; };
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      int a = answer.at(r, c), g = puzzle.at(r, c);
      if (a == 0) return Error{"incomplete: blank cell" + where(r, c), r, c};
      if (g != 0 && a != g)
        return Error{"answer changes the given " + std::string(1, digit_char(g)) + " to " +
                         std::string(1, digit_char(a)) + where(r, c),
                     r, c};
    }
  // A complete grid without duplicates in any unit has every unit a permutation.
  if (auto st = check_givens(answer); !st) {
    Error e = st.error();
    e.message = "not a valid solution: " + e.message.substr(e.message.find(':') + 2);
    return e;
  }
  return {};
}

}  // namespace hrm::sudoku
