// Learning-rate schedule of the reference (pretrain.py: cosine_schedule_with_warmup_lr_lambda,
// spec 3.4): linear warm-up from 0, then a half cosine down to min_ratio·base. Steps count from 1
// (the first optimizer step uses step = 1, so lr = base / warmup).
#pragma once

#include <cstdint>

namespace hrm::train {

struct Schedule {
    double base_lr = 1e-4;
    int64_t warmup_steps = 2000;
    int64_t total_steps = 1;
    double min_ratio = 1.0;   // the reference default: constant after warm-up

    double lr(int64_t step) const;
};

}  // namespace hrm::train
