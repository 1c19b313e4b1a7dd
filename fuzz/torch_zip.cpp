// The PyTorch zip checkpoint as `hrm convert` reads it: central directory, zip64 records, local
// headers, then the pickle and the storages. Seeds: tests/data/parity/*/*.pt style archives and
// fuzz/corpus/torch_zip (small torch.save files).
#include "fuzz_util.hpp"
#include "hrm/common/torch_zip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm::fuzz::InputFile file;
    const std::string &path = file.write(data, size);
    hrm::fuzz::expect_clean_rejection([&] { (void)hrm::common::list_zip(path); });
    hrm::fuzz::expect_clean_rejection([&] {
        std::size_t total = 0;
        for (const auto &t : hrm::common::read_torch_state_dict(path)) total += t.bytes.size() + std::size_t(t.numel());
        static volatile std::size_t sink;
        sink = total;
    });
    return 0;
}
