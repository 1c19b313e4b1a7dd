// NumPy .npy files, format versions 1.0 and 2.0 (numpy/lib/format.py): magic "\x93NUMPY", version,
// header length (u16 for v1, u32 for v2), a Python dict literal
// {'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), } padded to 64 bytes, then the data.
// Supported element types: int32, uint8, float32, int64, float64 (little-endian), C order only.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "hrm/common/dtype.hpp"
#include "hrm/common/error.hpp"

namespace hrm::common {

struct NpyArray {
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> bytes;   // C order, little-endian

    std::int64_t numel() const { return hrm::common::numel(shape); }
    // Typed copy of the data; throws HRM_E_FORMAT if dtype is not `want`.
    template <class T>
    std::vector<T> as(DType want, const std::string &what) const {
        if (dtype != want)
            fail(HRM_E_FORMAT, what + ": dtype is " + dtype_name(dtype) + ", expected " + dtype_name(want));
        std::vector<T> out(static_cast<std::size_t>(numel()));
        if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
        return out;
    }
};

NpyArray read_npy(const std::string &path);
// Writes version 1.0 (2.0 if the header needs it), atomically. dtype must be one of the five.
void write_npy(const std::string &path, DType dtype, const std::vector<std::int64_t> &shape, const void *data);

}  // namespace hrm::common
