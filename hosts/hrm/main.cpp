// hrm: the SDK's bundled runner. `hrm <command> [options]`; `hrm <command> --help` for each.
#include <cstring>
#include <iostream>
#include <string>

#include <hrm/hrm.h>

#include "commands.hpp"

namespace {

struct Command {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
};

const Command kCommands[] = {
    {"plugins", cmd_plugins, "list the plugins on the search path and their classes"},
    {"oracle", cmd_oracle, "solve puzzles with a task's exact solver"},
    {"solve", cmd_solve, "batch-solve puzzles with a model and a refinement policy"},
    {"train", cmd_train, "train a model on a dataset (resumable)"},
    {"eval", cmd_eval, "evaluate a checkpoint on a dataset with the reference metrics"},
    {"dataset", cmd_dataset, "build, import or check a dataset in the reference layout"},
    {"bench", cmd_bench, "measure model throughput (and PyTorch's, as the baseline)"},
    {"gridnav", cmd_gridnav, "MovingAI maps: cut windows into gridnav instances"},
    {"convert", cmd_convert, "convert a reference PyTorch checkpoint to safetensors"},
    {"forward", cmd_forward, "run a model for N segments and write logits and Q values"},
    {"export", cmd_export, "write a training checkpoint's deployable model (its EMA weights, if any)"},
};

void print_usage(std::ostream &out) {
    out << "usage: hrm <command> [options]     (hrm <command> --help for its options)\n\ncommands:\n";
    for (const auto &c : kCommands) out << "  " << c.name << std::string(10 - std::strlen(c.name), ' ') << c.summary << "\n";
    out << "\nglobal options:\n  --version  print versions\n  --help     this help\n";
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(std::cerr);
        return 2;
    }
    const std::string first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        print_usage(std::cout);
        return 0;
    }
    if (first == "--version") {
        std::cout << "hrm " << hrm_version_string() << " (C API " << hrm_api_version() << ", plugin ABI major "
                  << hrm_abi_major() << ")\n";
        return 0;
    }
    for (const auto &c : kCommands) {
        if (first == c.name) {
            try {
                return c.run(argc - 1, argv + 1);
            } catch (const std::exception &e) {
                std::cerr << "hrm " << c.name << ": " << e.what() << "\n";
                return 1;
            }
        }
    }
    std::cerr << "hrm: unknown command '" << first << "'\n\n";
    print_usage(std::cerr);
    return 2;
}
