// What the commands that work on a node's configuration and data directory share (`eddy broker`,
// `eddy format`): the --config FILE / --override KEY=VALUE pair, the node's PosixEnv, and
// --add-scram (the SCRAM credentials a new cluster starts with, bootstrap_records.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/posix_env.h"
#include "services/config/config.h"
#include "services/controller/metadata_image.h"

namespace eddy::cli {

// Reads FILE (Java properties) and applies it, then the KAFKA_* / EDDY_* environment variables
// (runtime/env_config.h), then the overrides over the defaults. Variables that name no key are
// named in one warning line on stderr. On failure prints
// "eddy <command>: <reason>" on stderr (one line) and returns nullopt: the caller exits 2.
std::optional<config::BrokerConfig> load_config_or_report(
    const char* command, const std::string& config_file, const std::vector<std::string>& overrides);

// --log-level and --log-format of a command that starts brokers (eddy broker, eddy dev).
struct LogOptions {
    std::string level;   // empty: not given
    std::string format;  // empty: not given

    // Adds both options to `cmd`; `whose` starts their help ("Log levels", "Every node's log
    // levels").
    void add_to(CLI::App& cmd, const std::string& whose);
    // Appends them as the last --override of log.level and log.format, so they win over every
    // other layer.
    void append_overrides(std::vector<std::string>& overrides) const;
};

// A PosixEnv rooted at the node's data directory (log.dirs, created if missing), logging as
// log.level and log.format say; `quieter` raises every level to at least it (format: warn).
// On failure prints "eddy <command>: <reason>" and returns null: the caller exits 1.
std::unique_ptr<PosixEnv> node_env_or_report(const char* command, const config::BrokerConfig& cfg,
                                             std::string node_name,
                                             LogLevel quieter = LogLevel::debug);

// The records of the --add-scram values (salts from OpenSSL). On a bad value prints
// "eddy <command>: --add-scram #N: <reason>" (one line) and returns nullopt: the caller exits 2.
std::optional<std::vector<controller::MetadataRecord>> add_scram_or_report(
    const char* command, const std::vector<std::string>& values);

// Before the directory is formatted: writes `records` (if any) as its bootstrap records when it
// is not formatted yet, or says on stderr that they are ignored when it is. False (after one
// line on stderr) when they could not be written: the caller exits 1. Suspends.
bool write_bootstrap_or_report(const char* command, Env& env, const std::string& dir_display,
                               const std::vector<controller::MetadataRecord>& records);

}  // namespace eddy::cli
