// ApiError: a Kafka error code with an optional message, the outcome of one controller or broker
// operation on one resource (a topic, a partition, a config resource). Kafka outcomes are response
// data, not Result errors (STYLE.md): the caller copies code and message into its response.
// The codes are Kafka's (org.apache.kafka.common.protocol.Errors); only those Eddy returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace eddy::kafka_error {

inline constexpr int16_t unknown_server_error = -1;
inline constexpr int16_t none = 0;
inline constexpr int16_t offset_out_of_range = 1;
inline constexpr int16_t corrupt_message = 2;
inline constexpr int16_t unknown_topic_or_partition = 3;
inline constexpr int16_t leader_not_available = 5;
inline constexpr int16_t not_leader_or_follower = 6;
inline constexpr int16_t request_timed_out = 7;
inline constexpr int16_t message_too_large = 10;
inline constexpr int16_t invalid_topic_exception = 17;
inline constexpr int16_t record_list_too_large = 18;
inline constexpr int16_t invalid_required_acks = 21;
inline constexpr int16_t unsupported_version = 35;
inline constexpr int16_t topic_already_exists = 36;
inline constexpr int16_t invalid_partitions = 37;
inline constexpr int16_t invalid_replication_factor = 38;
inline constexpr int16_t invalid_replica_assignment = 39;
inline constexpr int16_t invalid_config = 40;
inline constexpr int16_t invalid_request = 42;
inline constexpr int16_t unsupported_for_message_format = 43;
inline constexpr int16_t kafka_storage_error = 56;
inline constexpr int16_t topic_deletion_disabled = 73;
inline constexpr int16_t unsupported_compression_type = 76;
inline constexpr int16_t invalid_record = 87;
inline constexpr int16_t unknown_topic_id = 100;

}  // namespace eddy::kafka_error

namespace eddy::controller {

struct ApiError {
    int16_t code = kafka_error::none;
    std::optional<std::string> message;

    bool ok() const { return code == kafka_error::none; }
    static ApiError of(int16_t code, std::string message) { return {code, std::move(message)}; }
};

}  // namespace eddy::controller
