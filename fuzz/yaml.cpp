// The strict YAML reader of `hrm convert` (all_config.yaml beside a reference checkpoint): any
// input must parse or be refused with an SDK error, and a parsed document must be walkable.
#include "fuzz_util.hpp"
#include "hrm/common/yaml.hpp"

namespace {

std::size_t walk(const hrm::common::yaml::Node &n) {
    std::size_t count = 1 + n.text.size();
    for (const auto &c : n.list) count += walk(c);
    for (const auto &kv : n.map) count += kv.first.size() + walk(kv.second);
    return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    hrm::fuzz::expect_clean_rejection([&] {
        static volatile std::size_t sink;
        sink = walk(hrm::common::yaml::parse(in, "all_config.yaml"));
    });
    return 0;
}
