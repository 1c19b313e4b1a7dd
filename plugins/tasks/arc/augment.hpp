// ARC augmentations (hrm-reference.md 4.4): one of the 8 dihedral transforms times a colour
// permutation that keeps 0 (black) fixed, applied identically to every grid of a task.
//
// Dihedral ids are the reference's (dataset/common.py): 0 identity, 1 rot90 (counter-clockwise),
// 2 rot180, 3 rot270, 4 fliplr, 5 flipud, 6 transpose, 7 fliplr(rot90) (anti-transpose); inverse
// table [0,3,2,1,4,5,6,7]. Names are the reference's "{task}_t{tid}_{mapping digits}", e.g.
// 007bbfb7_t3_0615283749 (mapping[c] = new colour of c); the identity keeps the plain task id.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "random.hpp"
#include "task.hpp"

namespace hrm::arc {

constexpr int kDihedralCount = 8;
constexpr uint64_t kPermutationCount = 362880;  // 9!: permutations of colours 1..9
constexpr uint64_t kAugmentationCount = kDihedralCount * kPermutationCount;

int dihedral_inverse(int tid);
Grid dihedral(const Grid& g, int tid);

struct Augmentation {
  int tid = 0;                                            // dihedral id 0..7
  std::array<uint8_t, kColours> mapping{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};  // colour c -> mapping[c]; mapping[0] == 0

  bool is_identity() const;
  Grid apply(const Grid& g) const;    // dihedral(mapping[g], tid), as the reference
  Augmentation inverse() const;       // inverse().apply(apply(g)) == g
  Grid undo(const Grid& g) const { return inverse().apply(g); }
  Task apply(const Task& t) const;    // every grid of every pair; the id is kept

  // "t{tid}_{digits}"; the name of an augmented puzzle is "{task}_" + this.
  std::string suffix() const;
  // A compact id for the encoder ABI: tid + 8 * (Lehmer rank of mapping[1..9]), so 0 is the
  // identity and every id below kAugmentationCount is a distinct augmentation.
  uint64_t id() const;
  static Augmentation from_id(uint64_t id);  // id < kAugmentationCount
  // The reference draw: tid uniform in 0..7, then a uniform permutation of 1..9.
  static Augmentation random(Rng& rng);

  bool operator==(const Augmentation& o) const { return tid == o.tid && mapping == o.mapping; }
};

// The two reference builders' names of an augmented puzzle: HRM's "{task}_t{tid}_{mapping}" and
// TRM's "{task}|||t{tid}|||{mapping}" (dataset/build_arc_dataset.py of each).
enum class NameStyle { Hrm, Trm };
// "{task}" for the identity, else the augmented name in the given style.
std::string puzzle_name(const std::string& task_id, const Augmentation& a, NameStyle style = NameStyle::Hrm);
// Splits a puzzle name of either style back into (task id, augmentation); nullopt for a malformed
// suffix (bad tid, mapping not a permutation with 0 fixed).
struct ParsedName {
  std::string task;
  Augmentation augmentation;
  NameStyle style = NameStyle::Hrm;
};
std::optional<ParsedName> parse_puzzle_name(const std::string& name);
// A plain task id: the un-augmented puzzle, whose test rows are the ground truth.
bool is_original_puzzle(const std::string& name);

// Content hash of a grid, and of a task: the sorted hashes of its pairs (input and output), so it
// does not depend on the order of pairs or on which list (train/test) a pair is in, as the
// reference's sha256 over sorted pair hashes. Used to drop duplicate augmentations and tasks that
// appear in both ARC-AGI versions.
uint64_t grid_hash(const Grid& g);
uint64_t task_hash(const Task& t);

// The reference augmentation loop for one task: the identity first, then up to 5 * count random
// draws from rng, keeping those whose transformed task has a new content hash, until count
// distinct augmentations besides the identity (fewer for symmetric or few-colour tasks).
std::vector<Augmentation> distinct_augmentations(const Task& t, int count, Rng& rng);

}  // namespace hrm::arc
