#include "hrm/common/checkpoint.hpp"

namespace hrm::common {

void save_model_checkpoint(const std::string &path, const std::vector<NamedTensor> &tensors,
                           const std::string &config_toml, const std::map<std::string, std::string> &extra) {
    std::vector<TensorRef> refs;
    refs.reserve(tensors.size());
    for (const auto &nt : tensors) {
        const hrm_tensor &t = nt.tensor;
        if (t.device != HRM_DEVICE_CPU) fail(HRM_E_UNSUPPORTED, "tensor \"" + nt.name + "\" is not on the CPU");
        if (t.ndim < 0 || t.ndim > HRM_MAX_DIMS) fail(HRM_E_INVALID_ARG, "tensor \"" + nt.name + "\" has a bad ndim");
        TensorRef r;
        r.name = nt.name;
        r.dtype = from_hrm_dtype(t.dtype);
        r.shape.assign(t.shape, t.shape + t.ndim);
        if (t.strides) {   // only compact row-major views can be written byte for byte
            std::int64_t expect = 1;
            for (int i = t.ndim - 1; i >= 0; --i) {
                if (t.shape[i] != 1 && t.strides[i] != expect)
                    fail(HRM_E_UNSUPPORTED, "tensor \"" + nt.name + "\" is strided; only compact tensors can be saved");
                expect *= t.shape[i];
            }
        }
        r.data = static_cast<const char *>(t.data) + t.byte_offset;
        refs.push_back(std::move(r));
    }
    std::map<std::string, std::string> meta = extra;
    meta[kConfigKey] = config_toml;
    meta[kFormatKey] = kFormatValue;
    write_safetensors(path, refs, meta);
}

std::string checkpoint_config(const SafetensorsFile &file) {
    auto it = file.metadata().find(kConfigKey);
    return it == file.metadata().end() ? std::string() : it->second;
}

}  // namespace hrm::common
