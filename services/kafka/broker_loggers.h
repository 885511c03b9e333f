// The broker's log levels as Kafka's BROKER_LOGGER config resource (KIP-412, what
// `kafka-configs --entity-type broker-loggers` and admin clients use): DescribeConfigs of type 8
// named by this node's id lists `root` (the level of every component without an override) and
// each component with the level it logs at; IncrementalAlterConfigs SETs `root` or a component to
// a level and DELETEs a component's override (back to root's). A change is this process's alone,
// as in Kafka: not persisted, gone at a restart, where log.level applies again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/env/log.h"
#include "core/protocol/generated/incremental_alter_configs.h"
#include "services/kafka/topic_configs.h"

namespace eddy::kafka {

inline constexpr int8_t config_resource_broker_logger = 8;

// `root` then every component (core/env/log.h's log_components), in that order.
std::vector<ConfigEntry> describe_broker_loggers(const LogLevels& levels);

struct BrokerLoggerChange {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
};

// Applies one resource's alterations to `levels`, all or none: an unknown logger or level, or an
// operation other than SET and DELETE (DELETE of root included), refuses the whole resource with
// INVALID_CONFIG or INVALID_REQUEST and leaves `levels` as it was.
BrokerLoggerChange alter_broker_loggers(
    LogLevels& levels, const std::vector<protocol::IncrementalAlterConfigsRequest::AlterableConfig>&
                           configs);

}  // namespace eddy::kafka
