// The metadata image's brokers, partition changes, features, snapshots and log entries: Kafka's
// record semantics (matching broker epochs, the -1/-2 leader sentinels, epoch bumps), the
// inconsistencies that untrusted records are refused for, and properties: any sequence of
// consistent records rebuilds from to_records() and from a snapshot, and decoding arbitrary bytes
// never crashes.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include "core/base/random.h"
#include "services/controller/metadata_image.h"
#include "tests/unit/controller/image_fixtures.h"

using namespace eddy;
using namespace eddy::controller;
using namespace eddy::protocol::records;
using eddy::controller::testing::id_of;
using eddy::controller::testing::partition_record;
using eddy::controller::testing::registration;
using eddy::controller::testing::topic_record;

namespace {

// Topic "t" (id 7) with one partition 0 on replicas 1,2,3, leader 1.
MetadataImage image_with_partition() {
    MetadataImage image;
    for (int32_t b = 1; b <= 3; ++b) {
        image.apply(registration(b, 10 + b));
    }
    image.apply(topic_record("t", id_of(7)));
    image.apply(partition_record(id_of(7), 0, {1, 2, 3}, {1, 2, 3}, 1, 4, 9));
    return image;
}

PartitionChangeRecord change_of_partition0() {
    PartitionChangeRecord c;
    c.topic_id_ = id_of(7);
    c.partition_id_ = 0;
    return c;
}

}  // namespace

TEST_CASE("metadata image: brokers register fenced, unfence and fence with their epoch") {
    MetadataImage image;
    image.apply(registration(1, 5, "r1"));
    const BrokerState* b = image.broker(1);
    REQUIRE(b != nullptr);
    CHECK(b->fenced);
    CHECK(b->epoch == 5);
    CHECK(b->rack == std::optional<std::string>("r1"));
    REQUIRE(b->endpoints.size() == 1);
    CHECK(b->endpoints[0].host == "host1");
    CHECK(image.unfenced_brokers().empty());

    UnfenceBrokerRecord stale;
    stale.id_ = 1;
    stale.epoch_ = 4;
    const auto why = image.inconsistency(stale);
    REQUIRE(why.has_value());
    CHECK(why->find("UnfenceBrokerRecord for broker 1") == 0);

    UnfenceBrokerRecord u;
    u.id_ = 1;
    u.epoch_ = 5;
    image.apply(u);
    CHECK(!image.broker(1)->fenced);
    CHECK(image.unfenced_brokers() == std::vector<int32_t>{1});

    FenceBrokerRecord f;
    f.id_ = 1;
    f.epoch_ = 6;
    CHECK(image.inconsistency(f).has_value());
    f.epoch_ = 5;
    image.apply(f);
    CHECK(image.broker(1)->fenced);

    FenceBrokerRecord unknown;
    unknown.id_ = 9;
    CHECK(image.inconsistency(unknown).has_value());
}

TEST_CASE("metadata image: re-registration replaces; its epoch must grow; unregister") {
    MetadataImage image;
    image.apply(registration(1, 5));
    UnfenceBrokerRecord u;
    u.id_ = 1;
    u.epoch_ = 5;
    image.apply(u);

    CHECK(image.inconsistency(registration(1, 5)).has_value());
    CHECK(image.inconsistency(registration(1, 3)).has_value());
    CHECK(image.inconsistency(registration(-1, 3)).has_value());
    auto again = registration(1, 20, "r9");
    image.apply(again);
    CHECK(image.broker(1)->fenced);  // a new registration starts fenced
    CHECK(image.broker(1)->epoch == 20);
    CHECK(image.broker(1)->rack == std::optional<std::string>("r9"));
    CHECK(image.inconsistency(u).has_value());  // the old epoch no longer matches

    UnregisterBrokerRecord un;
    un.broker_id_ = 1;
    un.broker_epoch_ = 5;
    CHECK(image.inconsistency(un).has_value());
    un.broker_epoch_ = 20;
    image.apply(un);
    CHECK(image.broker(1) == nullptr);
    CHECK(image.brokers().empty());
}

