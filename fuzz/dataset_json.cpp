// dataset.json of a dataset split (the arrays are the bundled sample's): see dataset_harness.hpp.
#include "dataset_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    // Only the first part: a separator in the input must not turn this into the arrays target.
    hrm::fuzz::fuzz_dataset(hrm::fuzz::cut(in, hrm::fuzz::kSep).first);
    return 0;
}
