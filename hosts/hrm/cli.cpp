#include "cli.hpp"

#include <fstream>
#include <iostream>
#include <iterator>

#include <sys/stat.h>
#include <unistd.h>

namespace hrm::runner {

void add_common_options(po::options_description &opts, CommonOptions &common) {
    opts.add_options()
        ("plugin-path", po::value(&common.plugin_path), "':'-separated plugin folders searched before $HRM_PLUGIN_PATH")
        ("config,c", po::value(&common.configs)->composing(), "TOML config file (repeatable; later files override)")
        ("set", po::value(&common.sets)->composing(), "override a config key: --set model.hidden_size=128")
        ("verbose,v", po::bool_switch(&common.verbose), "log debug messages")
        ("help,h", "show this help");
}

int parse_args(int argc, char **argv, const std::string &usage, const po::options_description &opts,
               const po::positional_options_description &positional, po::variables_map &vm) {
    try {
        po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
        if (vm.count("help")) {
            std::cout << "usage: " << usage << "\n\n" << opts << "\n";
            return 0;
        }
        po::notify(vm);
    } catch (const po::error &e) {
        std::cerr << "error: " << e.what() << "\nusage: " << usage << "\n(add --help for every option)\n";
        return 2;
    }
    return -1;
}

Config load_config(const CommonOptions &common) { return Config::load(common.configs, common.sets); }

Runtime open_runtime(const CommonOptions &common, int n_threads) {
    hrm_runtime_params params;
    hrm_runtime_params_init(&params, sizeof params);
    params.n_threads = n_threads;
    params.plugin_path = common.plugin_path.empty() ? nullptr : common.plugin_path.c_str();
    params.log_level = common.verbose ? HRM_LOG_DEBUG : HRM_LOG_WARN;
    Runtime runtime(&params);
    runtime.load_default();
    return runtime;
}

std::string read_input(const std::string &path) {
    std::string text;
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), {});
        if (std::cin.bad()) throw std::runtime_error("cannot read standard input");
    } else {
        // An ifstream opens a folder and then reads nothing, which looked like an empty file.
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            throw std::runtime_error("'" + path + "' is a folder, not a file");
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open '" + path + "'");
        text.assign(std::istreambuf_iterator<char>(in), {});
        if (in.bad()) throw std::runtime_error("cannot read '" + path + "'");
    }
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
    return text;
}

std::optional<hrm_precision> parse_precision_name(const std::string &name) {
    if (name == "fp32") return HRM_PRECISION_FP32;
    if (name == "bf16") return HRM_PRECISION_BF16;
    if (name == "int8") return HRM_PRECISION_INT8;
    return std::nullopt;
}

bool stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }

namespace {
hrm::train::Comm *g_world = nullptr;
}  // namespace

hrm::train::Comm &world() { return g_world ? *g_world : hrm::train::solo_comm(); }
void set_world(hrm::train::Comm *comm) { g_world = comm; }

}  // namespace hrm::runner