TEST_CASE("metadata image: BrokerRegistrationChangeRecord fences, unfences, starts shutdown") {
    MetadataImage image;
    image.apply(registration(2, 7));
    BrokerRegistrationChangeRecord c;
    c.broker_id_ = 2;
    c.broker_epoch_ = 7;
    c.fenced_ = -1;
    image.apply(c);
    CHECK(!image.broker(2)->fenced);
    CHECK(image.broker(2)->usable());

    c.fenced_ = 0;
    c.in_controlled_shutdown_ = 1;
    image.apply(c);
    CHECK(!image.broker(2)->fenced);
    CHECK(image.broker(2)->in_controlled_shutdown);
    CHECK(!image.broker(2)->usable());

    c.in_controlled_shutdown_ = 0;
    c.fenced_ = 1;
    image.apply(c);
    CHECK(image.broker(2)->fenced);
    CHECK(image.broker(2)->in_controlled_shutdown);  // 0 means no change

    c.fenced_ = 2;
    CHECK(image.inconsistency(c).has_value());
    c.fenced_ = 0;
    c.in_controlled_shutdown_ = -1;
    CHECK(image.inconsistency(c).has_value());
    c.in_controlled_shutdown_ = 0;
    c.broker_epoch_ = 8;
    CHECK(image.inconsistency(c).has_value());
}

TEST_CASE("metadata image: PartitionChangeRecord follows Kafka's merge") {
    MetadataImage image = image_with_partition();
    auto part = [&] { return *image.partition(id_of(7), 0); };

    // An ISR shrink, leader unchanged (-2): partition epoch only.
    auto c = change_of_partition0();
    c.isr_ = std::vector<int32_t>{1, 2};
    image.apply(c);
    CHECK(part().isr == std::vector<int32_t>{1, 2});
    CHECK(part().leader == 1);
    CHECK(part().leader_epoch == 4);
    CHECK(part().partition_epoch == 10);

    // A new leader bumps both epochs.
    c = change_of_partition0();
    c.leader_ = 2;
    image.apply(c);
    CHECK(part().leader == 2);
    CHECK(part().leader_epoch == 5);
    CHECK(part().partition_epoch == 11);
    CHECK(part().isr == std::vector<int32_t>{1, 2});  // absent: unchanged

    // -1: no leader.
    c = change_of_partition0();
    c.leader_ = no_leader;
    image.apply(c);
    CHECK(part().leader == no_leader);
    CHECK(part().leader_epoch == 6);

    // New replicas.
    c = change_of_partition0();
    c.replicas_ = std::vector<int32_t>{2, 1};
    c.isr_ = std::vector<int32_t>{2};
    c.leader_ = 2;
    image.apply(c);
    CHECK(part().replicas == std::vector<int32_t>{2, 1});
    CHECK(part().partition_epoch == 13);

    // The leader recovery state: -1 keeps it, 0 and 1 set it; the epochs move as for any change.
    CHECK(part().leader_recovery_state == leader_recovered);
    c = change_of_partition0();
    c.leader_recovery_state_ = leader_recovering;
    image.apply(c);
    CHECK(part().leader_recovery_state == leader_recovering);
    CHECK(part().leader_epoch == 7);
    CHECK(part().partition_epoch == 14);
    c = change_of_partition0();
    c.isr_ = std::vector<int32_t>{2, 1};
    image.apply(c);
    CHECK(part().leader_recovery_state == leader_recovering);
    c = change_of_partition0();
    c.leader_recovery_state_ = leader_recovered;
    image.apply(c);
    CHECK(part().leader_recovery_state == leader_recovered);
}

