// NumPy .npy: the magic, the header dict literal and the data size (the dataset's arrays).
#include "fuzz_util.hpp"
#include "hrm/common/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm::fuzz::InputFile file;
    const std::string &path = file.write(data, size);
    hrm::fuzz::expect_clean_rejection([&] {
        const auto a = hrm::common::read_npy(path);
        // The typed copies the dataset reader makes.
        switch (a.dtype) {
            case hrm::common::DType::U8: (void)a.as<std::uint8_t>(a.dtype, path); break;
            case hrm::common::DType::I32: (void)a.as<std::int32_t>(a.dtype, path); break;
            case hrm::common::DType::I64: (void)a.as<std::int64_t>(a.dtype, path); break;
            case hrm::common::DType::F32: (void)a.as<float>(a.dtype, path); break;
            case hrm::common::DType::F64: (void)a.as<double>(a.dtype, path); break;
            default: break;
        }
    });
    return 0;
}
