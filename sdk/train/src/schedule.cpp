#include "hrm/train/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace hrm::train {

double Schedule::lr(int64_t step) const {
    if (step < warmup_steps) return base_lr * double(step) / double(std::max<int64_t>(1, warmup_steps));
    const double progress = double(step - warmup_steps) / double(std::max<int64_t>(1, total_steps - warmup_steps));
    // num_cycles = 0.5 in the reference: cos(pi * 0.5 * 2 * progress).
    return base_lr * (min_ratio + std::max(0.0, (1.0 - min_ratio) * 0.5 * (1.0 + std::cos(M_PI * progress))));
}

}  // namespace hrm::train
