// Portable random helpers shared by the task libraries. std::shuffle and
// std::uniform_int_distribution may give different results on different standard libraries;
// these do not, so a seed reproduces the same output everywhere.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <random>

namespace hrm::task {

// Uniform-enough integer in [0, k) (64-bit source, so the modulo bias is negligible).
inline std::size_t pick(std::mt19937_64& rng, std::size_t k) { return static_cast<std::size_t>(rng() % k); }

// Fisher-Yates shuffle (named so that ADL never picks std::shuffle instead).
template <class It>
void portable_shuffle(It first, It last, std::mt19937_64& rng) {
  using Diff = typename std::iterator_traits<It>::difference_type;
  for (auto n = static_cast<std::size_t>(last - first); n > 1; --n)
    std::iter_swap(first + static_cast<Diff>(n - 1), first + static_cast<Diff>(pick(rng, n)));
}

}  // namespace hrm::task
