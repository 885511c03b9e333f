// Partition reassignment (services/controller/reassignment.h): the records AlterPartitionReassignments
// commits, completion through AlterPartition, cancellation, and the answers when it cannot be done.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <set>

#include "core/base/random.h"
#include "core/protocol/error_codes.h"
#include "services/controller/alter_partition.h"
#include "services/controller/reassignment.h"
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

using Ids = std::vector<int32_t>;

// Brokers 1-3 registered and unfenced, 4 registered and fenced. Topic "t" (id 7):
//   0: replicas [1,2], ISR [1,2], leader 1, leader epoch 4, partition epoch 9
//   1: replicas [1,2,3], ISR [1,2,3], leader 1
MetadataImage cluster() {
    MetadataImage image = eddy::controller::testing::three_unfenced_one_fenced();
    image.apply(topic_record("t", id_of(7)));
    image.apply(partition_record(id_of(7), 0, {1, 2}, {1, 2}, 1, 4, 9));
    image.apply(partition_record(id_of(7), 1, {1, 2, 3}, {1, 2, 3}, 1, 4, 9));
    return image;
}

const PartitionState& partition(const MetadataImage& image, int32_t p) {
    return *image.partition(id_of(7), p);
}

// Decides and applies a reassignment of t-`p`; returns the error code (0 when accepted).
int16_t reassign(MetadataImage& image, int32_t p, std::optional<Ids> target) {
    auto r = decide_reassignment(image, "t", p, target);
    if (!r.ok()) {
        return r.error().code;
    }
    if (*r) {
        REQUIRE_FALSE(image.inconsistency(**r).has_value());
        image.apply(**r);
    }
    return e::none;
}

// The partition's leader asks for `isr` (AlterPartition v3, broker epochs unchecked); applies the
// record. Returns the error code.
int16_t alter_isr(MetadataImage& image, int32_t p, Ids isr) {
    const PartitionState& ps = partition(image, p);
    IsrChangeSender sender{ps.leader, 10 + ps.leader, 3};
    IsrChange c;
    c.topic_id = id_of(7);
    c.partition = p;
    c.leader_epoch = ps.leader_epoch;
    c.partition_epoch = ps.partition_epoch;
    for (int32_t b : isr) {
        c.new_isr.push_back({b, -1});
    }
    auto r = decide_isr_change(image, sender, c);
    if (!r.ok()) {
        return r.error().code;
    }
    if (*r) {
        image.apply(**r);
    }
    return e::none;
}

}  // namespace

TEST_CASE("reassignment: the target first, adding and removing named, the ISR kept") {
    MetadataImage image = cluster();
    REQUIRE(reassign(image, 0, Ids{2, 3}) == e::none);
    const PartitionState& p = partition(image, 0);
    CHECK(p.replicas == Ids{2, 3, 1});
    CHECK(p.adding == Ids{3});
    CHECK(p.removing == Ids{1});
    CHECK(p.isr == Ids{1, 2});
    CHECK(p.leader == 1);  // the leader stays until the new replicas are in sync
    CHECK(p.leader_epoch == 4);
    CHECK(p.reassigning());
    CHECK(target_replicas(p) == Ids{2, 3});
    CHECK(original_replicas(p) == Ids{2, 1});  // as Kafka: in the merged order
    // The same request again changes nothing.
    auto again = decide_reassignment(image, "t", 0, Ids{2, 3});
    REQUIRE(again.ok());
    CHECK_FALSE(again->has_value());
}

TEST_CASE("reassignment: completes when the ISR holds the target; leadership leaves a removed leader") {
    MetadataImage image = cluster();
    REQUIRE(reassign(image, 0, Ids{2, 3}) == e::none);
    // The leader adds 3 to the ISR: the same change completes the reassignment.
    REQUIRE(alter_isr(image, 0, {1, 2, 3}) == e::none);
    const PartitionState& p = partition(image, 0);
    CHECK(p.replicas == Ids{2, 3});
    CHECK(p.isr == Ids{2, 3});
    CHECK(p.adding.empty());
    CHECK(p.removing.empty());
    CHECK(p.leader == 2);        // 1 was removed: the first target replica in sync leads
    CHECK(p.leader_epoch == 5);  // a new leadership
    CHECK_FALSE(p.reassigning());
}

