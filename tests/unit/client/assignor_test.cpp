// The range assignor and the consumer protocol bytes the group member writes.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/protocol/consumer_protocol.h"
#include "services/client/assignor.h"

using namespace eddy;
using namespace eddy::client;

TEST_CASE("range assignor: Kafka's split, the first members take the remainder") {
    const std::vector<MemberSubscription> members = {
        {"b", {"t1", "t2"}}, {"a", {"t1", "t2"}}, {"c", {"t1"}}};
    auto out = range_assign(members, {{"t1", 7}, {"t2", 3}, {"unused", 4}});
    REQUIRE(out.size() == 3);
    // t1: 7 over a, b, c -> 3, 2, 2; t2: 3 over a, b -> 2, 1.
    CHECK(out["a"] == protocol::PartitionList{{"t1", 0}, {"t1", 1}, {"t1", 2}, {"t2", 0}, {"t2", 1}});
    CHECK(out["b"] == protocol::PartitionList{{"t1", 3}, {"t1", 4}, {"t2", 2}});
    CHECK(out["c"] == protocol::PartitionList{{"t1", 5}, {"t1", 6}});
    // A topic missing from metadata is assigned to nobody; members still get an entry.
    auto none = range_assign({{"a", {"gone"}}}, {});
    CHECK(none.size() == 1);
    CHECK(none["a"].empty());
}

TEST_CASE("property: range assignment is disjoint, complete and balanced per topic") {
    const bool ok = rc::check("range assignor", [] {
        const auto member_count = *rc::gen::inRange<size_t>(1, 8);
        const auto topic_count = *rc::gen::inRange<size_t>(1, 4);
        std::map<std::string, int32_t> partitions;
        for (size_t t = 0; t < topic_count; ++t) {
            partitions["t" + std::to_string(t)] = *rc::gen::inRange<int32_t>(0, 20);
        }
        std::vector<MemberSubscription> members;
        for (size_t m = 0; m < member_count; ++m) {
            MemberSubscription s;
            s.member_id = "m" + std::to_string(*rc::gen::inRange<int>(0, 1000)) + "-" +
                          std::to_string(m);
            for (const auto& [topic, n] : partitions) {
                if (*rc::gen::arbitrary<bool>()) {
                    s.topics.insert(topic);
                }
            }
            members.push_back(s);
        }
        const auto out = range_assign(members, partitions);
        RC_ASSERT(out.size() == members.size());
        std::set<std::pair<std::string, int32_t>> seen;
        for (const auto& m : members) {
            for (const auto& tp : out.at(m.member_id)) {
                RC_ASSERT(m.topics.contains(tp.first));  // only subscribed topics
                RC_ASSERT(seen.insert(tp).second);        // disjoint
            }
        }
        for (const auto& [topic, n] : partitions) {
            size_t subscribers = 0;
            size_t lo = SIZE_MAX;
            size_t hi = 0;
            for (const auto& m : members) {
                if (!m.topics.contains(topic)) {
                    continue;
                }
                ++subscribers;
                size_t mine = 0;
                for (const auto& tp : out.at(m.member_id)) {
                    mine += tp.first == topic ? 1 : 0;
                }
                lo = std::min(lo, mine);
                hi = std::max(hi, mine);
            }
            for (int32_t p = 0; p < n; ++p) {
                // complete when anyone subscribes, else unassigned
                RC_ASSERT(seen.contains({topic, p}) == (subscribers > 0));
            }
            if (subscribers > 0) {
                RC_ASSERT(hi - lo <= 1);  // balanced
            }
        }
    });
    CHECK(ok);
}

TEST_CASE("consumer protocol: assignments and subscriptions round-trip in every version") {
    const protocol::PartitionList parts = {{"a", 0}, {"a", 3}, {"b", 1}};
    for (int16_t v = 0; v <= 3; ++v) {
        CHECK(protocol::parse_assignment(protocol::encode_assignment(parts, v)) == parts);
        CHECK(protocol::parse_subscribed_topics(protocol::encode_subscription({"x", "y"}, v)) ==
              std::set<std::string>{"x", "y"});
    }
    CHECK(protocol::parse_assignment(Bytes{}) == protocol::PartitionList{});
    // Truncated or negative-version bytes are refused, never believed.
    Bytes cut = protocol::encode_assignment(parts, 1);
    cut.resize(cut.size() - 3);
    CHECK_FALSE(protocol::parse_assignment(cut).has_value());
    const Bytes negative = {std::byte{0xff}, std::byte{0xff}};
    CHECK_FALSE(protocol::parse_assignment(negative).has_value());
}
