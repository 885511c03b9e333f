// Kafka error codes as the client sees them: their names (for one-line CLI errors such as
// "topic 'x' already exists (TOPIC_ALREADY_EXISTS)"), which of them are worth a retry, and
// ClientError, the error side of every Result the client returns.
//
// Local failures (connection refused, a request that timed out, a response that does not decode)
// are mapped onto the Kafka codes a Java client would report for them (NETWORK_EXCEPTION,
// REQUEST_TIMED_OUT, CORRUPT_MESSAGE, UNSUPPORTED_VERSION), so callers handle one kind of error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/protocol/error_codes.h"

namespace eddy::client {

namespace error_code = ::eddy::kafka_error;  // the codes, by name

using ::eddy::kafka_error::error_name;

using ::eddy::kafka_error::is_retriable;

struct ClientError {
    int16_t code = error_code::unknown_server_error;
    // Detail for humans: the broker's error_message when it sent one, or what failed locally.
    // May be empty.
    std::string message;

    // "<message> (<NAME>)" or just the name.
    std::string to_string() const;
};

// An error about topic `name` worded for people: "topic 'x' already exists",
// "topic 'x' does not exist", else "topic 'x': <broker message>" (or just "topic 'x'").
ClientError topic_error(int16_t code, const std::string& name,
                        const std::optional<std::string>& broker_message);

}  // namespace eddy::client
