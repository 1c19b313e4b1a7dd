// The runner's subcommands. Each parses its own options (argv[0] is the subcommand name) and
// returns the process exit code: 0 success, 1 failure of the work, 2 bad arguments.
#pragma once

int cmd_plugins(int argc, char **argv);
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
