// Element types of the on-disk formats (safetensors, .npy, torch storages).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hrm/hrm_base.h"

namespace hrm::common {

// I8: the quantised weights of an int8 model file (hrm export --precision int8); no hrm_dtype.
enum class DType { F32, F64, BF16, I32, I64, U8, BOOL, I8 };

std::size_t dtype_size(DType t);
const char *dtype_name(DType t);      // safetensors spelling: "F32", "BF16", ...
hrm_dtype to_hrm_dtype(DType t);      // BOOL maps to U8; I8 throws HRM_E_UNSUPPORTED
DType from_hrm_dtype(hrm_dtype t);    // throws HRM_E_UNSUPPORTED for unknown codes

std::int64_t numel(const std::vector<std::int64_t> &shape);
std::string shape_str(const std::vector<std::int64_t> &shape);   // "[2, 3]"

}  // namespace hrm::common
