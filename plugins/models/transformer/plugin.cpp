// The plain-transformer baseline of the ARC Prize HRM analysis behind hrm_model.h: one stack of
// HRM's post-norm blocks, one pass per ACT segment, the carry z_H kept across segments with the
// input injected (docs/models-trm.md, "The transformer baseline"). The model itself is the shared
// core (plugins/models/common); this file only names the class and exports the entry point.
#include "glue.hpp"

HRM_MODEL_PLUGIN("transformer",
                 "Plain post-norm transformer with HRM's budget, one pass per ACT segment (ablation baseline), fp32 and bf16",
                 "https://arcprize.org/blog/hrm-analysis")
