// Replica placement: leaders spread evenly, distinct brokers per partition, partitions span the
// racks, CreatePartitions continues the rotation, determinism, and Kafka's errors.
#include "services/controller/placement.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <map>
#include <set>

#include "tests/unit/controller/image_fixtures.h"

using namespace eddy;
using namespace eddy::controller;

namespace {

std::vector<UsableBroker> brokers_without_racks(int32_t n) {
    std::vector<UsableBroker> out;
    for (int32_t id = 1; id <= n; ++id) {
        out.push_back({id, std::nullopt});
    }
    return out;
}

std::map<int32_t, int> leader_counts(const Placement& p) {
    std::map<int32_t, int> counts;
    for (const auto& r : p.replicas) {
        counts[r.front()] += 1;
    }
    return counts;
}

}  // namespace

TEST_CASE("placement: leaders spread evenly and replicas are distinct brokers") {
    const auto brokers = brokers_without_racks(3);
    const Placement p = place_replicas(brokers, 7, 2, 0, uint64_t{0});
    REQUIRE(p.error.ok());
    REQUIRE(p.replicas.size() == 7);
    for (const auto& r : p.replicas) {
        CHECK(r.size() == 2);
        CHECK(r[0] != r[1]);
    }
    const auto counts = leader_counts(p);
    REQUIRE(counts.size() == 3);
    for (const auto& entry : counts) {
        CHECK(entry.second >= 2);
        CHECK(entry.second <= 3);
    }
    CHECK(p.replicas[0][0] == 1);
    CHECK(p.replicas[1][0] == 2);
    CHECK(p.replicas[2][0] == 3);
}

TEST_CASE("placement: CreatePartitions continues the leader rotation; input order is irrelevant") {
    auto brokers = brokers_without_racks(4);
    const Placement all = place_replicas(brokers, 6, 3, 0, uint64_t{5});
    const Placement tail = place_replicas(brokers, 2, 3, 4, uint64_t{5});
    REQUIRE(tail.error.ok());
    CHECK(tail.replicas[0] == all.replicas[4]);
    CHECK(tail.replicas[1] == all.replicas[5]);
    std::reverse(brokers.begin(), brokers.end());
    CHECK(place_replicas(brokers, 6, 3, 0, uint64_t{5}).replicas == all.replicas);

    Random a(42);
    Random b(42);
    CHECK(place_replicas(brokers, 5, 2, 0, a).replicas ==
          place_replicas(brokers, 5, 2, 0, b).replicas);
}

TEST_CASE("placement: each partition spans as many racks as exist") {
    // Racks of unequal size: a has 3 brokers, b 2, c 1.
    const std::vector<UsableBroker> brokers{{1, "a"}, {2, "a"}, {3, "a"},
                                            {4, "b"}, {5, "b"}, {6, "c"}};
    std::map<int32_t, std::string> rack_of;
    for (const auto& b : brokers) {
        rack_of[b.id] = *b.rack;
    }
    const Placement three = place_replicas(brokers, 12, 3, 0, uint64_t{1});
    REQUIRE(three.error.ok());
    for (const auto& r : three.replicas) {
        std::set<std::string> racks;
        for (int32_t id : r) {
            racks.insert(rack_of[id]);
        }
        CHECK(racks.size() == 3);
    }
    const Placement five = place_replicas(brokers, 6, 5, 0, uint64_t{0});
    REQUIRE(five.error.ok());
    for (const auto& r : five.replicas) {
        std::set<std::string> racks;
        for (int32_t id : r) {
            racks.insert(rack_of[id]);
        }
        CHECK(racks.size() == 3);
        CHECK(std::set<int32_t>(r.begin(), r.end()).size() == 5);
    }
    // Leaders alternate racks.
    CHECK(rack_of[three.replicas[0][0]] != rack_of[three.replicas[1][0]]);
}

