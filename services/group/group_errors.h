// The Kafka error codes the group coordinator answers with, as one enum owned by services/group.
// A group outcome is response data (STYLE.md "Errors", kind 3), so the enum's values are the Kafka
// codes themselves and `code()` is the one place they become wire integers. Record decoding has
// its own small error enum (RecordError, group_records.h).
#pragma once

#include <cstdint>

#include "core/protocol/error_codes.h"

namespace eddy::group {

enum class Errc : int16_t {
    none = kafka_error::none,
    unknown_server_error = kafka_error::unknown_server_error,
    offset_metadata_too_large = kafka_error::offset_metadata_too_large,
    coordinator_not_available = kafka_error::coordinator_not_available,  // the group is Dead (being
                                                                         // deleted) while we answer
    illegal_generation = kafka_error::illegal_generation,
    inconsistent_group_protocol = kafka_error::inconsistent_group_protocol,
    invalid_group_id = kafka_error::invalid_group_id,
    unknown_member_id = kafka_error::unknown_member_id,
    invalid_session_timeout = kafka_error::invalid_session_timeout,
    rebalance_in_progress = kafka_error::rebalance_in_progress,
    invalid_request = kafka_error::invalid_request,
    non_empty_group = kafka_error::non_empty_group,
    group_id_not_found = kafka_error::group_id_not_found,
    member_id_required = kafka_error::member_id_required,
    group_max_size_reached = kafka_error::group_max_size_reached,
    fenced_instance_id = kafka_error::fenced_instance_id,
    group_subscribed_to_topic = kafka_error::group_subscribed_to_topic,
    unstable_offset_commit = kafka_error::unstable_offset_commit,
};

constexpr int16_t code(Errc e) { return static_cast<int16_t>(e); }

}  // namespace eddy::group
