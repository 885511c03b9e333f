// BROKER_LOGGER configs: see broker_loggers.h.
#include "services/kafka/broker_loggers.h"

#include <algorithm>

#include "core/base/ascii.h"
#include "core/protocol/wire.h"
#include "services/kafka/errors.h"

namespace eddy::kafka {

namespace {

constexpr std::string_view root_logger = "root";

ConfigEntry logger_entry(std::string_view name, LogLevel level) {
    ConfigEntry e;
    e.name = std::string(name);
    // log4j's names, as Kafka describes its loggers (INFO, DEBUG, ...).
    std::string upper = to_string(level);
    for (char& c : upper) {
        c = static_cast<char>(c - 'a' + 'A');
    }
    e.value = upper;
    e.source = config_source::dynamic_broker_logger;
    e.type = 2;  // STRING
    e.doc = name == root_logger ? "The level of every component without a level of its own"
                                : "The level of the " + std::string(name) + " component";
    e.synonyms.push_back({e.name, e.value, e.source});
    return e;
}

bool known_component(std::string_view name) {
    return std::find(std::begin(log_components), std::end(log_components), name) !=
           std::end(log_components);
}

}  // namespace

std::vector<ConfigEntry> describe_broker_loggers(const LogLevels& levels) {
    std::vector<ConfigEntry> out;
    out.push_back(logger_entry(root_logger, levels.base));
    for (std::string_view c : log_components) {
        out.push_back(logger_entry(c, levels.at(c)));
    }
    return out;
}

BrokerLoggerChange alter_broker_loggers(
    LogLevels& levels,
    const std::vector<protocol::IncrementalAlterConfigsRequest::AlterableConfig>& configs) {
    LogLevels next = levels;
    const auto refuse = [](int16_t code, std::string message) {
        return BrokerLoggerChange{code, std::move(message)};
    };
    for (const auto& c : configs) {
        const std::string name = ascii_lower(c.name_);
        const bool root = name == root_logger;
        if (!root && !known_component(name)) {
            return refuse(error::invalid_config,
                          "no logger '" + protocol::echo(c.name_) + "' (root or a component)");
        }
        if (c.config_operation_ == 0) {  // SET
            const auto level = parse_log_level(c.value_.value_or(""));
            if (!level) {
                return refuse(error::invalid_config,
                              "'" + protocol::echo(c.value_.value_or("")) +
                                  "' is not DEBUG, INFO, WARN, ERROR or OFF");
            }
            if (root) {
                next.base = *level;
                continue;
            }
            auto it = std::find_if(next.overrides.begin(), next.overrides.end(),
                                   [&](const auto& o) { return o.first == name; });
            if (it != next.overrides.end()) {
                it->second = *level;
            } else {
                next.overrides.emplace_back(name, *level);
            }
        } else if (c.config_operation_ == 1) {  // DELETE
            if (root) {
                return refuse(error::invalid_config, "the root logger's level cannot be removed");
            }
            std::erase_if(next.overrides, [&](const auto& o) { return o.first == name; });
        } else {
            return refuse(error::invalid_request,
                          "broker loggers take SET and DELETE only");
        }
    }
    levels = std::move(next);
    return {};
}

}  // namespace eddy::kafka
