// The HRM model plugin: the reference Hierarchical Reasoning Model (sapientinc/HRM hrm_act_v1)
// behind hrm_model.h. The model itself is the shared core (plugins/models/common); this file only
// names the class and exports the entry point.
#include "glue.hpp"

HRM_MODEL_PLUGIN("hrm",
                 "Hierarchical Reasoning Model (sapientinc/HRM hrm_act_v1), fp32 reference mode and bf16",
                 "https://github.com/sapientinc/HRM")
