// The APIs this broker serves and the version range of each: exactly what ApiVersions
// advertises and what the dispatcher accepts. Why these ranges: docs/broker.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/protocol/generated/api_keys.h"

namespace eddy::kafka {

struct SupportedApi {
    protocol::ApiKey key;
    int16_t min_version;
    int16_t max_version;
};

// Client listeners serve Kafka's client APIs; the controller listener (controller.listener.names)
// serves what nodes send each other: the quorum, broker registration, forwarded admin requests.
enum class ListenerKind : uint8_t { client, controller };

std::span<const SupportedApi> supported_apis(ListenerKind kind = ListenerKind::client);
// The range for a key, or nullopt when the listener does not serve it.
std::optional<SupportedApi> supported(protocol::ApiKey key,
                                      ListenerKind kind = ListenerKind::client);

}  // namespace eddy::kafka
