// The "range" partition assignor (Kafka's RangeAssignor, the Java consumer's default): the group
// leader runs it over every member's subscription. For each topic, the members subscribed to it,
// in member-id order, take consecutive ranges of its partitions; the first (partitions % members)
// take one more. Pure: no I/O, deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/protocol/consumer_protocol.h"

namespace eddy::client {

inline constexpr const char* range_assignor_name = "range";

struct MemberSubscription {
    std::string member_id;
    std::set<std::string> topics;
};

// Every member gets an entry (possibly empty). Topics missing from `partitions` (unknown to the
// leader's metadata) are assigned to nobody.
std::map<std::string, protocol::PartitionList> range_assign(
    const std::vector<MemberSubscription>& members,
    const std::map<std::string, int32_t>& partitions);

}  // namespace eddy::client
