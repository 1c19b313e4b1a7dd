// Augmentation ids of the tasks whose augmentations are the 8 symmetries of the square (maze,
// gridnav): ids 0..7 are the dihedral ids of the reference (0 identity); any larger id maps to one
// of the 7 non-identity transforms by a hash of the id, so every uint64_t is a valid augmentation.
#pragma once

#include <cstdint>

namespace hrm::task {

inline int dihedral_id(uint64_t augmentation) {
  if (augmentation < 8) return static_cast<int>(augmentation);
  uint64_t x = augmentation + 0x9e3779b97f4a7c15ULL;  // splitmix64 finaliser: spreads any id evenly
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return 1 + static_cast<int>(x % 7);
}

}  // namespace hrm::task
