// Runner configs: TOML files merged by `hrm --config`, `--set key=value` overrides, and the
// [train] table of a training config checked by read_train_config (hosts/hrm/train_config.cpp).
// The input is the file's text, then optionally "\n--set\n" and one override per line.
#include "config.hpp"
#include "fuzz_util.hpp"
#include "train_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm::fuzz::InputFile file;
    const auto [text, sets] = hrm::fuzz::cut(std::string_view(reinterpret_cast<const char *>(data), size), "\n--set\n");
    std::vector<std::string> overrides;
    for (std::string_view rest = sets; !rest.empty();) {
        const auto [line, after] = hrm::fuzz::cut(rest, "\n");
        overrides.emplace_back(line);
        rest = after;
    }
    const std::string &path = file.write(text);
    hrm::fuzz::expect_clean_rejection<hrm::runner::ConfigError>([&] {
        const hrm::runner::Config c = hrm::runner::Config::load({path}, overrides);
        (void)c.text();
        for (const char *section : {"model", "task", "policy"}) (void)c.section_text(section);
        (void)hrm::runner::read_train_config(c, path);
    });
    return 0;
}
