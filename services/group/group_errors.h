// The Kafka error codes the group coordinator answers with, as one enum owned by services/group.
// A group outcome is response data (STYLE.md "Errors", kind 3), so the enum's values are the Kafka
// codes themselves and `code()` is the one place they become wire integers. Record decoding has
// its own small error enum (RecordError, group_records.h).
#pragma once

#include <cstdint>

namespace eddy::group {

enum class Errc : int16_t {
    none = 0,
    unknown_server_error = -1,
    offset_metadata_too_large = 12,
    coordinator_not_available = 15,  // the group is Dead (being deleted) while we answer
    illegal_generation = 22,
    inconsistent_group_protocol = 23,
    invalid_group_id = 24,
    unknown_member_id = 25,
    invalid_session_timeout = 26,
    rebalance_in_progress = 27,
    invalid_request = 42,
    non_empty_group = 68,
    group_id_not_found = 69,
    member_id_required = 79,
    group_max_size_reached = 81,
    fenced_instance_id = 82,
    group_subscribed_to_topic = 86,
    unstable_offset_commit = 88,
};

constexpr int16_t code(Errc e) { return static_cast<int16_t>(e); }

}  // namespace eddy::group
