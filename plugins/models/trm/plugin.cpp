// The TRM model plugin: the Tiny Recursive Model (SamsungSAILMontreal/TinyRecursiveModels,
// models/recursive_reasoning/trm.py) behind hrm_model.h: one network for both updates, attention or
// the sequence MLP, halting head only (docs/models-trm.md). The model itself is the shared core
// (plugins/models/common); this file only names the class and exports the entry point.
#include "glue.hpp"

HRM_MODEL_PLUGIN("trm",
                 "Tiny Recursive Model (TRM: one 2-layer network, attention or MLP-mixer), fp32 and bf16",
                 "https://github.com/SamsungSAILMontreal/TinyRecursiveModels")
