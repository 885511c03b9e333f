// ApiError: a Kafka error code with an optional message, the outcome of one controller or broker
// operation on one resource (a topic, a partition, a config resource). Kafka outcomes are response
// data, not Result errors (STYLE.md): the caller copies code and message into its response.
// A message is at most protocol::limits::message_bytes_max bytes (plus echo()'s suffix).
// The codes: core/protocol/error_codes.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/protocol/error_codes.h"
#include "core/protocol/wire.h"

namespace eddy::controller {

struct ApiError {
    int16_t code = kafka_error::none;
    std::optional<std::string> message;

    bool ok() const { return code == kafka_error::none; }
    // Messages often repeat request content; they are bounded here, where every one is made.
    static ApiError of(int16_t code, std::string_view message) {
        return {code, protocol::echo(message, protocol::limits::message_bytes_max)};
    }
};

}  // namespace eddy::controller
