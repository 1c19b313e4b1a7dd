#include "augment.hpp"

#include <algorithm>
#include <unordered_set>

#include <hrm/hrm_plugin.hpp>

namespace hrm::arc {

int dihedral_inverse(int tid) {
  static const int kInverse[kDihedralCount] = {0, 3, 2, 1, 4, 5, 6, 7};
  return kInverse[tid];
}

// out(i, j) = in(src(i, j)) with numpy's semantics for each transform (rot90 is counter-clockwise:
// rot90(a)[i][j] = a[j][W-1-i]).
Grid dihedral(const Grid& g, int tid) {
  const int H = g.height, W = g.width;
  const bool swaps = tid == 1 || tid == 3 || tid == 6 || tid == 7;
  Grid out(swaps ? W : H, swaps ? H : W);
  for (int i = 0; i < out.height; ++i)
    for (int j = 0; j < out.width; ++j) {
      int r = i, c = j;
      switch (tid) {
        case 0: break;
        case 1: r = j, c = W - 1 - i; break;          // rot90
        case 2: r = H - 1 - i, c = W - 1 - j; break;  // rot180
        case 3: r = H - 1 - j, c = i; break;          // rot270
        case 4: c = W - 1 - j; break;                 // fliplr
        case 5: r = H - 1 - i; break;                 // flipud
        case 6: r = j, c = i; break;                  // transpose
        case 7: r = H - 1 - j, c = W - 1 - i; break;  // fliplr(rot90): anti-transpose
        default: throw hrm::plugin::Error(HRM_E_INVALID_ARG, "dihedral id " + std::to_string(tid) + " is not 0..7");
      }
      out.at(i, j) = g.at(r, c);
    }
  return out;
}

bool Augmentation::is_identity() const { return *this == Augmentation{}; }

Grid Augmentation::apply(const Grid& g) const {
  Grid mapped = g;
  for (auto& x : mapped.cells) x = mapping[x];
  return dihedral(mapped, tid);
}

Augmentation Augmentation::inverse() const {
  Augmentation inv;
  inv.tid = dihedral_inverse(tid);
  for (int c = 0; c < kColours; ++c) inv.mapping[mapping[c]] = uint8_t(c);  // argsort of a permutation
  return inv;
}

Task Augmentation::apply(const Task& t) const {
  Task out = t;
  for (auto* list : {&out.train, &out.test})
    for (Pair& p : *list) {
      p.input = apply(p.input);
      if (p.output) p.output = apply(*p.output);
    }
  return out;
}

std::string Augmentation::suffix() const {
  std::string s = "t" + std::to_string(tid) + "_";
  for (uint8_t c : mapping) s += char('0' + c);
  return s;
}

namespace {
constexpr uint64_t kFactorial[10] = {1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880};
}

uint64_t Augmentation::id() const {
  uint64_t rank = 0;
  for (int i = 1; i < kColours; ++i) {
    int smaller_after = 0;
    for (int j = i + 1; j < kColours; ++j) smaller_after += mapping[j] < mapping[i];
    rank += uint64_t(smaller_after) * kFactorial[kColours - 1 - i];
  }
  return uint64_t(tid) + kDihedralCount * rank;
}

Augmentation Augmentation::from_id(uint64_t id) {
  hrm::plugin::require(id < kAugmentationCount, HRM_E_INVALID_ARG, "augmentation id " + std::to_string(id) + " >= 8 * 9!");
  Augmentation a;
  a.tid = int(id % kDihedralCount);
  uint64_t rank = id / kDihedralCount;
  std::vector<uint8_t> left{1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (int i = 1; i < kColours; ++i) {
    const uint64_t f = kFactorial[kColours - 1 - i];
    a.mapping[i] = left[rank / f];
    left.erase(left.begin() + ptrdiff_t(rank / f));
    rank %= f;
  }
  return a;
}

Augmentation Augmentation::random(Rng& rng) {
  Augmentation a;
  a.tid = int(rng.below(kDihedralCount));
  for (int n = 9; n > 1; --n) std::swap(a.mapping[n], a.mapping[1 + rng.below(uint64_t(n))]);  // Fisher-Yates on 1..9
  return a;
}

std::string puzzle_name(const std::string& task_id, const Augmentation& a, NameStyle style) {
  if (a.is_identity()) return task_id;
  if (style == NameStyle::Hrm) return task_id + "_" + a.suffix();
  std::string s = task_id + "|||t" + std::to_string(a.tid) + "|||";
  for (uint8_t c : a.mapping) s += char('0' + c);
  return s;
}

namespace {

// "t{tid}" and the ten mapping digits: the augmentation, if they make one (0 fixed, a permutation).
std::optional<Augmentation> parse_augmentation(std::string_view t, std::string_view digits) {
  if (t.size() != 2 || t[0] != 't' || t[1] < '0' || t[1] > '7' || digits.size() != size_t(kColours)) return std::nullopt;
  Augmentation a;
  a.tid = t[1] - '0';
  bool seen[kColours] = {};
  for (int c = 0; c < kColours; ++c) {
    const char d = digits[size_t(c)];
    if (d < '0' || d > '9' || seen[d - '0']) return std::nullopt;
    seen[d - '0'] = true;
    a.mapping[size_t(c)] = uint8_t(d - '0');
  }
  if (a.mapping[0] != 0) return std::nullopt;
  return a;
}

}  // namespace

std::optional<ParsedName> parse_puzzle_name(const std::string& name) {
  // TRM's builder: "{task}|||t{tid}|||{mapping}" (its separator keeps task ids with '_' intact).
  if (const size_t sep = name.find("|||"); sep != std::string::npos) {
    const size_t sep2 = name.find("|||", sep + 3);
    if (sep2 == std::string::npos) return std::nullopt;
    const auto a = parse_augmentation(std::string_view(name).substr(sep + 3, sep2 - sep - 3), std::string_view(name).substr(sep2 + 3));
    if (!a) return std::nullopt;
    return ParsedName{name.substr(0, sep), *a, NameStyle::Trm};
  }
  const size_t us = name.find('_');
  if (us == std::string::npos) return ParsedName{name, Augmentation{}, NameStyle::Hrm};
  const std::string s = name.substr(us + 1);  // "t3_0615283749"
  if (s.size() != 13 || s[2] != '_') return std::nullopt;
  const auto a = parse_augmentation(std::string_view(s).substr(0, 2), std::string_view(s).substr(3));
  if (!a) return std::nullopt;
  return ParsedName{name.substr(0, us), *a, NameStyle::Hrm};
}

bool is_original_puzzle(const std::string& name) {
  const auto p = parse_puzzle_name(name);
  return p && p->task == name;
}

uint64_t grid_hash(const Grid& g) {
  std::string bytes = std::to_string(g.height) + "x" + std::to_string(g.width) + ":";
  bytes.append(g.cells.begin(), g.cells.end());
  return hash_bytes(bytes);
}

uint64_t task_hash(const Task& t) {
  std::vector<uint64_t> pairs;
  for (const auto* list : {&t.train, &t.test})
    for (const Pair& p : *list) pairs.push_back(mix64(grid_hash(p.input) * 31 + (p.output ? grid_hash(*p.output) : 0)));
  std::sort(pairs.begin(), pairs.end());
  uint64_t h = 0;
  for (uint64_t x : pairs) h = mix64(h ^ x);
  return h;
}

std::vector<Augmentation> distinct_augmentations(const Task& t, int count, Rng& rng) {
  std::vector<Augmentation> out{Augmentation{}};
  std::unordered_set<uint64_t> seen{task_hash(t)};
  for (int attempt = 0; attempt < 5 * count && int(out.size()) < count + 1; ++attempt) {
    const Augmentation a = Augmentation::random(rng);
    if (seen.insert(task_hash(a.apply(t))).second) out.push_back(a);
  }
  return out;
}

}  // namespace hrm::arc
