// Broker registration, heartbeats and session expiry (BrokerHeartbeats) and the partition changes
// they bring (partition_changes.h): each rule, then a property over random sequences — no leader
// is ever fenced or outside its ISR, ISRs never empty, epochs only grow.
#include "services/controller/broker_heartbeats.h"

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include "core/base/random.h"
#include "services/controller/partition_changes.h"
#include "services/controller/placement.h"
#include "tests/unit/controller/image_fixtures.h"
#include "tests/unit/controller/random_cluster.h"

using namespace eddy;
using namespace eddy::controller;
using namespace eddy::protocol::records;
using eddy::controller::testing::id_of;
using eddy::controller::testing::RandomCluster;

namespace {

constexpr Duration session = Duration::seconds(9);

Instant at(int64_t seconds) { return Instant::from_nanos(0) + Duration::seconds(seconds); }

// A metadata log in miniature: the image, and the next record's offset.
struct Cluster {
    MetadataImage image;
    int64_t log_end = 0;
    BrokerHeartbeats heartbeats{BrokerHeartbeatOptions{session, 10}};

    void commit(const std::vector<MetadataRecord>& records) {
        for (const auto& r : records) {
            REQUIRE(!image.inconsistency(r).has_value());
            image.apply(r);
            ++log_end;
        }
    }
    Offset committed() const { return Offset(log_end); }

    RegistrationOutcome register_broker(int32_t id, uint8_t incarnation, Instant now) {
        BrokerRegistration r;
        r.broker_id = id;
        r.incarnation_id = id_of(incarnation);
        r.listeners.push_back({"PLAINTEXT", "h" + std::to_string(id), 9092, 0});
        auto out = heartbeats.register_broker(r, image, log_end, now);
        if (out.error.ok()) {
            commit(out.records);
        }
        return out;
    }
    HeartbeatOutcome beat(int32_t id, Instant now, bool want_fence = false,
                          bool want_shutdown = false) {
        const BrokerState* b = image.broker(id);
        BrokerHeartbeat h;
        h.broker_id = id;
        h.broker_epoch = b != nullptr ? b->epoch : 0;
        h.current_metadata_offset = committed();
        h.want_fence = want_fence;
        h.want_shutdown = want_shutdown;
        auto out = heartbeats.heartbeat(h, image, now, committed());
        commit(out.records);
        return out;
    }
    // Registers and unfences brokers 1..n, then topic "t" with one partition on `replicas`.
    void start(int32_t n, const std::vector<int32_t>& replicas) {
        for (int32_t id = 1; id <= n; ++id) {
            REQUIRE(register_broker(id, static_cast<uint8_t>(id), at(0)).error.ok());
            REQUIRE(!beat(id, at(0)).is_fenced);
        }
        TopicRecord t;
        t.name_ = "t";
        t.topic_id_ = id_of(7);
        PartitionRecord p;
        p.topic_id_ = id_of(7);
        p.partition_id_ = 0;
        p.replicas_ = replicas;
        p.isr_ = replicas;
        p.leader_ = replicas.front();
        p.leader_epoch_ = 0;
        p.partition_epoch_ = 0;
        commit({t, p});
    }
    const PartitionState& partition() const { return *image.partition(id_of(7), 0); }
};

}  // namespace

TEST_CASE("heartbeats: a broker registers fenced, with the record's offset as its epoch") {
    Cluster c;
    c.log_end = 40;
    auto out = c.register_broker(1, 1, at(0));
    REQUIRE(out.error.ok());
    CHECK(out.broker_epoch == 40);
    REQUIRE(out.records.size() == 1);
    const auto& r = std::get<RegisterBrokerRecord>(out.records[0]);
    CHECK(r.fenced_);
    CHECK(r.broker_epoch_ == 40);
    CHECK(c.image.broker(1)->endpoints.at(0).host == "h1");
    CHECK(c.heartbeats.last_contact(1) == std::optional<Instant>(at(0)));
}

TEST_CASE("heartbeats: another incarnation is refused while the session lives") {
    Cluster c;
    REQUIRE(c.register_broker(1, 1, at(0)).error.ok());
    auto dup = c.register_broker(1, 2, at(5));
    CHECK(dup.error.code == kafka_error::duplicate_broker_registration);
    CHECK(dup.records.empty());
    // The same incarnation again (a retried request) is fine, and so is a new one once the
    // session has expired; each gets a larger epoch.
    const int64_t first = c.image.broker(1)->epoch;
    REQUIRE(c.register_broker(1, 1, at(6)).error.ok());
    CHECK(c.image.broker(1)->epoch > first);
    auto later = c.register_broker(1, 2, at(6) + session);
    REQUIRE(later.error.ok());
    CHECK(c.image.broker(1)->incarnation_id == id_of(2));
}

