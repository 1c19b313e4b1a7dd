// The instance config of a task encoder (hrm_instance_params.config), shared by the sudoku, maze
// and gridnav plugins: TOML whose one table is [task], as hosts pass the [task] table of their own
// config file. Plugin-side only (needs toml++ and hrm_plugin.hpp, which the task libraries do not).
#pragma once

#include <string>

#include <toml++/toml.h>

#include "hrm/hrm_plugin.hpp"

namespace hrm::task {

// The [task] table of config (empty when config is NULL, empty or has none). Other tables are
// left alone (a whole config file may be passed, as to policies), but invalid TOML and a plain
// key outside any table are refused, naming it: `canvas = 11` at the top level is a mistake (the
// option belongs in [task]) that an encoder must not silently ignore.
inline toml::table task_table(const char* config, const std::string& what) {
  using hrm::plugin::require;
  if (!config || !*config) return {};
  toml::table root;
  try {
    root = toml::parse(config);
  } catch (const toml::parse_error& err) {
    throw hrm::plugin::Error(HRM_E_INVALID_ARG, what + ": not valid TOML: " + std::string(err.description()) +
                                                    " (line " + std::to_string(err.source().begin.line) + ")");
  }
  for (const auto& [key, value] : root)
    require(value.is_table(), HRM_E_INVALID_ARG,
            what + ": unknown key '" + std::string(key.str()) + "' (options go in the [task] table)");
  const toml::node* task = root.get("task");
  if (!task) return {};
  require(task->is_table(), HRM_E_INVALID_ARG, what + ": [task] must be a table");
  return *task->as_table();
}

}  // namespace hrm::task
