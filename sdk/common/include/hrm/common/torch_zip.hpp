// Reader for checkpoints written by torch.save(state_dict) (the zip format of PyTorch >= 1.6),
// done in C++ without Python: the released HRM checkpoints are such files (spec 6.1).
//
// Layout: a zip archive (entries stored, not compressed; zip64 for large files) holding
// "<root>/data.pkl" (a pickle, protocol 2), "<root>/data/<key>" (raw little-endian storages) and
// "<root>/version". The pickle of a state dict only uses a handful of opcodes and globals:
// collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch.<Type>Storage persistent ids.
// The pickle VM here implements exactly those and refuses everything else (any other global, any
// object construction) with HRM_E_FORMAT, so a hostile pickle cannot run code.
#pragma once

#include <string>
#include <vector>

#include "hrm/common/dtype.hpp"
#include "hrm/common/error.hpp"

namespace hrm::common {

struct TorchTensor {
    std::string name;                  // state-dict key as stored
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> bytes;   // contiguous C-order copy (views/strides resolved)

    std::int64_t numel() const { return hrm::common::numel(shape); }
};

// Entries of a zip archive (central directory), for inspection and tests.
struct ZipEntry {
    std::string name;
    std::uint16_t method = 0;        // 0 = stored
    std::uint64_t compressed_size = 0;
    std::uint64_t size = 0;
    std::uint64_t local_header_offset = 0;
};
std::vector<ZipEntry> list_zip(const std::string &path);

// The tensors of the state dict, in pickle (insertion) order.
std::vector<TorchTensor> read_torch_state_dict(const std::string &path);

}  // namespace hrm::common
