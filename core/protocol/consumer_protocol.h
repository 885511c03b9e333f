// The "consumer" embedded protocol (KIP-62's ConsumerProtocolSubscription and
// ConsumerProtocolAssignment, versions 0-3): the bytes a consumer puts in JoinGroup's member
// metadata and the group leader puts in SyncGroup's assignments. The coordinator treats them as
// opaque except where Kafka reads them too (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC, KIP-496
// offsets retention); Eddy's client writes and reads them as a group member.
//
// Both are an int16 version followed by the struct. A version above 3 is read as v3, as Kafka's
// ConsumerProtocol does (newer versions only append fields). Parsing never trusts the bytes:
// anything that does not decode gives nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"

namespace eddy::protocol {

inline constexpr const char* consumer_protocol_type = "consumer";

// The subscribed topics, or none if the bytes are not a valid subscription.
std::optional<std::set<std::string>> parse_subscribed_topics(ByteSpan metadata);

// Encodes a subscription (version 0-3) with these topics.
Bytes encode_subscription(const std::set<std::string>& topics, int16_t version);

// (topic, partition) pairs, sorted.
using PartitionList = std::vector<std::pair<std::string, int32_t>>;

// The assigned partitions, sorted; none if the bytes are not a valid assignment. Empty bytes are
// an empty assignment (a member the leader gave nothing).
std::optional<PartitionList> parse_assignment(ByteSpan assignment);

// Encodes an assignment (version 0-3); `partitions` grouped by topic in the order given.
Bytes encode_assignment(const PartitionList& partitions, int16_t version);

}  // namespace eddy::protocol
