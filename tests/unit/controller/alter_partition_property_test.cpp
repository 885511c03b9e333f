// A property of AlterPartition together with broker registration, heartbeats and session expiry:
// random sequences of valid and invalid AlterPartition requests (wrong senders, epochs, ISRs,
// recovery states, versions, repeated partitions) interleaved with brokers being fenced,
// unfenced, shut down and re-registered never break the image's partition invariants: the ISR is
// a non-empty set of replicas holding the leader, an ISR of more than one holds only usable
// brokers, AlterPartition never moves leadership, and each change it commits bumps the partition
// epoch by one and sets exactly the ISR asked for.
#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <map>
#include <set>

#include "services/controller/alter_partition.h"
#include "tests/unit/controller/random_cluster.h"

using namespace eddy;
using namespace eddy::controller;
using namespace eddy::protocol::records;
using eddy::controller::testing::id_of;
using eddy::controller::testing::RandomCluster;

namespace {

constexpr int32_t brokers_max = 4;
constexpr int32_t partitions_per_topic = 3;
constexpr int topics_max = 2;

// Brokers 1..brokers_max registered and unfenced, then one topic.
void start(RandomCluster& cluster, Random& rng) {
    for (int32_t id = 1; id <= brokers_max; ++id) {
        BrokerRegistration r;
        r.broker_id = id;
        r.incarnation_id = id_of(0);
        cluster.commit(
            cluster.heartbeats.register_broker(r, cluster.image, cluster.log_end, cluster.now)
                .records);
        BrokerHeartbeat h;
        h.broker_id = id;
        h.broker_epoch = cluster.image.broker(id)->epoch;
        h.current_metadata_offset = Offset(cluster.log_end);
        cluster.commit(
            cluster.heartbeats.heartbeat(h, cluster.image, cluster.now, Offset(cluster.log_end))
                .records);
        RC_ASSERT(cluster.image.broker(id)->usable());
    }
    cluster.create_topic(rng, topics_max, partitions_per_topic);
}

// A value near `right`: mostly it, sometimes one off.
template <typename T>
T nearly(Random& rng, T right) {
    if (rng.chance(0.85)) {
        return right;
    }
    return rng.chance(0.5) ? static_cast<T>(right + 1) : static_cast<T>(right - 1);
}

// One partition's change, mostly what a leader would send, sometimes wrong in one way or more.
IsrChange random_change(Random& rng, const MetadataImage& image, const TopicState& t,
                        const PartitionState& p) {
    IsrChange c;
    c.topic_name = rng.chance(0.95) ? t.name : "nope";
    c.topic_id = rng.chance(0.95) ? t.id : id_of(99);
    c.partition = rng.chance(0.95) ? p.partition : partitions_per_topic;
    c.leader_epoch = nearly(rng, p.leader_epoch);
    c.partition_epoch = nearly(rng, p.partition_epoch);
    std::vector<int32_t> isr;
    for (int32_t r : p.replicas) {
        if (r == p.leader ? rng.chance(0.95) : rng.chance(0.5)) {
            isr.push_back(r);
        }
    }
    if (rng.chance(0.05)) {
        isr.push_back(rng.chance(0.5) ? -1 : brokers_max + 1);  // not a replica
    }
    if (rng.chance(0.05) && !isr.empty()) {
        isr.push_back(isr.front());  // twice
    }
    for (size_t i = isr.size(); i > 1; --i) {  // any order
        std::swap(isr[i - 1], isr[rng.below(i)]);
    }
    for (int32_t b : isr) {
        const BrokerState* s = image.broker(b);
        const int64_t epoch = s != nullptr ? s->epoch : 0;
        c.new_isr.push_back({b, rng.chance(0.3) ? -1 : nearly(rng, epoch)});
    }
    c.leader_recovery_state = rng.chance(0.9) ? leader_recovered : rng.chance(0.5) ? 1 : 5;
    return c;
}

bool contains(const std::vector<int32_t>& v, int32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("property: AlterPartition among broker changes keeps every partition invariant") {
    const bool ok = rc::check("alter partition sequences", [] {
        Random rng(*rc::gen::arbitrary<uint64_t>());
        RandomCluster cluster(BrokerHeartbeatOptions{Duration::seconds(9), 10});
        const MetadataImage& image = cluster.image;
        start(cluster, rng);
        size_t accepted_changes = 0;
        bool grew = false;  // an accepted change added a member
        const int steps = *rc::gen::inRange(1, 250);
        for (int step = 0; step < steps; ++step) {
            const auto kind = rng.below(10);
            if (kind < 2) {
                cluster.broker_step(rng, static_cast<int32_t>(1 + rng.below(brokers_max)));
            } else if (kind == 3) {
                cluster.create_topic(rng, topics_max, partitions_per_topic);
            } else if (!image.topics().empty()) {
                // One request of one to three partition changes, from the leader of the first.
                std::vector<IsrChange> changes;
                std::vector<std::pair<const TopicState*, const PartitionState*>> named;
                const auto n = 1 + rng.below(3);
                for (uint64_t i = 0; i < n; ++i) {
                    auto t = image.topics().begin();
                    std::advance(t, static_cast<long>(rng.below(image.topics().size())));
                    const auto pid = static_cast<int32_t>(rng.below(partitions_per_topic));
                    const PartitionState& p = t->second.partitions.at(pid);
                    changes.push_back(random_change(rng, image, t->second, p));
                    named.emplace_back(&t->second, &p);
                }
                const int32_t leader = named.front().second->leader;
                IsrChangeSender sender;
                sender.broker = rng.chance(0.9) ? leader : static_cast<int32_t>(rng.below(6));
                const BrokerState* b = image.broker(sender.broker);
                sender.broker_epoch = nearly(rng, b != nullptr ? b->epoch : int64_t{0});
                sender.version = static_cast<int16_t>(rng.below(4));

                const auto before = image.topics();
                const AlterPartitionDecision d = decide_alter_partition(image, sender, changes);
                if (d.error.ok()) {
                    RC_ASSERT(d.outcomes.size() == changes.size());
                } else {
                    RC_ASSERT(d.outcomes.empty());
                    RC_ASSERT(d.records.empty());
                }
                // What each accepted change must do, checked against the image after the commit.
                std::map<std::pair<Uuid, int32_t>, std::vector<int32_t>> expected_isr;
                for (size_t i = 0; i < d.outcomes.size(); ++i) {
                    if (!d.outcomes[i].ok()) {
                        continue;
                    }
                    const TopicState* t = named[i].first;
                    const PartitionState* p = named[i].second;
                    RC_ASSERT(p->leader == sender.broker);
                    std::vector<int32_t> isr;
                    for (const auto& m : changes[i].new_isr) {
                        RC_ASSERT(image.broker(m.broker) != nullptr);
                        RC_ASSERT(image.broker(m.broker)->usable());
                        isr.push_back(m.broker);
                    }
                    grew = grew || isr.size() > p->isr.size();
                    expected_isr[{t->id, p->partition}] = isr;
                }
                for (const auto& r : d.records) {
                    RC_ASSERT(expected_isr.contains({r.topic_id_, r.partition_id_}));
                    RC_ASSERT(r.leader_ == no_leader_change);
                    RC_ASSERT(!r.replicas_.has_value());
                }
                cluster.commit(std::vector<MetadataRecord>(d.records.begin(), d.records.end()));
                accepted_changes += d.records.size();
                for (const auto& [name, t] : image.topics()) {
                    for (const auto& [pid, p] : t.partitions) {
                        const PartitionState& old = before.at(name).partitions.at(pid);
                        RC_ASSERT(p.leader == old.leader);
                        RC_ASSERT(p.leader_epoch == old.leader_epoch);
                        const auto want = expected_isr.find({t.id, pid});
                        if (want == expected_isr.end()) {
                            RC_ASSERT(p == old);
                            continue;
                        }
                        RC_ASSERT(p.isr == want->second);
                        const bool changed = p.isr != old.isr ||
                                             p.leader_recovery_state != old.leader_recovery_state;
                        RC_ASSERT(p.partition_epoch == old.partition_epoch + (changed ? 1 : 0));
                    }
                }
            }
            for (const auto& [name, t] : image.topics()) {
                for (const auto& [pid, p] : t.partitions) {
                    RC_ASSERT(!p.isr.empty());
                    const std::set<int32_t> isr(p.isr.begin(), p.isr.end());
                    RC_ASSERT(isr.size() == p.isr.size());
                    for (int32_t m : p.isr) {
                        RC_ASSERT(contains(p.replicas, m));
                        if (p.isr.size() > 1) {
                            RC_ASSERT(image.broker(m) != nullptr);
                            RC_ASSERT(image.broker(m)->usable());
                        }
                    }
                    if (p.leader != no_leader) {
                        RC_ASSERT(contains(p.isr, p.leader));
                    }
                    RC_ASSERT(p.leader_recovery_state == leader_recovered);
                }
            }
        }
        RC_CLASSIFY(accepted_changes > 0, "some ISR changed");
        RC_CLASSIFY(grew, "some ISR grew");
    });
    CHECK(ok);
}
