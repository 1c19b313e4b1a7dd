// Limits shared by the task plugins' options, so that a typo cannot run without end (issue #24:
// a generator's max_attempts of 5 million ran for minutes with no message).
#pragma once

#include <cstdint>

namespace hrm::task {

// Most attempts any generate() makes before giving up (each attempt is a whole puzzle).
inline constexpr std::int64_t kMaxGenerateAttempts = 1000;

}  // namespace hrm::task
