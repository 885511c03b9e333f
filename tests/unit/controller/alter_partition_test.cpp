// AlterPartition's decisions (services/controller/alter_partition.h): one test per Kafka rule, in
// Kafka's order, and hostile values that must be answered, never asserted on. The property with
// broker heartbeats is in alter_partition_property_test.cpp.
#include "services/controller/alter_partition.h"

#include <doctest/doctest.h>

#include <limits>

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

// Brokers 1, 2, 3 registered (epochs 11, 12, 13) and unfenced, 4 registered (epoch 14) and
// fenced, 5 never registered. Topic "t" (id 7), partition 0 on replicas 1..5 with ISR {1, 2},
// leader 1, leader epoch 4, partition epoch 9.
MetadataImage cluster() {
    MetadataImage image = eddy::controller::testing::three_unfenced_one_fenced();
    image.apply(topic_record("t", id_of(7)));
    image.apply(partition_record(id_of(7), 0, {1, 2, 3, 4, 5}, {1, 2}, 1, 4, 9));
    return image;
}

const PartitionState& partition0(const MetadataImage& image) {
    return *image.partition(id_of(7), 0);
}

// Broker 1, the leader, with its epoch.
IsrChangeSender leader(int16_t version = 3) { return {1, 11, version}; }

// Partition 0 of "t" at the current epochs, to `isr` (broker epochs unchecked).
IsrChange change(std::vector<int32_t> isr) {
    IsrChange c;
    c.topic_name = "t";
    c.topic_id = id_of(7);
    c.partition = 0;
    c.leader_epoch = 4;
    c.partition_epoch = 9;
    for (int32_t b : isr) {
        c.new_isr.push_back({b, -1});
    }
    return c;
}

// The error `c` gets, 0 when accepted.
int16_t code_of(const MetadataImage& image, const IsrChangeSender& sender, const IsrChange& c) {
    auto r = decide_isr_change(image, sender, c);
    return r.ok() ? e::none : r.error().code;
}

void set_state(MetadataImage& image, BrokerRegistrationChangeRecord r) {
    REQUIRE(!image.inconsistency(r).has_value());
    image.apply(r);
}

}  // namespace

TEST_CASE("alter partition: an ISR change is a record with the ISR alone") {
    MetadataImage image = cluster();
    auto r = decide_isr_change(image, leader(), change({1, 2, 3}));
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    const PartitionChangeRecord& c = **r;
    CHECK(c.topic_id_ == id_of(7));
    CHECK(c.partition_id_ == 0);
    CHECK(c.isr_ == std::optional<std::vector<int32_t>>(std::vector<int32_t>{1, 2, 3}));
    CHECK(c.leader_ == no_leader_change);
    CHECK(c.leader_recovery_state_ == no_leader_recovery_change);
    CHECK(!c.replicas_.has_value());
    // Applied: the partition epoch moves, the leader and its epoch stay (Kafka's merge).
    image.apply(c);
    CHECK(partition0(image).isr == std::vector<int32_t>{1, 2, 3});
    CHECK(partition0(image).partition_epoch == 10);
    CHECK(partition0(image).leader_epoch == 4);
    CHECK(partition0(image).leader == 1);

    // And a shrink at the new partition epoch.
    auto shrink = change({1});
    shrink.partition_epoch = 10;
    auto s = decide_isr_change(image, leader(), shrink);
    REQUIRE(s.ok());
    REQUIRE(s->has_value());
    CHECK((*s)->isr_ == std::optional<std::vector<int32_t>>(std::vector<int32_t>{1}));
}

TEST_CASE("alter partition: the same ISR changes nothing; another order is a change (Kafka)") {
    const MetadataImage image = cluster();
    auto same = decide_isr_change(image, leader(), change({1, 2}));
    REQUIRE(same.ok());
    CHECK(!same->has_value());
    auto reordered = decide_isr_change(image, leader(), change({2, 1}));
    REQUIRE(reordered.ok());
    CHECK(reordered->has_value());
}