TEST_CASE("heartbeats: unknown ids and stale epochs") {
    Cluster c;
    CHECK(c.beat(3, at(0)).error == kafka_error::broker_id_not_registered);
    REQUIRE(c.register_broker(1, 1, at(0)).error.ok());
    BrokerHeartbeat h;
    h.broker_id = 1;
    h.broker_epoch = c.image.broker(1)->epoch + 1;
    auto out = c.heartbeats.heartbeat(h, c.image, at(1), c.committed());
    CHECK(out.error == kafka_error::stale_broker_epoch);
    CHECK(out.records.empty());
}

TEST_CASE("heartbeats: unfenced once caught up, unless it asks to stay fenced") {
    Cluster c;
    REQUIRE(c.register_broker(1, 1, at(0)).error.ok());
    BrokerHeartbeat h;
    h.broker_id = 1;
    h.broker_epoch = c.image.broker(1)->epoch;
    h.current_metadata_offset = Offset(h.broker_epoch - 1);  // before its own registration
    auto behind = c.heartbeats.heartbeat(h, c.image, at(1), c.committed());
    CHECK(!behind.is_caught_up);
    CHECK(behind.is_fenced);
    CHECK(behind.records.empty());

    c.log_end += 50;  // the log moved on: the broker is 50 records behind (lag max 10)
    h.current_metadata_offset = Offset(c.log_end - 50);
    CHECK(!c.heartbeats.heartbeat(h, c.image, at(1), c.committed()).is_caught_up);

    CHECK(c.beat(1, at(2), /*want_fence=*/true).is_fenced);
    CHECK(c.image.broker(1)->fenced);
    auto out = c.beat(1, at(2));
    CHECK(out.is_caught_up);
    CHECK(!out.is_fenced);
    REQUIRE(!out.records.empty());
    CHECK(std::holds_alternative<UnfenceBrokerRecord>(out.records[0]));
    CHECK(!c.image.broker(1)->fenced);
}

TEST_CASE("heartbeats: a broker asking to be fenced loses its leadership and ISR place") {
    Cluster c;
    c.start(3, {1, 2, 3});
    auto out = c.beat(1, at(1), /*want_fence=*/true);
    CHECK(out.is_fenced);
    CHECK(c.image.broker(1)->fenced);
    CHECK(c.partition().leader == 2);
    CHECK(c.partition().isr == std::vector<int32_t>{2, 3});
    CHECK(c.partition().leader_epoch == 1);
}

TEST_CASE("heartbeats: controlled shutdown moves leadership, then says shut down") {
    Cluster c;
    c.start(2, {1, 2});
    auto out = c.beat(1, at(1), false, /*want_shutdown=*/true);
    CHECK(!out.is_fenced);
    CHECK(out.should_shut_down);  // its one leadership moved in the same records
    CHECK(c.image.broker(1)->in_controlled_shutdown);
    CHECK(c.partition().leader == 2);
    CHECK(c.partition().isr == std::vector<int32_t>{2});

    // The sole ISR member cannot hand leadership to anyone: the partition goes leaderless (the
    // ISR keeps its last member) and the broker may then shut down.
    Cluster solo;
    solo.start(2, {1});
    auto alone = solo.beat(1, at(1), false, true);
    CHECK(alone.should_shut_down);
    CHECK(solo.partition().leader == no_leader);
    CHECK(solo.partition().isr == std::vector<int32_t>{1});
    // A fenced broker asking to shut down may go at once.
    CHECK(solo.beat(2, at(1), true).is_fenced);
    CHECK(solo.beat(2, at(1), false, true).should_shut_down);
}