TEST_CASE("metadata image: malformed PartitionChangeRecords are named, never applied") {
    const MetadataImage image = image_with_partition();
    auto refused = [&](const PartitionChangeRecord& c) {
        const auto why = image.inconsistency(c);
        return why.has_value() && why->find("PartitionChangeRecord") == 0;
    };
    auto c = change_of_partition0();
    CHECK(!image.inconsistency(c).has_value());  // no change at all is fine (epoch bump)
    c.topic_id_ = id_of(8);
    CHECK(refused(c));
    c = change_of_partition0();
    c.partition_id_ = 1;
    CHECK(refused(c));
    c = change_of_partition0();
    c.leader_ = -3;
    CHECK(refused(c));
    c = change_of_partition0();
    c.leader_ = 4;  // not a replica
    CHECK(refused(c));
    c = change_of_partition0();
    c.replicas_ = std::vector<int32_t>{};
    CHECK(refused(c));
    c = change_of_partition0();
    c.replicas_ = std::vector<int32_t>{1, 1};
    CHECK(refused(c));
    c = change_of_partition0();
    c.isr_ = std::vector<int32_t>{4};
    CHECK(refused(c));
    c = change_of_partition0();
    c.isr_ = std::vector<int32_t>{2};  // the leader 1 left out of its own ISR
    CHECK(refused(c));
    c = change_of_partition0();
    c.replicas_ = std::vector<int32_t>{2, 3};  // the current leader 1 would not be a replica
    CHECK(refused(c));
    for (int8_t state : {int8_t{-2}, int8_t{2}, int8_t{127}}) {
        c = change_of_partition0();
        c.leader_recovery_state_ = state;
        CHECK(refused(c));
    }
    PartitionRecord recovering;
    recovering.partition_id_ = 1;
    recovering.topic_id_ = id_of(7);
    recovering.replicas_ = {1};
    recovering.isr_ = {1};
    recovering.leader_ = 1;
    recovering.leader_recovery_state_ = leader_recovering;
    CHECK(!image.inconsistency(recovering).has_value());
    recovering.leader_recovery_state_ = 2;
    CHECK(image.inconsistency(recovering).has_value());

    MetadataImage at_max = image_with_partition();
    PartitionRecord p;
    p.partition_id_ = 1;
    p.topic_id_ = id_of(7);
    p.replicas_ = {1};
    p.isr_ = {1};
    p.leader_ = 1;
    p.leader_epoch_ = std::numeric_limits<int32_t>::max();
    at_max.apply(p);
    c = change_of_partition0();
    c.partition_id_ = 1;
    c.leader_ = 1;
    CHECK(at_max.inconsistency(c).has_value());
}

TEST_CASE("metadata image: features and NoOpRecord") {
    MetadataImage image;
    FeatureLevelRecord f;
    f.name_ = "metadata.version";
    f.feature_level_ = 14;
    image.apply(f);
    CHECK(image.features().at("metadata.version") == 14);
    f.feature_level_ = 0;
    image.apply(f);
    CHECK(image.features().empty());
    f.feature_level_ = -1;
    CHECK(image.inconsistency(f).has_value());
    const MetadataImage before = image;
    image.apply(NoOpRecord{});
    CHECK(image == before);
}

TEST_CASE("metadata entry: records round-trip; unknown kinds are skipped; hostile sizes refused") {
    std::vector<MetadataRecord> records;
    records.emplace_back(registration(1, 3, "r"));
    records.emplace_back(NoOpRecord{});
    auto c = change_of_partition0();
    c.leader_ = 2;
    records.emplace_back(c);
    const Bytes entry = encode_metadata_entry(records);
    auto back = decode_metadata_entry(entry);
    REQUIRE(back.ok());
    CHECK(*back == records);

    // count 2: one record of an unknown type (frame 1, type 120, version 0), then a NoOpRecord.
    Bytes unknown;
    protocol::Writer w(unknown);
    w.write_int32(2);
    w.write_int32(3);
    w.write_raw(Bytes{std::byte{1}, std::byte{120}, std::byte{0}});
    const Bytes noop = encode_metadata_record(NoOpRecord{});
    w.write_int32(static_cast<int32_t>(noop.size()));
    w.write_raw(noop);
    auto skipped = decode_metadata_entry(unknown);
    REQUIRE(skipped.ok());
    REQUIRE(skipped->size() == 1);
    CHECK(std::holds_alternative<NoOpRecord>(skipped->front()));

    Bytes huge;
    protocol::Writer h(huge);
    h.write_int32(std::numeric_limits<int32_t>::max());
    CHECK(!decode_metadata_entry(huge).ok());
    Bytes long_record;
    protocol::Writer l(long_record);
    l.write_int32(1);
    l.write_int32(1000);
    CHECK(!decode_metadata_entry(long_record).ok());
    CHECK(!decode_metadata_entry(ByteSpan(entry).first(entry.size() - 1)).ok());
    Bytes trailing = entry;
    trailing.push_back(std::byte{0});
    CHECK(!decode_metadata_entry(trailing).ok());
}