TEST_CASE("alter partition: a sender not registered with that broker epoch: STALE_BROKER_EPOCH") {
    const MetadataImage image = cluster();
    CHECK(code_of(image, {1, 12, 3}, change({1})) == e::stale_broker_epoch);
    CHECK(code_of(image, {5, 11, 3}, change({1})) == e::stale_broker_epoch);  // unregistered
    CHECK(code_of(image, {-1, -1, 3}, change({1})) == e::stale_broker_epoch);
    // For the whole request: nothing else is decided.
    const auto d = decide_alter_partition(image, {1, 12, 3}, {change({1}), change({1, 2, 3})});
    CHECK(d.error.code == e::stale_broker_epoch);
    CHECK(d.outcomes.empty());
    CHECK(d.records.empty());
}

TEST_CASE("alter partition: an unknown topic: UNKNOWN_TOPIC_ID from v2, by name before") {
    const MetadataImage image = cluster();
    auto by_id = change({1});
    by_id.topic_id = id_of(8);
    CHECK(code_of(image, leader(2), by_id) == e::unknown_topic_id);
    CHECK(code_of(image, leader(3), by_id) == e::unknown_topic_id);
    by_id.topic_id = Uuid{};
    CHECK(code_of(image, leader(3), by_id) == e::unknown_topic_id);
    // v0-1 name the topic; the id is not read.
    CHECK(code_of(image, leader(1), by_id) == e::none);
    auto by_name = change({1});
    by_name.topic_name = "u";
    CHECK(code_of(image, leader(0), by_name) == e::unknown_topic_or_partition);
    CHECK(code_of(image, leader(1), by_name) == e::unknown_topic_or_partition);
    CHECK(code_of(image, leader(2), by_name) == e::none);  // v2 reads the id alone
}

TEST_CASE("alter partition: an unknown partition: UNKNOWN_TOPIC_OR_PARTITION") {
    const MetadataImage image = cluster();
    for (int32_t p : {1, -1, std::numeric_limits<int32_t>::max()}) {
        auto c = change({1});
        c.partition = p;
        CHECK(code_of(image, leader(), c) == e::unknown_topic_or_partition);
        CHECK(code_of(image, leader(0), c) == e::unknown_topic_or_partition);
    }
}

TEST_CASE("alter partition: epochs ahead of the controller's: NOT_CONTROLLER") {
    const MetadataImage image = cluster();
    auto c = change({1});
    c.leader_epoch = 5;
    CHECK(code_of(image, leader(), c) == e::not_controller);
    c = change({1});
    c.partition_epoch = 10;
    CHECK(code_of(image, leader(), c) == e::not_controller);
    // Checked before the sender is known to lead: the sender has newer metadata than ours.
    c.leader_epoch = std::numeric_limits<int32_t>::max();
    CHECK(code_of(image, {2, 12, 3}, c) == e::not_controller);
}

TEST_CASE("alter partition: an older leader epoch: FENCED_LEADER_EPOCH") {
    const MetadataImage image = cluster();
    auto c = change({1});
    c.leader_epoch = 3;
    CHECK(code_of(image, leader(), c) == e::fenced_leader_epoch);
    c.leader_epoch = std::numeric_limits<int32_t>::min();
    c.partition_epoch = 8;  // the leader epoch is checked first
    CHECK(code_of(image, leader(), c) == e::fenced_leader_epoch);
}

TEST_CASE("alter partition: a sender that does not lead the partition: INVALID_REQUEST") {
    const MetadataImage image = cluster();
    CHECK(code_of(image, {2, 12, 3}, change({1, 2})) == e::invalid_request);
    CHECK(code_of(image, {2, 12, 3}, change({2})) == e::invalid_request);
    CHECK(code_of(image, {4, 14, 3}, change({1})) == e::invalid_request);  // fenced, registered
}

TEST_CASE("alter partition: an older partition epoch: INVALID_UPDATE_VERSION") {
    const MetadataImage image = cluster();
    auto c = change({1});
    c.partition_epoch = 8;
    CHECK(code_of(image, leader(), c) == e::invalid_update_version);
    c.partition_epoch = -1;
    CHECK(code_of(image, leader(0), c) == e::invalid_update_version);
}