TEST_CASE("heartbeats: expiry fences silent brokers and elects from the ISR") {
    Cluster c;
    c.start(3, {1, 2, 3});
    CHECK(c.heartbeats.expire(c.image, at(8)).empty());
    c.beat(2, at(8));
    c.beat(3, at(8));
    auto records = c.heartbeats.expire(c.image, at(9));
    c.commit(records);
    CHECK(c.image.broker(1)->fenced);
    CHECK(!c.image.broker(2)->fenced);
    CHECK(c.partition().leader == 2);
    CHECK(c.partition().isr == std::vector<int32_t>{2, 3});

    // Both others fall silent together: no leader is left; the last ISR member stays.
    c.commit(c.heartbeats.expire(c.image, at(30)));
    CHECK(c.image.broker(2)->fenced);
    CHECK(c.image.broker(3)->fenced);
    CHECK(c.partition().leader == no_leader);
    CHECK(c.partition().isr.size() == 1);
    const int32_t last = c.partition().isr.front();

    // The last ISR member comes back: unfencing it gives the partition its leader again.
    auto back = c.beat(last, at(31));
    CHECK(!back.is_fenced);
    CHECK(c.partition().leader == last);
}

TEST_CASE("heartbeats: a new controller gives known brokers a full session first") {
    Cluster c;
    c.start(1, {1});
    BrokerHeartbeats fresh(BrokerHeartbeatOptions{session, 10});
    CHECK(fresh.expire(c.image, at(100)).empty());
    CHECK(fresh.expire(c.image, at(108)).empty());
    CHECK(!fresh.expire(c.image, at(109)).empty());
}

TEST_CASE("heartbeats: a new controller refuses another incarnation of a live broker at once") {
    // The hostile controller-listener sweep found it: sessions started only at the first
    // expire(), so right after an election (which anyone reaching the controller listener can
    // force with a forged epoch) any registration could replace a live broker's.
    Cluster c;
    REQUIRE(c.register_broker(1, 1, at(0)).error.ok());
    c.heartbeats = BrokerHeartbeats(BrokerHeartbeatOptions{session, 10});
    c.heartbeats.start_sessions(c.image, at(100));
    CHECK(c.register_broker(1, 2, at(100)).error.code ==
          kafka_error::duplicate_broker_registration);
    // A process known to be gone (the controller's own node, restarted) ends its session.
    c.heartbeats.end_session(1);
    CHECK(c.register_broker(1, 2, at(101)).error.ok());
}

TEST_CASE("partition changes: a restarted broker's registration takes it out of leadership") {
    Cluster c;
    c.start(2, {1, 2});
    auto out = c.register_broker(1, 9, at(20));  // a new incarnation after its session ended
    REQUIRE(out.error.ok());
    CHECK(out.records.size() == 2);
    CHECK(c.partition().leader == 2);
    CHECK(c.image.broker(1)->fenced);
    CHECK(elect_leaders(c.image).empty());
}

TEST_CASE("property: leaders are unfenced ISR members; epochs only grow") {
    const bool ok = rc::check("heartbeat sequences", [] {
        Random rng(*rc::gen::arbitrary<uint64_t>());
        RandomCluster cluster(BrokerHeartbeatOptions{session, 5});
        const MetadataImage& image = cluster.image;
        std::map<std::pair<int, int32_t>, std::pair<int32_t, int32_t>> epochs;
        std::map<int32_t, int64_t> broker_epochs;
        const int steps = *rc::gen::inRange(1, 150);
        for (int step = 0; step < steps; ++step) {
            const auto id = static_cast<int32_t>(rng.below(4));
            const auto kind = rng.below(6);
            if (kind < 4) {
                cluster.broker_step(rng, id);
            } else if (kind == 4) {
                cluster.create_topic(rng, 3, 3);
            } else {
                const auto changes = elect_leaders(image);
                cluster.commit(std::vector<MetadataRecord>(changes.begin(), changes.end()));
            }
            for (const auto& [name, t] : image.topics()) {
                for (const auto& [pid, p] : t.partitions) {
                    RC_ASSERT(!p.isr.empty());
                    if (p.leader != no_leader) {
                        const BrokerState* leader = image.broker(p.leader);
                        RC_ASSERT(leader != nullptr);
                        RC_ASSERT(!leader->fenced);
                        RC_ASSERT(std::find(p.isr.begin(), p.isr.end(), p.leader) != p.isr.end());
                    }
                    auto& seen = epochs[{static_cast<int>(t.id.bytes_[0]), pid}];
                    RC_ASSERT(p.leader_epoch >= seen.first);
                    RC_ASSERT(p.partition_epoch >= seen.second);
                    seen = {p.leader_epoch, p.partition_epoch};
                }
            }
            for (const auto& [bid, b] : image.brokers()) {
                RC_ASSERT(b.epoch >= broker_epochs[bid]);
                broker_epochs[bid] = b.epoch;
            }
        }
    });
    CHECK(ok);
}
