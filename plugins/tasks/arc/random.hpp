// A portable generator: std::uniform_int_distribution and std::shuffle differ between standard
// libraries, and a dataset's augmentations (hence its identifier table) must be the same bytes
// on every machine for a seed.
#pragma once

#include <cstdint>
#include <string_view>

namespace hrm::arc {

// splitmix64 finaliser: a good 64-bit mix, used both as a hash step and as the generator.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a over bytes, then mixed: a stable hash of a task id or a serialised grid.
inline uint64_t hash_bytes(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ULL;
  return mix64(h);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in [0, n) (64-bit source: the modulo bias is negligible for n <= 9!).
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

}  // namespace hrm::arc