TEST_CASE("alter partition: an ISR not a set of replicas with the leader: INVALID_REQUEST") {
    const MetadataImage image = cluster();
    CHECK(code_of(image, leader(), change({1, 6})) == e::invalid_request);     // not a replica
    CHECK(code_of(image, leader(), change({1, 2, 1})) == e::invalid_request);  // twice
    CHECK(code_of(image, leader(), change({1, -1})) == e::invalid_request);    // negative
    CHECK(code_of(image, leader(), change({})) == e::invalid_request);         // empty
    CHECK(code_of(image, leader(), change({2, 3})) == e::invalid_request);     // without the leader
    CHECK(code_of(image, leader(0), change({2})) == e::invalid_request);
}

TEST_CASE("alter partition: leader recovery state 0 or 1, never back to RECOVERING") {
    MetadataImage image = cluster();
    for (int8_t state : {int8_t{-1}, int8_t{2}, int8_t{127}, int8_t{-128}}) {
        auto c = change({1});
        c.leader_recovery_state = state;
        CHECK(code_of(image, leader(), c) == e::invalid_request);
    }
    // RECOVERED (the partition's state) to RECOVERING.
    auto back = change({1});
    back.leader_recovery_state = leader_recovering;
    CHECK(code_of(image, leader(), back) == e::invalid_request);

    // A leader elected uncleanly (recovering, alone in its ISR).
    PartitionChangeRecord unclean;
    unclean.topic_id_ = id_of(7);
    unclean.partition_id_ = 0;
    unclean.isr_ = std::vector<int32_t>{1};
    unclean.leader_recovery_state_ = leader_recovering;
    image.apply(unclean);
    auto still = change({1});
    still.partition_epoch = 10;
    still.leader_recovery_state = leader_recovering;
    auto same = decide_isr_change(image, leader(), still);
    REQUIRE(same.ok());
    CHECK(!same->has_value());  // nothing changes
    // While recovering, its ISR is the leader alone.
    auto grow = change({1, 2});
    grow.partition_epoch = 10;
    grow.leader_recovery_state = leader_recovering;
    CHECK(code_of(image, leader(), grow) == e::invalid_request);
    // Recovered: the record carries the new state, and the ISR only if it changes.
    auto done = change({1});
    done.partition_epoch = 10;
    auto r = decide_isr_change(image, leader(), done);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->leader_recovery_state_ == leader_recovered);
    CHECK(!(*r)->isr_.has_value());
    image.apply(**r);
    CHECK(partition0(image).leader_recovery_state == leader_recovered);
    CHECK(partition0(image).partition_epoch == 11);
    CHECK(partition0(image).leader_epoch == 4);
}

TEST_CASE("alter partition: fenced, shutting-down, unknown, re-registered members: ineligible") {
    MetadataImage image = cluster();
    // Fenced 4, never registered 5: INELIGIBLE_REPLICA from v2, OPERATION_NOT_ATTEMPTED before.
    for (int32_t b : {4, 5}) {
        CHECK(code_of(image, leader(3), change({1, 2, b})) == e::ineligible_replica);
        CHECK(code_of(image, leader(2), change({1, 2, b})) == e::ineligible_replica);
        CHECK(code_of(image, leader(1), change({1, 2, b})) == e::operation_not_attempted);
        CHECK(code_of(image, leader(0), change({1, 2, b})) == e::operation_not_attempted);
    }
    // v3 (KIP-903): the broker epoch named for a member must be its registration's; -1 skips
    // the check.
    auto with_epochs = change({});
    with_epochs.new_isr = {{1, 11}, {2, 12}, {3, 99}};
    CHECK(code_of(image, leader(), with_epochs) == e::ineligible_replica);
    with_epochs.new_isr = {{1, 11}, {2, 12}, {3, 13}};
    CHECK(code_of(image, leader(), with_epochs) == e::none);
    with_epochs.new_isr = {{1, -1}, {2, 12}, {3, -1}};
    CHECK(code_of(image, leader(), with_epochs) == e::none);
    with_epochs.new_isr = {{1, 10}, {2, 12}};  // the leader's own stale epoch, too
    CHECK(code_of(image, leader(), with_epochs) == e::ineligible_replica);
    // 3 starts a controlled shutdown.
    BrokerRegistrationChangeRecord shutdown;
    shutdown.broker_id_ = 3;
    shutdown.broker_epoch_ = 13;
    shutdown.in_controlled_shutdown_ = 1;
    set_state(image, shutdown);
    CHECK(code_of(image, leader(), change({1, 2, 3})) == e::ineligible_replica);
}

