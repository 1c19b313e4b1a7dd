// ARC task JSON files (`hrm dataset build arc`, `hrm eval --task arc`): {"train": [...], "test":
// [...]} of grids 1..30 x 1..30 of colours 0..9.
#include "fuzz_util.hpp"
#include "task.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    hrm::fuzz::expect_clean_rejection([&] {
        const auto task = hrm::arc::parse_task(std::string_view(reinterpret_cast<const char *>(data), size), "fuzz");
        for (const auto &pair : task.train) (void)hrm::arc::grid_to_json(pair.input);
    });
    return 0;
}