TEST_CASE("placement: Kafka's errors for impossible replication factors") {
    const Placement too_many = place_replicas(brokers_without_racks(1), 1, 3, 0, uint64_t{0});
    CHECK(too_many.error.code == kafka_error::invalid_replication_factor);
    CHECK(too_many.error.message ==
          std::optional<std::string>(
              "Unable to replicate the partition 3 time(s): The target replication factor of 3 "
              "cannot be reached because only 1 broker(s) are registered."));
    CHECK(too_many.replicas.empty());
    CHECK(place_replicas(brokers_without_racks(3), 1, 0, 0, uint64_t{0}).error.code ==
          kafka_error::invalid_replication_factor);
    CHECK(place_replicas(brokers_without_racks(3), 1, -1, 0, uint64_t{0}).error.code ==
          kafka_error::invalid_replication_factor);
    CHECK(place_replicas({}, 1, 1, 0, uint64_t{0}).error.code ==
          kafka_error::invalid_replication_factor);
    CHECK(place_replicas(brokers_without_racks(3), -1, 1, 0, uint64_t{0}).error.code ==
          kafka_error::invalid_partitions);
}

TEST_CASE("placement: only unfenced brokers not shutting down are usable") {
    MetadataImage image;
    for (int32_t id = 1; id <= 3; ++id) {
        image.apply(testing::registration(id, id, "r" + std::to_string(id)));
    }
    protocol::records::UnfenceBrokerRecord u;
    u.id_ = 1;
    u.epoch_ = 1;
    image.apply(u);
    u.id_ = 2;
    u.epoch_ = 2;
    image.apply(u);
    protocol::records::BrokerRegistrationChangeRecord c;
    c.broker_id_ = 2;
    c.broker_epoch_ = 2;
    c.in_controlled_shutdown_ = 1;
    image.apply(c);
    const auto usable = usable_brokers(image);
    REQUIRE(usable.size() == 1);
    CHECK(usable[0].id == 1);
    CHECK(usable[0].rack == std::optional<std::string>("r1"));
}

TEST_CASE("property: placement is even, distinct and rack-spread for any broker set") {
    const bool ok = rc::check("placement", [] {
        const auto n = *rc::gen::inRange(1, 12);
        const auto rack_count = *rc::gen::inRange(0, 4);  // 0: no racks
        std::vector<UsableBroker> brokers;
        std::map<int32_t, std::optional<std::string>> rack_of;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t id = i * 3 + 1;
            std::optional<std::string> rack;
            if (rack_count > 0) {
                rack = "r" + std::to_string(*rc::gen::inRange(0, rack_count));
            }
            brokers.push_back({id, rack});
            rack_of[id] = rack;
        }
        const auto partitions = *rc::gen::inRange(0, 40);
        const auto rf = static_cast<int16_t>(*rc::gen::inRange(1, n + 1));
        const auto start = *rc::gen::inRange(0, 10);
        const Placement p =
            place_replicas(brokers, partitions, rf, start, *rc::gen::arbitrary<uint64_t>());
        RC_ASSERT(p.error.ok());
        RC_ASSERT(p.replicas.size() == static_cast<size_t>(partitions));
        std::set<std::optional<std::string>> all_racks;
        for (const auto& b : brokers) {
            all_racks.insert(b.rack);
        }
        std::map<int32_t, int> leads;
        for (const auto& r : p.replicas) {
            RC_ASSERT(r.size() == static_cast<size_t>(rf));
            RC_ASSERT(std::set<int32_t>(r.begin(), r.end()).size() == r.size());
            std::set<std::optional<std::string>> racks;
            for (int32_t id : r) {
                RC_ASSERT(rack_of.contains(id));
                racks.insert(rack_of[id]);
            }
            RC_ASSERT(racks.size() == std::min(r.size(), all_racks.size()));
            leads[r.front()] += 1;
        }
        int lo = partitions;
        int hi = 0;
        for (const auto& b : brokers) {
            lo = std::min(lo, leads[b.id]);
            hi = std::max(hi, leads[b.id]);
        }
        RC_ASSERT(partitions == 0 || hi - lo <= 1);
    });
    CHECK(ok);
}
