// A whole dataset split folder: dataset.json, the five .npy arrays and identifiers.json, cut from
// one input at "\n--8<--\n" (dataset_harness.hpp). Seeds join the sample's files that way.
#include "dataset_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    hrm::fuzz::fuzz_dataset(std::string_view(reinterpret_cast<const char *>(data), size));
    return 0;
}
