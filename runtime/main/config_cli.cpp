#include "runtime/main/config_cli.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "runtime/env_config.h"
#include "runtime/sasl_random_openssl.h"
#include "services/controller/bootstrap_records.h"
#include "services/controller/meta_properties.h"

namespace eddy::cli {

std::optional<config::BrokerConfig> load_config_or_report(
    const char* command, const std::string& config_file,
    const std::vector<std::string>& overrides) {
    std::vector<std::pair<std::string, std::string>> file_pairs;
    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in) {
            std::fprintf(stderr, "eddy %s: cannot read %s\n", command, config_file.c_str());
            return std::nullopt;
        }
        std::stringstream text;
        text << in.rdbuf();
        auto parsed = config::parse_properties(text.str());
        if (!parsed.ok()) {
            std::fprintf(stderr, "eddy %s: %s: %s\n", command, config_file.c_str(),
                         parsed.error().c_str());
            return std::nullopt;
        }
        file_pairs = std::move(parsed).value();
    }
    std::vector<std::pair<std::string, std::string>> override_pairs;
    for (const auto& o : overrides) {
        const size_t eq = o.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::fprintf(stderr, "eddy %s: --override expects KEY=VALUE, got '%s'\n", command,
                         o.c_str());
            return std::nullopt;
        }
        override_pairs.emplace_back(o.substr(0, eq), o.substr(eq + 1));
    }
    // Precedence, lowest first: defaults, the file, the environment, --override
    // (runtime/env_config.h).
    EnvConfig env = config_from_process_environment();
    if (!env.ignored.empty()) {
        std::string names;
        for (const auto& n : env.ignored) {
            names += (names.empty() ? "" : ", ") + n;
        }
        std::fprintf(stderr, "eddy %s: environment: ignored, no such configuration key: %s\n",
                     command, names.c_str());
    }
    std::vector<config::ConfigSource> sources;
    sources.push_back({"config file", std::move(file_pairs)});
    for (auto& s : env.sources) {
        sources.push_back(std::move(s));
    }
    sources.push_back({"--override", std::move(override_pairs)});
    auto loaded = config::BrokerConfig::load(sources);
    if (!loaded.ok()) {
        std::fprintf(stderr, "eddy %s: %s\n", command, loaded.error().c_str());
        return std::nullopt;
    }
    return std::move(loaded).value();
}

void LogOptions::add_to(CLI::App& cmd, const std::string& whose) {
    cmd.add_option("--log-level", level,
                   whose + ": debug|info|warn|error|off, with per-component overrides, e.g. "
                           "info,raft=debug,kafka=debug (the config key log.level; components in "
                           "docs/operations.md)");
    cmd.add_option("--log-format", format,
                   "text (default) or json: one JSON object per line (the config key "
                   "log.format)");
}

void LogOptions::append_overrides(std::vector<std::string>& overrides) const {
    if (!level.empty()) {
        overrides.push_back("log.level=" + level);
    }
    if (!format.empty()) {
        overrides.push_back("log.format=" + format);
    }
}

std::unique_ptr<PosixEnv> node_env_or_report(const char* command, const config::BrokerConfig& cfg,
                                             std::string node_name, LogLevel quieter) {
    PosixEnvOptions po;
    po.data_dir = cfg.log_dir();
    po.node = NodeId(cfg.node_id());
    po.node_name = std::move(node_name);
    po.log_levels = cfg.log_levels();
    po.log_levels.base = std::max(po.log_levels.base, quieter);
    for (auto& o : po.log_levels.overrides) {
        o.second = std::max(o.second, quieter);
    }
    po.log_format = cfg.log_format();
    auto made = PosixEnv::create(po);
    if (!made.ok()) {
        std::fprintf(stderr, "eddy %s: %s\n", command, made.error().c_str());
        return nullptr;
    }
    return std::move(made).value();
}

std::optional<std::vector<controller::MetadataRecord>> add_scram_or_report(
    const char* command, const std::vector<std::string>& values) {
    OpenSSLSaslRandom random;  // salts: never a seeded stream
    auto records = controller::scram_bootstrap_records(values, random);
    if (!records.ok()) {
        std::fprintf(stderr, "eddy %s: %s\n", command, records.error().c_str());
        return std::nullopt;
    }
    return std::move(records).value();
}

bool write_bootstrap_or_report(const char* command, Env& env, const std::string& dir_display,
                               const std::vector<controller::MetadataRecord>& records) {
    if (records.empty()) {
        return true;
    }
    auto formatted = controller::read_meta_properties(env, "");
    if (formatted.ok() && formatted->has_value()) {
        std::fprintf(stderr,
                     "eddy %s: %s is already formatted: --add-scram ignored (the credentials of an "
                     "existing cluster are changed with `eddy user set-password`)\n",
                     command, dir_display.c_str());
        return true;
    }
    // An unreadable meta.properties is reported by the formatting step that follows.
    if (auto w = controller::write_bootstrap_records(env, "", records); !w.ok()) {
        std::fprintf(stderr, "eddy %s: %s/%s\n", command, dir_display.c_str(), w.error().c_str());
        return false;
    }
    return true;
}

}  // namespace eddy::cli
