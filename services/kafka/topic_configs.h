// Topic and broker configs as DescribeConfigs shows them: each key's effective value, where it
// comes from (Kafka's ConfigSource: a dynamic topic config, the static broker config, or the
// default) and, on request, its synonyms in precedence order. Also the validation of a topic
// config value (CreateTopics, AlterConfigs) and the LogConfig a topic's partitions run with.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/config/config.h"
#include "services/log/log_config.h"

namespace eddy::kafka {

// Kafka's DescribeConfigsResponse ConfigSource values.
namespace config_source {
inline constexpr int8_t unknown = 0;
inline constexpr int8_t topic = 1;
inline constexpr int8_t static_broker = 4;
inline constexpr int8_t default_config = 5;
inline constexpr int8_t dynamic_broker_logger = 6;  // KIP-412
}  // namespace config_source

struct ConfigSynonym {
    std::string name;
    std::string value;
    int8_t source = config_source::unknown;
};

struct ConfigEntry {
    std::string name;
    std::string value;
    int8_t source = config_source::default_config;
    bool read_only = false;
    int8_t type = 0;  // Kafka's ConfigType: 1 boolean, 2 string, 3 int, 5 long, 7 list
    std::string doc;
    std::vector<ConfigSynonym> synonyms;  // highest precedence first, the entry itself included
    bool sensitive = false;               // a password or private key: described without its value
};

// Every topic-level key, resolved for a topic with these dynamic configs.
std::vector<ConfigEntry> describe_topic_configs(const config::BrokerConfig& broker,
                                                const std::map<std::string, std::string>& dynamic);
// Every broker-level key (read-only: Eddy has no dynamic broker configs yet).
std::vector<ConfigEntry> describe_broker_configs(const config::BrokerConfig& broker);

// Why a topic config key/value is not acceptable, or nullopt.
std::optional<std::string> validate_topic_config(const std::string& key, const std::string& value);

// False for the topic keys Kafka documents that have no effect on an Eddy log (accepted by type,
// shown by DescribeConfigs; docs/broker.md "Configs" says why each is inert).
bool has_log_meaning(std::string_view key);

// The log defaults from the broker's static config (only keys set explicitly override LogConfig's
// own defaults, which are Kafka's except for durable flushing).
log::LogConfig broker_log_defaults(const config::BrokerConfig& broker);
// A topic's LogConfig: the broker defaults with its dynamic configs applied.
log::LogConfig topic_log_config(const log::LogConfig& defaults,
                                const std::map<std::string, std::string>& dynamic);

}  // namespace eddy::kafka
