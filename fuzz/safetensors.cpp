// safetensors: header, dtypes, shapes and offsets of a file the SDK did not write (a stranger's
// checkpoint). Every byte of every tensor view is read so that a view reaching outside the file
// is an ASan finding.
#include "fuzz_util.hpp"
#include "hrm/common/checkpoint.hpp"
#include "hrm/common/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm::fuzz::InputFile file;
    const std::string &path = file.write(data, size);
    hrm::fuzz::expect_clean_rejection([&] {
        const hrm::common::SafetensorsFile f(path);
        unsigned sum = 0;
        for (const auto &t : f.tensors()) {
            const auto *b = static_cast<const std::uint8_t *>(t.data);
            for (std::size_t i = 0; i < t.nbytes; ++i) sum += b[i];
            (void)t.numel();
            (void)f.get(t.name, t.dtype, t.shape);
        }
        (void)hrm::common::checkpoint_config(f);
        static volatile unsigned sink;
        sink = sum;
    });
    return 0;
}
