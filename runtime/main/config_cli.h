// What the commands that work on a node's configuration and data directory share (`eddy broker`,
// `eddy format`): the --config FILE / --override KEY=VALUE pair, and the node's PosixEnv.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/posix_env.h"
#include "services/config/config.h"

namespace eddy::cli {

// Reads FILE (Java properties) and applies the overrides over the defaults. On failure prints
// "eddy <command>: <reason>" on stderr (one line) and returns nullopt: the caller exits 2.
std::optional<config::BrokerConfig> load_config_or_report(
    const char* command, const std::string& config_file, const std::vector<std::string>& overrides);

// A PosixEnv rooted at the node's data directory (log.dirs, created if missing). On failure prints
// "eddy <command>: <reason>" and returns null: the caller exits 1.
std::unique_ptr<PosixEnv> node_env_or_report(const char* command, const config::BrokerConfig& cfg,
                                             std::string node_name,
                                             LogLevel log_level = LogLevel::info);

}  // namespace eddy::cli
