// Shared command-line plumbing of the runner: options every subcommand takes, parsing with
// --help, and opening a runtime with the plugins on the search path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include <hrm/hrm.hpp>
#include <hrm/train/comm.hpp>

#include "config.hpp"

namespace hrm::runner {

namespace po = boost::program_options;

struct CommonOptions {
    std::string plugin_path;             // ':'-separated, searched before $HRM_PLUGIN_PATH
    std::vector<std::string> configs;    // TOML files, merged in order
    std::vector<std::string> sets;       // key=value overrides
    bool verbose = false;
};

// Adds --plugin-path, --config/-c, --set and --verbose/-v to opts.
void add_common_options(po::options_description &opts, CommonOptions &common);

// Parses argv (argv[0] = subcommand). Prints help for --help (exit 0) or the error and usage for
// bad arguments (exit 2). Returns -1 when the subcommand should go on.
int parse_args(int argc, char **argv, const std::string &usage, const po::options_description &opts,
               const po::positional_options_description &positional, po::variables_map &vm);

// The merged config of --config files and --set overrides.
Config load_config(const CommonOptions &common);

// A runtime with every plugin on the search path loaded.
Runtime open_runtime(const CommonOptions &common, int n_threads = 0);

// "fp32", "bf16" or "int8" as HRM_PRECISION_*; nullopt for anything else.
std::optional<hrm_precision> parse_precision_name(const std::string &name);

// Whole file, or standard input for "-"; a UTF-8 byte order mark at its start is skipped (editors on
// Windows write one; it is not part of the first record). A folder or a failed read is an error,
// not an empty input (issue #24: `hrm solve DIR` printed "solved 0/0" and exited 0).
std::string read_input(const std::string &path);

// True when standard output is a terminal (progress bars, ANSI colours).
bool stdout_is_terminal();

// The processes of this run (docs/distributed.md): Open MPI's world when started by mpirun in a
// build with HRM_WITH_MPI, else one process. main sets it before running a command.
hrm::train::Comm &world();
void set_world(hrm::train::Comm *comm);

}  // namespace hrm::runner
