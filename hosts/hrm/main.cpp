// hrm: the SDK's bundled runner. `hrm <command> [options]`; `hrm <command> --help` for each.
#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <hrm/hrm.h>
#include <hrm/kernels/cpu.hpp>

#include "cli.hpp"
#include "commands.hpp"

#if HRM_WITH_MPI
#include <hrm/train/mpi_comm.hpp>
#endif

namespace {

struct Command {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
    bool distributed = false;   // runs as the ranks of an mpirun job (docs/distributed.md)
};

const Command kCommands[] = {
    {"plugins", cmd_plugins, "list the plugins on the search path and their classes"},
    {"check-plugin", cmd_check_plugin, "drive every slot of a plugin through the C API and report (for authors)"},
    {"oracle", cmd_oracle, "solve puzzles with a task's exact solver"},
    {"solve", cmd_solve, "batch-solve puzzles with a model and a refinement policy", true},
    {"train", cmd_train, "train a model on a dataset (resumable)", true},
    {"eval", cmd_eval, "evaluate a checkpoint on a dataset with the reference metrics", true},
    {"dataset", cmd_dataset, "build, import or check a dataset in the reference layout"},
    {"bench", cmd_bench, "measure this CPU's peak and model throughput as % of it (and PyTorch's, as the baseline)"},
    {"gridnav", cmd_gridnav, "MovingAI maps: cut windows into gridnav instances"},
    {"convert", cmd_convert, "convert a reference HRM/TRM checkpoint (step_N beside all_config.yaml) to safetensors"},
    {"forward", cmd_forward, "run a model for N segments and write logits and Q values"},
    {"export", cmd_export, "write a training checkpoint's deployable model (its EMA weights, if any)"},
};

void print_usage(std::ostream &out) {
    out << "usage: hrm <command> [options]     (hrm <command> --help for its options)\n\ncommands:\n";
    size_t width = 0;
    for (const auto &c : kCommands) width = std::max(width, std::strlen(c.name));
    for (const auto &c : kCommands) out << "  " << c.name << std::string(width + 2 - std::strlen(c.name), ' ') << c.summary << "\n";
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
                  << hrm_abi_major() << ")\n"
                  << "SIMD: " << hrm::kernels::cpu_target_summary() << "\n";
        return 0;
    }
    for (const auto &c : kCommands) {
        if (first != c.name) continue;
        using hrm::runner::world;
        // Under mpirun, MPI starts here and ends when `mpi` goes (MPI_Finalize after the command).
        std::unique_ptr<hrm::train::Comm> mpi;
        try {
#if HRM_WITH_MPI
            mpi = hrm::train::mpi_world_if_launched();
            hrm::runner::set_world(mpi.get());
#else
            // Every rank would run the whole command and write the same files.
            if (const char *n = std::getenv("OMPI_COMM_WORLD_SIZE"); n && std::atoi(n) > 1) {
                std::cerr << "hrm " << c.name << ": started by mpirun, but this hrm was built without MPI "
                          << "(HRM_WITH_MPI=OFF; install libopenmpi-dev and rebuild)\n";
                return 2;
            }
#endif
        } catch (const std::exception &e) {
            std::cerr << "hrm " << c.name << ": " << e.what() << "\n";
            return 1;
        }
        if (world().size() > 1 && !c.distributed) {
            if (world().rank() == 0)
                std::cerr << "hrm " << c.name << " runs in one process; start it without mpirun "
                          << "(train, solve and eval run distributed)\n";
            return 2;
        }
        try {
            return c.run(argc - 1, argv + 1);
        } catch (const std::exception &e) {
            const bool ranks = world().size() > 1;
            std::cerr << "hrm " << c.name << (ranks ? " (" + world().where() + ")" : std::string()) << ": " << e.what()
                      << "\n";
#if HRM_WITH_MPI
            // The other ranks may wait in a collective for this one: end the whole job now.
            if (ranks) hrm::train::mpi_abort(1);
#endif
            return 1;
        }
    }
    std::cerr << "hrm: unknown command '" << first << "'\n\n";
    print_usage(std::cerr);
    return 2;
}
