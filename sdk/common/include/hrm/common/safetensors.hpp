// safetensors (https://github.com/huggingface/safetensors, "Format"):
//   [u64 little-endian N][N bytes UTF-8 JSON header][data]
//   header = {"__metadata__": {str: str}, "<name>": {"dtype", "shape", "data_offsets": [b, e]}}
//   offsets are relative to the first data byte.
// Reading memory-maps the file; tensors are zero-copy views valid while the SafetensorsFile lives.
// Every problem is reported naming the file and, where there is one, the tensor.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hrm/common/dtype.hpp"
#include "hrm/common/error.hpp"

namespace hrm::common {

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    const void *data = nullptr;   // little-endian, C order
    std::size_t nbytes = 0;

    std::int64_t numel() const { return hrm::common::numel(shape); }
};

class SafetensorsFile {
public:
    // Opens, maps and validates the whole header (see safetensors.cpp for the checks).
    explicit SafetensorsFile(const std::string &path);

    const std::string &path() const { return map_->path(); }
    // Tensors in data order.
    const std::vector<TensorView> &tensors() const { return tensors_; }
    const std::map<std::string, std::string> &metadata() const { return metadata_; }
    const TensorView *find(const std::string &name) const;
    // The tensor `name`, checked against dtype and shape; errors name the tensor.
    const TensorView &get(const std::string &name) const;
    const TensorView &get(const std::string &name, DType dtype, const std::vector<std::int64_t> &shape) const;

private:
    std::unique_ptr<MappedFile> map_;
    std::vector<TensorView> tensors_;
    std::map<std::string, std::string> metadata_;
};

// A tensor to write: the bytes are borrowed for the call.
struct TensorRef {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    const void *data = nullptr;
};

// Write tensors (in the given order) atomically; the header is padded with spaces so the data
// section starts 8-byte aligned, like the reference writer.
void write_safetensors(const std::string &path, const std::vector<TensorRef> &tensors,
                       const std::map<std::string, std::string> &metadata = {});

}  // namespace hrm::common