TEST_CASE("reassignment: a leader that stays keeps its epoch") {
    MetadataImage image = cluster();
    REQUIRE(reassign(image, 0, Ids{1, 3}) == e::none);
    CHECK(partition(image, 0).replicas == Ids{1, 3, 2});
    REQUIRE(alter_isr(image, 0, {1, 2, 3}) == e::none);
    const PartitionState& p = partition(image, 0);
    CHECK(p.replicas == Ids{1, 3});
    CHECK(p.isr == Ids{1, 3});
    CHECK(p.leader == 1);
    CHECK(p.leader_epoch == 4);
}

TEST_CASE("reassignment: the ISR holding the target already completes it at once") {
    MetadataImage image = cluster();
    REQUIRE(reassign(image, 1, Ids{3, 2}) == e::none);
    const PartitionState& p = partition(image, 1);
    CHECK(p.replicas == Ids{3, 2});
    CHECK(p.isr == Ids{2, 3});
    CHECK(p.leader == 3);  // 1 left; the target's first replica in sync leads
    CHECK_FALSE(p.reassigning());
    // A reordering alone is a change of the preferred replica, nothing more.
    REQUIRE(reassign(image, 1, Ids{2, 3}) == e::none);
    CHECK(partition(image, 1).replicas == Ids{2, 3});
    CHECK(partition(image, 1).leader == 3);
}

TEST_CASE("reassignment: cancelling returns to the original replicas") {
    MetadataImage image = cluster();
    CHECK(reassign(image, 0, std::nullopt) == e::no_reassignment_in_progress);
    REQUIRE(reassign(image, 0, Ids{2, 3}) == e::none);
    REQUIRE(reassign(image, 0, std::nullopt) == e::none);
    const PartitionState& p = partition(image, 0);
    CHECK(p.replicas == Ids{2, 1});  // the original replicas, in the order they had meanwhile
    CHECK(p.isr == Ids{1, 2});
    CHECK(p.leader == 1);
    CHECK_FALSE(p.reassigning());
    // A target equal to the original replicas cancels too.
    REQUIRE(reassign(image, 0, Ids{2, 3}) == e::none);
    REQUIRE(reassign(image, 0, Ids{1, 2}) == e::none);
    CHECK(partition(image, 0).replicas == Ids{1, 2});  // this time in the order asked
    CHECK_FALSE(partition(image, 0).reassigning());
}

TEST_CASE("reassignment: a new target replaces one in progress and keeps in-sync members") {
    MetadataImage image = cluster();
    REQUIRE(reassign(image, 0, Ids{2, 3, 4}) == e::none);
    // 3 catches up (4 is fenced: the reassignment waits for it).
    REQUIRE(alter_isr(image, 0, {1, 2, 3}) == e::none);
    CHECK(partition(image, 0).reassigning());
    REQUIRE(reassign(image, 0, Ids{3, 2}) == e::none);
    const PartitionState& p = partition(image, 0);
    // 3 stayed in sync, so [3,2] is complete at once; 4 and 1 left.
    CHECK(p.replicas == Ids{3, 2});
    CHECK(p.isr == Ids{2, 3});
    CHECK(p.leader == 3);
    CHECK_FALSE(p.reassigning());
}

TEST_CASE("reassignment: refused targets") {
    MetadataImage image = cluster();
    CHECK(reassign(image, 0, Ids{}) == e::invalid_replica_assignment);
    CHECK(reassign(image, 0, Ids{2, 2}) == e::invalid_replica_assignment);
    CHECK(reassign(image, 0, Ids{2, 9}) == e::invalid_replica_assignment);  // not registered
    CHECK(reassign(image, 0, Ids{-1}) == e::invalid_replica_assignment);
    CHECK(reassign(image, 7, Ids{1}) == e::unknown_topic_or_partition);
    auto r = decide_reassignment(image, "nope", 0, Ids{1});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == e::unknown_topic_or_partition);
    // Nothing changed.
    CHECK(partition(image, 0).replicas == Ids{1, 2});
}

TEST_CASE("reassignment: cancelling when only adding replicas are in sync is refused") {
    MetadataImage image = cluster();
    image.apply(partition_record(id_of(7), 2, {3, 1}, {3}, 3, 1, 1));
    // Pretend a reassignment [1] -> [3] is in progress with only 3 in sync.
    PartitionChangeRecord c;
    c.topic_id_ = id_of(7);
    c.partition_id_ = 2;
    c.adding_replicas_ = Ids{3};
    c.removing_replicas_ = Ids{1};
    REQUIRE_FALSE(image.inconsistency(c).has_value());
    image.apply(c);
    CHECK(reassign(image, 2, std::nullopt) == e::invalid_replica_assignment);
}

