// The parts of the "consumer" embedded protocol (ConsumerProtocolSubscription, v0-3) the
// coordinator must read, though member metadata is otherwise opaque to it: OffsetDelete refuses to
// delete offsets of a topic the group is subscribed to (GROUP_SUBSCRIBED_TO_TOPIC), and offsets
// retention only expires unsubscribed topics of a live consumer group (KIP-496).
//
// The metadata is an int16 version and the struct. A version above 3 is read as v3, as Kafka's
// ConsumerProtocol does (newer versions only append fields).
#pragma once

#include <optional>
#include <set>
#include <string>

#include "core/base/bytes.h"

namespace eddy::group {

inline constexpr const char* consumer_protocol_type = "consumer";

// The subscribed topics, or none if the bytes are not a valid subscription.
std::optional<std::set<std::string>> parse_subscribed_topics(ByteSpan metadata);

// Encodes a subscription (version 0-3) with these topics; for tests and tools.
Bytes encode_subscription(const std::set<std::string>& topics, int16_t version);

}  // namespace eddy::group
