#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "hrm/kernels/bf16.hpp"

namespace hrm::kernels {
namespace {

float from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

TEST(Bf16, RoundsToNearestEvenLikePyTorch) {
  EXPECT_EQ(to_bf16(1.0f).bits, 0x3F80);
  EXPECT_EQ(to_bf16(from_bits(0x3F808000)).bits, 0x3F80);  // tie, even stays
  EXPECT_EQ(to_bf16(from_bits(0x3F818000)).bits, 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(to_bf16(from_bits(0x3F808001)).bits, 0x3F81);  // above the tie
  EXPECT_EQ(to_bf16(from_bits(0x7F7FFFFF)).bits, 0x7F80);  // FLT_MAX overflows to inf
  EXPECT_EQ(to_bf16(std::numeric_limits<float>::infinity()).bits, 0x7F80);
  EXPECT_EQ(to_bf16(-std::numeric_limits<float>::infinity()).bits, 0xFF80);
  EXPECT_EQ(to_bf16(from_bits(0xFFC12345)).bits, 0x7FC0);  // every NaN becomes 0x7FC0
  EXPECT_EQ(to_bf16(from_bits(0x00018000)).bits, 0x0002);  // denormals are rounded, not flushed
  EXPECT_EQ(to_float(bf16{0x4049}), 3.140625f);
  EXPECT_EQ(round_bf16(3.14159265f), 3.140625f);
}

TEST(Bf16, ArrayConversionsMatchScalar) {
  std::mt19937 rng(7);
  for (std::int64_t n : {0, 1, 15, 16, 17, 1000}) {
    std::vector<float> src(n);
    for (auto& x : src) x = from_bits(rng());  // arbitrary bit patterns incl. NaN/inf/denormals
    std::vector<bf16> dst(n);
    to_bf16(src.data(), dst.data(), n);
    std::vector<float> back(n), rounded = src;
    to_float(dst.data(), back.data(), n);
    round_bf16(rounded.data(), n);
    for (std::int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(dst[i].bits, to_bf16(src[i]).bits) << "i=" << i;
      ASSERT_EQ(std::memcmp(&back[i], &rounded[i], 4), 0);
      const float expect = to_float(to_bf16(src[i]));
      ASSERT_EQ(std::memcmp(&back[i], &expect, 4), 0);
    }
  }
}

}  // namespace
}  // namespace hrm::kernels
