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

// Ordered by key.
std::span<const SupportedApi> supported_apis();
// The range for a key, or nullopt when the broker does not serve it.
std::optional<SupportedApi> supported(protocol::ApiKey key);

}  // namespace eddy::kafka