TEST_CASE("image snapshot: an inconsistent record makes the snapshot an error") {
    std::vector<MetadataRecord> records;
    records.emplace_back(registration(1, 3));
    UnfenceBrokerRecord u;
    u.id_ = 1;
    u.epoch_ = 4;  // not the registered epoch
    records.emplace_back(u);
    auto decoded = decode_image_snapshot(encode_metadata_entry(records));
    REQUIRE(!decoded.ok());
    CHECK(decoded.error().find("record 1: UnfenceBrokerRecord for broker 1") != std::string::npos);
}

namespace {

// A random record, often consistent with `image` (it names brokers, topics and partitions that
// exist, with their epochs), sometimes not: the property keeps the consistent ones.
MetadataRecord random_record(Random& rng, const MetadataImage& image, int64_t& next_epoch) {
    const auto broker_id = static_cast<int32_t>(rng.below(5));
    const BrokerState* b = image.broker(broker_id);
    const int64_t epoch = b != nullptr && rng.chance(0.9) ? b->epoch : next_epoch;
    auto some_ids = [&](bool may_be_empty) {
        std::vector<int32_t> ids;
        for (int32_t i = 0; i < 5; ++i) {
            if (rng.chance(0.5)) {
                ids.push_back(i);
            }
        }
        if (ids.empty() && !may_be_empty) {
            ids.push_back(static_cast<int32_t>(rng.below(5)));
        }
        return ids;
    };
    const PartitionState* part = nullptr;
    Uuid topic_id = id_of(static_cast<uint8_t>(1 + rng.below(4)));
    if (const TopicState* t = image.topic(topic_id); t != nullptr && !t->partitions.empty()) {
        auto it = t->partitions.begin();
        std::advance(it, static_cast<long>(rng.below(t->partitions.size())));
        part = &it->second;
    }
    switch (rng.below(13)) {
        case 0: {
            auto r = registration(
                broker_id, next_epoch++,
                rng.chance(0.5) ? std::optional<std::string>("r" + std::to_string(rng.below(3)))
                                : std::nullopt);
            r.fenced_ = rng.chance(0.5);
            r.in_controlled_shutdown_ = rng.chance(0.2);
            return r;
        }
        case 1: {
            UnregisterBrokerRecord r;
            r.broker_id_ = broker_id;
            r.broker_epoch_ = epoch;
            return r;
        }
        case 2:
            return FenceBrokerRecord{broker_id, epoch};
        case 3:
            return UnfenceBrokerRecord{broker_id, epoch};
        case 4: {
            BrokerRegistrationChangeRecord r;
            r.broker_id_ = broker_id;
            r.broker_epoch_ = epoch;
            r.fenced_ = static_cast<int8_t>(rng.between(-1, 1));
            r.in_controlled_shutdown_ = static_cast<int8_t>(rng.between(0, 1));
            return r;
        }
        case 5: {
            TopicRecord r;
            r.topic_id_ = topic_id;
            r.name_ = "t" + std::to_string(rng.below(4));
            return r;
        }
        case 6: {
            PartitionRecord r;
            r.topic_id_ = topic_id;
            r.partition_id_ = static_cast<int32_t>(rng.below(3));
            r.replicas_ = some_ids(false);
            r.isr_ = r.replicas_;
            r.leader_ = rng.chance(0.8) ? r.replicas_.front() : no_leader;
            r.leader_epoch_ = static_cast<int32_t>(rng.below(5));
            r.partition_epoch_ = static_cast<int32_t>(rng.below(5));
            r.leader_recovery_state_ =
                static_cast<int8_t>(rng.chance(0.8) ? 0 : rng.between(-1, 2));
            return r;
        }
        case 7:
        case 8: {
            PartitionChangeRecord r;
            r.topic_id_ = topic_id;
            r.partition_id_ = part != nullptr ? part->partition : 0;
            if (rng.chance(0.3)) {
                r.replicas_ = some_ids(false);
            }
            const auto& replicas =
                r.replicas_ ? *r.replicas_ : (part ? part->replicas : std::vector<int32_t>{});
            if (rng.chance(0.5)) {
                std::vector<int32_t> isr;
                for (int32_t x : replicas) {
                    if (rng.chance(0.6)) {
                        isr.push_back(x);
                    }
                }
                r.isr_ = isr;
            }
            const auto choice = rng.below(3);
            if (choice == 0 && !replicas.empty()) {
                r.leader_ = replicas[rng.below(replicas.size())];
            } else if (choice == 1) {
                r.leader_ = no_leader;
            }
            if (rng.chance(0.2)) {
                r.leader_recovery_state_ = static_cast<int8_t>(rng.between(-2, 2));
            }
            return r;
        }
        case 9: {
            ConfigRecord r;
            r.resource_type_ = rng.chance(0.8) ? config_resource_topic : config_resource_broker;
            r.resource_name_ = "t" + std::to_string(rng.below(4));
            r.name_ = "k" + std::to_string(rng.below(3));
            r.value_ = rng.chance(0.7)
                           ? std::optional<std::string>("v" + std::to_string(rng.below(9)))
                           : std::nullopt;
            return r;
        }
        case 10: {
            RemoveTopicRecord r;
            r.topic_id_ = topic_id;
            return r;
        }
        case 11: {
            if (rng.chance(0.5)) {
                ProducerIdsRecord r;
                r.next_producer_id_ = static_cast<int64_t>(rng.below(5000));
                return r;
            }
            return NoOpRecord{};
        }
        default: {
            FeatureLevelRecord r;
            r.name_ = "f" + std::to_string(rng.below(3));
            r.feature_level_ = static_cast<int16_t>(rng.between(-1, 3));
            return r;
        }
    }
}

}  // namespace

