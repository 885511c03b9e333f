// Broker configuration from environment variables. See env_config.h.
#include "runtime/env_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>

extern char** environ;

namespace eddy {
namespace {

constexpr std::array<std::string_view, 2> prefixes = {"KAFKA_", "EDDY_"};

// Variables with a prefix that are not configuration keys by definition: those Apache Kafka's
// image reads itself (kafka-propertiesSpec.json's excludes, KAFKA_HEAP_OPTS spelled in full) and
// the default brokers of Eddy's client commands. Skipped without a warning.
constexpr std::string_view not_config[] = {
    "KAFKA_VERSION",
    "KAFKA_HEAP_OPTS",
    "KAFKA_HEAP_OPT",
    "KAFKA_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_LOG4J_ROOT_LOGLEVEL",
    "KAFKA_LOG4J_LOGGERS",
    "KAFKA_TOOLS_LOG4J_LOGLEVEL",
    "EDDY_BROKERS",
};

}  // namespace

std::optional<std::string> config_key_from_env_name(std::string_view name) {
    std::string_view rest;
    for (auto prefix : prefixes) {
        if (name.starts_with(prefix)) {
            rest = name.substr(prefix.size());
            break;
        }
    }
    if (rest.empty() || rest.front() == '_' || rest.back() == '_') {
        return std::nullopt;
    }
    std::string key;
    key.reserve(rest.size());
    for (size_t i = 0; i < rest.size();) {
        if (rest[i] != '_') {
            key += static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i])));
            ++i;
            continue;
        }
        size_t run = 0;
        while (i + run < rest.size() && rest[i + run] == '_') {
            ++run;
        }
        static constexpr std::array<char, 3> by_run = {'.', '_', '-'};
        if (run > by_run.size()) {
            return std::nullopt;
        }
        key += by_run[run - 1];
        i += run;
    }
    return key;
}

EnvConfig config_from_environment(const std::vector<std::string>& environment) {
    // (name, value) per prefix, sorted by name: the result does not depend on environ's order.
    std::array<std::vector<std::pair<std::string, std::string>>, prefixes.size()> by_prefix;
    for (const auto& entry : environment) {
        const size_t eq = entry.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        std::string name = entry.substr(0, eq);
        for (size_t p = 0; p < prefixes.size(); ++p) {
            if (name.starts_with(prefixes[p])) {
                by_prefix[p].emplace_back(std::move(name), entry.substr(eq + 1));
                break;
            }
        }
    }
    EnvConfig out;
    for (auto& vars : by_prefix) {
        std::sort(vars.begin(), vars.end());
        for (auto& [name, value] : vars) {
            if (std::find(std::begin(not_config), std::end(not_config), name) !=
                std::end(not_config)) {
                continue;
            }
            auto key = config_key_from_env_name(name);
            if (!key || !config::is_broker_key(*key)) {
                out.ignored.push_back(name + " (" + (key ? *key : "not a key name") + ")");
                continue;
            }
            out.sources.push_back({"environment variable " + name, {{*key, std::move(value)}}});
        }
    }
    std::sort(out.ignored.begin(), out.ignored.end());
    return out;
}

EnvConfig config_from_process_environment() {
    std::vector<std::string> entries;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        entries.emplace_back(*e);
    }
    return config_from_environment(entries);
}

}  // namespace eddy
