// ElectLeaders' decisions and auto.leader.rebalance (services/controller/partition_changes.h):
// preferred and unclean elections, the answers when none is possible, and the imbalance rule.
#include <doctest/doctest.h>

#include "core/protocol/error_codes.h"
#include "services/controller/partition_changes.h"
#include "tests/unit/controller/image_fixtures.h"

using namespace eddy;
using namespace eddy::controller;
using namespace eddy::protocol::records;
using eddy::controller::testing::id_of;
using eddy::controller::testing::partition_record;
using eddy::controller::testing::registration;
using eddy::controller::testing::topic_record;

namespace e = eddy::kafka_error;

namespace {

// Brokers 1-3 registered and unfenced, 4 registered and fenced. Topic "t" (id 7):
//   0: replicas [1,2,3], ISR [1,2,3], leader 2 (not the preferred 1)
//   1: replicas [2,3,1], ISR [2,3,1], leader 2 (preferred)
//   2: replicas [3,1,2], ISR [1,2], leader 1 (preferred 3 out of the ISR)
//   3: replicas [4,1,2], ISR [4], no leader (the last ISR member, 4, is fenced)
MetadataImage cluster() {
    MetadataImage image = eddy::controller::testing::three_unfenced_one_fenced();
    image.apply(topic_record("t", id_of(7)));
    image.apply(partition_record(id_of(7), 0, {1, 2, 3}, {1, 2, 3}, 2, 5, 5));
    image.apply(partition_record(id_of(7), 1, {2, 3, 1}, {2, 3, 1}, 2, 1, 1));
    image.apply(partition_record(id_of(7), 2, {3, 1, 2}, {1, 2}, 1, 3, 4));
    image.apply(partition_record(id_of(7), 3, {4, 1, 2}, {4}, -1, 6, 8));
    return image;
}

}  // namespace

TEST_CASE("leader election: preferred moves leadership to the first replica when it may lead") {
    MetadataImage image = cluster();
    auto r = elect_leader(image, "t", 0, ElectionType::preferred);
    REQUIRE(r.change.has_value());
    CHECK(r.change->leader_ == 1);
    image.apply(*r.change);
    const PartitionState& p = *image.partition(id_of(7), 0);
    CHECK(p.leader == 1);
    CHECK(p.leader_epoch == 6);  // a new leader, a new epoch
    CHECK(p.isr == std::vector<int32_t>{1, 2, 3});
    // Again: not needed.
    CHECK(elect_leader(image, "t", 0, ElectionType::preferred).error == e::election_not_needed);
    CHECK(elect_leader(image, "t", 1, ElectionType::preferred).error == e::election_not_needed);
    // The preferred replica is out of the ISR.
    auto out = elect_leader(image, "t", 2, ElectionType::preferred);
    CHECK(out.error == e::preferred_leader_not_available);
    CHECK_FALSE(out.change.has_value());
    // The preferred replica is fenced (and the only ISR member).
    CHECK(elect_leader(image, "t", 3, ElectionType::preferred).error ==
          e::preferred_leader_not_available);
    CHECK(elect_leader(image, "t", 9, ElectionType::preferred).error ==
          e::unknown_topic_or_partition);
    CHECK(elect_leader(image, "nope", 0, ElectionType::preferred).error ==
          e::unknown_topic_or_partition);
}

TEST_CASE("leader election: unclean gives a leaderless partition a live replica, alone in the ISR") {
    MetadataImage image = cluster();
    CHECK(elect_leader(image, "t", 0, ElectionType::unclean).error == e::election_not_needed);
    auto r = elect_leader(image, "t", 3, ElectionType::unclean);
    REQUIRE(r.change.has_value());
    CHECK(r.change->leader_ == 1);  // the first replica that may lead (4 is fenced)
    REQUIRE(r.change->isr_.has_value());
    CHECK(*r.change->isr_ == std::vector<int32_t>{1});
    image.apply(*r.change);
    CHECK(image.partition(id_of(7), 3)->leader == 1);
    // Nobody may lead: every replica fenced.
    MetadataImage dark;
    dark.apply(registration(1, 11));
    dark.apply(topic_record("d", id_of(8)));
    dark.apply(partition_record(id_of(8), 0, {1}, {1}, -1, 1, 1));
    CHECK(elect_leader(dark, "d", 0, ElectionType::unclean).error ==
          e::eligible_leaders_not_available);
}

TEST_CASE("leader election: auto rebalance elects the preferred replicas of unbalanced brokers") {
    const MetadataImage image = cluster();
    // Broker 1 is the preferred replica of partition 0 only, led by 2: 100% imbalance.
    // Broker 3 prefers partition 2 but is out of its ISR: nothing can be done there.
    auto changes = rebalance_leaders(image, 0.10);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].partition_id_ == 0);
    CHECK(changes[0].leader_ == 1);
    // A tolerance above the imbalance: nothing.
    CHECK(rebalance_leaders(image, 1.0).empty());
}