TEST_CASE("property: an image rebuilds from to_records() and from its snapshot") {
    const bool ok = rc::check("image round trips", [] {
        Random rng(*rc::gen::arbitrary<uint64_t>());
        const int steps = *rc::gen::inRange(0, 200);
        MetadataImage image;
        std::vector<MetadataRecord> applied;
        int64_t next_epoch = 1;
        for (int i = 0; i < steps; ++i) {
            MetadataRecord r = random_record(rng, image, next_epoch);
            if (!image.inconsistency(r)) {
                image.apply(r);
                applied.push_back(std::move(r));
            }
        }
        bool has_partition = false;
        for (const auto& [name, t] : image.topics()) {
            has_partition = has_partition || !t.partitions.empty();
        }
        RC_CLASSIFY(!image.brokers().empty() && has_partition, "brokers and partitions");
        MetadataImage rebuilt;
        for (const auto& r : image.to_records()) {
            RC_ASSERT(!rebuilt.inconsistency(r).has_value());
            rebuilt.apply(r);
        }
        RC_ASSERT(rebuilt == image);

        auto snapshot = decode_image_snapshot(encode_image_snapshot(image));
        RC_ASSERT(snapshot.ok());
        RC_ASSERT(*snapshot == image);

        auto entry = decode_metadata_entry(encode_metadata_entry(applied));
        RC_ASSERT(entry.ok());
        RC_ASSERT(*entry == applied);
    });
    CHECK(ok);
}

TEST_CASE("property: decoding arbitrary or damaged bytes as a snapshot never crashes") {
    const bool ok = rc::check("hostile snapshots", [] {
        const auto raw = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
        Bytes bytes(raw.size());
        std::transform(raw.begin(), raw.end(), bytes.begin(),
                       [](uint8_t b) { return std::byte{b}; });
        (void)decode_image_snapshot(bytes);
        (void)decode_metadata_entry(bytes);

        // A valid snapshot with a few bytes flipped reaches deeper into the decoders.
        Random rng(*rc::gen::arbitrary<uint64_t>());
        MetadataImage image;
        int64_t next_epoch = 1;
        for (int i = 0; i < 60; ++i) {
            MetadataRecord r = random_record(rng, image, next_epoch);
            if (!image.inconsistency(r)) {
                image.apply(r);
            }
        }
        Bytes snapshot = encode_image_snapshot(image);
        if (!snapshot.empty()) {
            for (int flips = *rc::gen::inRange(1, 4); flips > 0; --flips) {
                snapshot[rng.below(snapshot.size())] = std::byte{static_cast<uint8_t>(rng.next())};
            }
        }
        auto decoded = decode_image_snapshot(snapshot);
        if (decoded.ok()) {
            // Whatever decoded is a consistent image: it round-trips again.
            auto again = decode_image_snapshot(encode_image_snapshot(*decoded));
            RC_ASSERT(again.ok());
            RC_ASSERT(*again == *decoded);
        }
    });
    CHECK(ok);
}
