// The restricted pickle VM of the torch_zip reader on its own: the fuzz input is archive/data.pkl
// of an otherwise well-formed archive with two storages (archive/data/0: 64 bytes, archive/data/1:
// 4 bytes), so every mutation reaches the opcodes, the globals check and _rebuild_tensor_v2's
// bounds instead of dying in the zip layer.
#include "fuzz_util.hpp"
#include "hrm/common/torch_zip.hpp"
#include "zip_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm::fuzz::InputFile file;
    const std::string zip = hrm::fuzz::stored_zip({{"archive/data.pkl", std::string(reinterpret_cast<const char *>(data), size)},
                                                   {"archive/data/0", std::string(64, '\x01')},
                                                   {"archive/data/1", std::string(4, '\x02')},
                                                   {"archive/version", "3\n"}});
    const std::string &path = file.write(zip);
    hrm::fuzz::expect_clean_rejection([&] {
        std::size_t total = 0;
        for (const auto &t : hrm::common::read_torch_state_dict(path)) total += t.bytes.size();
        static volatile std::size_t sink;
        sink = total;
    });
    return 0;
}
