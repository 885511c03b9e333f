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

namespace eddy::client {

namespace error_code {
inline constexpr int16_t unknown_server_error = -1;
inline constexpr int16_t none = 0;
inline constexpr int16_t offset_out_of_range = 1;
inline constexpr int16_t corrupt_message = 2;
inline constexpr int16_t unknown_topic_or_partition = 3;
inline constexpr int16_t leader_not_available = 5;
inline constexpr int16_t not_leader_or_follower = 6;
inline constexpr int16_t request_timed_out = 7;
inline constexpr int16_t broker_not_available = 8;
inline constexpr int16_t network_exception = 13;
inline constexpr int16_t invalid_topic_exception = 17;
inline constexpr int16_t unsupported_version = 35;
inline constexpr int16_t topic_already_exists = 36;
inline constexpr int16_t invalid_partitions = 37;
inline constexpr int16_t invalid_config = 40;
inline constexpr int16_t invalid_request = 42;
inline constexpr int16_t unknown_topic_id = 100;
}  // namespace error_code

// Kafka's name for a code ("TOPIC_ALREADY_EXISTS"), or "UNKNOWN_ERROR_CODE" for codes this table
// does not list.
const char* error_name(int16_t code);

// True for codes after which the same request may succeed if retried (Kafka's RetriableException
// subclasses that a metadata refresh or a short wait can fix).
bool is_retriable(int16_t code);

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
