// hrm plugins: what the search path loads, library by library, with each class's kind, id, short
// name, version and features.
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"

using namespace hrm::runner;

namespace {

const char *kind_name(hrm_kind kind) {
    switch (kind) {
    case HRM_KIND_MODEL: return "model";
    case HRM_KIND_ENCODER: return "task";
    case HRM_KIND_POLICY: return "policy";
    default: return "?";
    }
}

}  // namespace

int cmd_plugins(int argc, char **argv) {
    CommonOptions common;
    po::options_description opts("hrm plugins options");
    add_common_options(opts, common);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, "hrm plugins [--plugin-path DIRS]", opts, {}, vm); rc >= 0) return rc;

    // Plugins run in this process: one that crashes or aborts in its init ends `hrm plugins` too
    // (docs/c-api.md, section 7). Say which folders are searched first, so the culprit is findable.
    if (common.verbose)
        std::cerr << "hrm plugins: loading in-process; a plugin that crashes here is at fault (run again with "
                     "--plugin-path DIR on one folder at a time to find it)\n";
    const hrm::Runtime runtime = open_runtime(common);
    const auto plugins = runtime.plugins();
    const auto classes = runtime.classes();
    if (plugins.empty()) {
        std::cout << "no plugins found (searched --plugin-path, $HRM_PLUGIN_PATH and the install folder)\n";
        return 1;
    }
    for (size_t p = 0; p < plugins.size(); ++p) {
        const auto &lib = plugins[p];
        std::cout << lib.id << " " << lib.version << "  (API " << lib.api_version << ", ABI " << lib.abi_major << ")\n"
                  << "  " << lib.path << "\n";
        for (const auto &c : classes) {
            if (c.plugin_index != int32_t(p)) continue;
            const hrm_descriptor &d = *c.descriptor;
            std::cout << "  " << kind_name(d.kind) << std::string(8 - std::string(kind_name(d.kind)).size(), ' ')
                      << d.name << "  " << d.id << " " << d.version << "  " << d.description;
            if (d.features && d.features[0]) {
                std::cout << "  [";
                for (const char *const *f = d.features; *f; ++f) std::cout << (f == d.features ? "" : ", ") << *f;
                std::cout << "]";
            }
            std::cout << "\n";
        }
    }
    return 0;
}