TEST_CASE("reassignment: adding and removing replicas survive a snapshot; bad ones are refused") {
    MetadataImage image = cluster();
    REQUIRE(reassign(image, 0, Ids{2, 3}) == e::none);
    auto decoded = decode_image_snapshot(encode_image_snapshot(image));
    REQUIRE(decoded.ok());
    CHECK(*decoded == image);
    CHECK(decoded->partition(id_of(7), 0)->adding == Ids{3});
    // A record naming a removing replica that is not a replica, or one both adding and removing.
    PartitionChangeRecord bad;
    bad.topic_id_ = id_of(7);
    bad.partition_id_ = 0;
    bad.removing_replicas_ = Ids{4};
    CHECK(image.inconsistency(bad).has_value());
    bad.removing_replicas_ = Ids{3};
    CHECK(image.inconsistency(bad).has_value());  // 3 is adding already
    bad.removing_replicas_ = Ids{1, 2, 3};
    bad.adding_replicas_ = Ids{};
    CHECK(image.inconsistency(bad).has_value());  // every replica leaving
    // A leader outside the ISR: a broker applying it would lead without being in sync.
    PartitionChangeRecord outside;
    outside.topic_id_ = id_of(7);
    outside.partition_id_ = 0;
    outside.isr_ = Ids{1};
    outside.leader_ = 2;
    REQUIRE(image.inconsistency(outside).has_value());
    CHECK(image.inconsistency(outside)->find("not in the ISR") != std::string::npos);
    outside.leader_ = 1;
    CHECK_FALSE(image.inconsistency(outside).has_value());
}

TEST_CASE("property: reassignments and ISR changes keep the image consistent and complete") {
    const bool ok = rc::check("random reassignments, cancels, ISR joins and leaves", [] {
        Random rng(*rc::gen::arbitrary<uint64_t>());
        MetadataImage image = cluster();
        const int steps = *rc::gen::inRange(1, 60);
        for (int i = 0; i < steps; ++i) {
            const PartitionState& p = partition(image, 0);
            switch (rng.below(4)) {
            case 0: {  // a new target of 1-3 distinct brokers among 1-4
                Ids all{1, 2, 3, 4};
                Ids target;
                const size_t n = 1 + rng.below(3);
                while (target.size() < n) {
                    const int32_t b = all[rng.below(all.size())];
                    if (std::find(target.begin(), target.end(), b) == target.end()) {
                        target.push_back(b);
                    }
                }
                const int16_t code = reassign(image, 0, target);
                RC_ASSERT(code == e::none || code == e::invalid_replica_assignment);
                break;
            }
            case 1: {
                const int16_t code = reassign(image, 0, std::nullopt);
                RC_ASSERT(code == e::none || code == e::no_reassignment_in_progress ||
                          code == e::invalid_replica_assignment);
                break;
            }
            case 2: {  // an unfenced replica out of the ISR joins it
                if (p.leader == no_leader) {
                    break;
                }
                Ids isr = p.isr;
                for (int32_t r : p.replicas) {
                    if (r != 4 && std::find(isr.begin(), isr.end(), r) == isr.end()) {
                        isr.push_back(r);
                        break;
                    }
                }
                RC_ASSERT(alter_isr(image, 0, isr) == e::none);
                break;
            }
            default: {  // the ISR shrinks to the leader and one other member
                if (p.leader == no_leader || p.isr.size() < 3) {
                    break;
                }
                Ids isr{p.leader};
                for (int32_t r : p.isr) {
                    if (r != p.leader && isr.size() < 2) {
                        isr.push_back(r);
                    }
                }
                RC_ASSERT(alter_isr(image, 0, isr) == e::none);
                break;
            }
            }
            const PartitionState& q = partition(image, 0);
            // replicas = target followed by the removing replicas; a leader is always in sync.
            Ids expected = target_replicas(q);
            for (int32_t r : q.removing) {
                expected.push_back(r);
            }
            RC_ASSERT(q.replicas == expected);
            RC_ASSERT(!q.isr.empty());
            RC_ASSERT(q.leader == no_leader ||
                      std::find(q.isr.begin(), q.isr.end(), q.leader) != q.isr.end());
            // Never left in progress with every target replica in sync and a leader among them.
            const Ids target = target_replicas(q);
            const bool all_in = std::all_of(target.begin(), target.end(), [&](int32_t r) {
                return std::find(q.isr.begin(), q.isr.end(), r) != q.isr.end();
            });
            RC_ASSERT(!(q.reassigning() && all_in));
        }
    });
    CHECK(ok);
}