TEST_CASE("alter partition: removing an ineligible member is always allowed (KIP-841)") {
    MetadataImage image = cluster();
    // 2 is fenced while still in the ISR (as between its fencing and the ISR change that
    // removes it).
    BrokerRegistrationChangeRecord fence;
    fence.broker_id_ = 2;
    fence.broker_epoch_ = 12;
    fence.fenced_ = 1;
    set_state(image, fence);
    CHECK(code_of(image, leader(), change({1})) == e::none);
    // Keeping it is not: Kafka checks every member of the new ISR.
    CHECK(code_of(image, leader(), change({1, 2, 3})) == e::ineligible_replica);
    CHECK(code_of(image, leader(), change({2, 1})) == e::ineligible_replica);
}

TEST_CASE("alter partition: a partition named twice in one request: INVALID_REQUEST again") {
    const MetadataImage image = cluster();
    auto other_name = change({1, 2, 3});
    const auto d = decide_alter_partition(image, leader(1), {change({1}), other_name});
    REQUIRE(d.error.ok());
    REQUIRE(d.outcomes.size() == 2);
    CHECK(d.outcomes[0].ok());
    CHECK(d.outcomes[1].code == e::invalid_request);
    REQUIRE(d.records.size() == 1);
    CHECK(d.records[0].isr_ == std::optional<std::vector<int32_t>>(std::vector<int32_t>{1}));
    // Unknown partitions named twice are just unknown.
    auto unknown = change({1});
    unknown.partition = 3;
    const auto u = decide_alter_partition(image, leader(), {unknown, unknown});
    REQUIRE(u.outcomes.size() == 2);
    CHECK(u.outcomes[0].code == e::unknown_topic_or_partition);
    CHECK(u.outcomes[1].code == e::invalid_request);
}

TEST_CASE("alter partition: a partition epoch at its int32 maximum is refused, not overflowed") {
    MetadataImage image = cluster();
    image.apply(
        partition_record(id_of(7), 1, {1, 2}, {1}, 1, 0, std::numeric_limits<int32_t>::max()));
    auto c = change({1, 2});
    c.partition = 1;
    c.leader_epoch = 0;
    c.partition_epoch = std::numeric_limits<int32_t>::max();
    CHECK(code_of(image, leader(), c) == e::unknown_server_error);
    auto same = change({1});
    same.partition = 1;
    same.leader_epoch = 0;
    same.partition_epoch = std::numeric_limits<int32_t>::max();
    CHECK(code_of(image, leader(), same) == e::none);  // no change needs no bump
}

TEST_CASE("alter partition: hostile values are answered") {
    const MetadataImage image = cluster();
    auto huge = change({});
    huge.new_isr.assign(100'000, IsrMember{std::numeric_limits<int32_t>::max(), -1});
    CHECK(code_of(image, leader(), huge) == e::invalid_request);
    huge.new_isr.assign(100'000, IsrMember{1, std::numeric_limits<int64_t>::min()});
    CHECK(code_of(image, leader(), huge) == e::invalid_request);
    auto extreme = change({std::numeric_limits<int32_t>::min(), 1});
    extreme.leader_recovery_state = std::numeric_limits<int8_t>::min();
    CHECK(code_of(image, leader(), extreme) == e::invalid_request);
    CHECK(code_of(image,
                  {std::numeric_limits<int32_t>::max(), std::numeric_limits<int64_t>::min(), 3},
                  extreme) == e::stale_broker_epoch);
    // Many repeats of one partition: one decision, the rest INVALID_REQUEST.
    const std::vector<IsrChange> repeated(10'000, change({1, 2, 3}));
    const auto d = decide_alter_partition(image, leader(), repeated);
    REQUIRE(d.outcomes.size() == repeated.size());
    CHECK(d.records.size() == 1);
    CHECK(d.outcomes.back().code == e::invalid_request);
    // A version the codec does not have is read as the nearest rule set.
    CHECK(code_of(image, leader(std::numeric_limits<int16_t>::max()), change({1})) == e::none);
    CHECK(code_of(image, leader(std::numeric_limits<int16_t>::min()), change({1})) == e::none);
}
