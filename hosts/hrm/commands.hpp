// The runner's subcommands. Each parses its own options (argv[0] is the subcommand name) and
// returns the process exit code: 0 success, 1 failure of the work, 2 bad arguments.
#pragma once

#include <string>
#include <vector>

int cmd_plugins(int argc, char **argv);
int cmd_check_plugin(int argc, char **argv);
int cmd_oracle(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_solve(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_gridnav(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_arc_dataset(int argc, char **argv);
int cmd_arc_eval(int argc, char **argv);
int cmd_gridnav_oracle(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_export(int argc, char **argv);

namespace hrm::runner {
class Config;
// Gridnav instances (a window with its optimal path) cut from MovingAI maps: every .map among
// paths (files or folders) with the .scen files named after it; [task] moves/radius/window apply.
std::vector<std::string> gridnav_map_windows(const std::vector<std::string> &paths, const Config &config);
}  // namespace hrm::runner
