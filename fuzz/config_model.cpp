// Model configs: the [model] table of a model TOML (configs/models/*.toml, a checkpoint's stored
// config, `--set model.KEY=...`) as the model plugins read it, for each arch. A config that is
// accepted must print to TOML that reads back to the same config (what checkpoints store).
#include "config.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    namespace core = hrm::models::core;
    if (size < 1) return 0;
    static const char *const kArchs[] = {"hrm", "trm", "transformer"};
    const std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
    hrm::fuzz::expect_clean_rejection([&] {
        const core::Config c = core::parse_config(text, "fuzz.toml", kArchs[data[0] % 3]);
        core::validate(c);
        (void)c.n_params();
        (void)c.flops_per_segment();
        const std::string printed = c.to_toml();
        if (core::parse_config(printed, "printed.toml").to_toml() != printed)
            hrm::fuzz::finding("to_toml", "the printed config does not read back to itself");
    });
    return 0;
}
