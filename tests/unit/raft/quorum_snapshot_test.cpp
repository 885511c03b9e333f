// QuorumReplica's snapshots (KIP-630) and its persistence contract: the log start moving up to a
// snapshot, a lagging follower, a new observer and a follower diverging inside the leader's
// snapshot installing it chunk by chunk, and a random schedule in which the disk built from the
// persist deltas always equals durable().
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "services/raft/quorum.h"
#include "tests/unit/raft/quorum_net.h"

using namespace eddy;
using namespace eddy::raft;
using namespace eddy::raft::testing;

TEST_CASE("raft: persist delta: a vote, a truncation and appends, and nothing else") {
    DurableState d;
    d.epoch = 2;
    d.log = {Entry{1, {}}, Entry{2, {}}, Entry{2, data("x")}};
    QuorumReplica r(NodeId(2), config(3), d, Random(1), Instant::from_nanos(0));
    CHECK(r.take_persist().empty());
    std::vector<Message> out;
    r.receive({NodeId(1), NodeId(2), VoteRequest{3, 2, 3, false}}, Instant::from_nanos(0), out);
    PersistDelta vote = r.take_persist();
    REQUIRE(vote.hard_state.has_value());
    CHECK(*vote.hard_state == HardState{3, NodeId(1), std::nullopt, std::nullopt});
    CHECK_FALSE(vote.truncate_to.has_value());
    CHECK(vote.appended.empty());
    // Leader 1 of epoch 3 has no epoch-2 entry past offset 2: the follower drops "x" and
    // appends what the leader has instead.
    r.receive({NodeId(1), NodeId(2), BeginQuorumEpoch{3}}, Instant::from_nanos(0), out);
    FetchResponse diverging{FetchError::none,     3,           NodeId(1), 0, 0, 3, {},
                            DivergingEpoch{2, 2}, std::nullopt};
    r.receive({NodeId(1), NodeId(2), diverging}, Instant::from_nanos(0), out);
    FetchResponse entries{
        FetchError::none, 3, NodeId(1), 3, 0, 2, {Entry{3, {}}, Entry{3, data("y")}}, {}, {}};
    r.receive({NodeId(1), NodeId(2), entries}, Instant::from_nanos(0), out);
    // An answer to a fetch of an older epoch carries the leader's high watermark, but the leader
    // checked nothing against our log: it must not move ours.
    const int64_t hw = r.high_watermark();
    FetchResponse fenced{
        FetchError::fenced_leader_epoch, 3, NodeId(1), 9, 0, r.end_offset(), {}, {}, {}};
    r.receive({NodeId(1), NodeId(2), fenced}, Instant::from_nanos(0), out);
    CHECK(r.high_watermark() == hw);
    PersistDelta log = r.take_persist();
    CHECK_FALSE(log.hard_state.has_value());
    CHECK(log.truncate_to == 2);
    CHECK(log.append_from == 2);
    CHECK(log.appended == std::vector<Entry>{Entry{3, {}}, Entry{3, data("y")}});
    apply(vote, d);
    apply(log, d);
    CHECK(d == r.durable());
    CommittedEntries c = r.take_committed();
    CHECK(c.base_offset == 0);
    CHECK(c.entries.size() == 3);  // the high watermark the leader sent
    CHECK(r.take_committed().entries.empty());
}

TEST_CASE("raft: a lagging follower installs the leader's snapshot in chunks") {
    Net net(3);
    net.cfg.snapshot_chunk_bytes = 5;  // the 16-byte image comes in 4 chunks
    const int32_t l = net.elect(3);
    const int32_t lagging = l == 3 ? 2 : 3;
    net.isolated.insert(lagging);
    for (int i = 0; i < 10; ++i) {
        net.propose(l, ("e" + std::to_string(i)).c_str());
    }
    net.advance(Duration::millis(300));
    for (int i = 1; i <= 3; ++i) {
        if (i != lagging) {
            net.snapshot(i);
        }
    }
    const int64_t start = net.at(l).log_start_offset();
    CHECK(start == net.at(l).high_watermark());
    CHECK(net.at(l).durable().log.empty());
    CHECK(net.nodes.at(l).disk.snapshot.end_offset == start);
    net.propose(l, "after");
    net.isolated.clear();
    net.advance(Duration::seconds(1), 100);
    const Node& n = net.nodes.at(lagging);
    CHECK(n.installs == 1);
    CHECK(n.replica->log_start_offset() == start);
    CHECK(n.replica->high_watermark() == net.at(l).high_watermark());
    CHECK(n.app == net.nodes.at(l).app);
    CHECK(n.disk.log == net.at(l).durable().log);
    // It restarts from its disk: the snapshot and the entries since.
    net.crash(lagging);
    net.start(lagging);
    CHECK(net.nodes.at(lagging).app.end == start);
    net.advance(Duration::millis(500));
    CHECK(net.nodes.at(lagging).app == net.nodes.at(l).app);
}

TEST_CASE("raft: a new observer starts from the leader's snapshot") {
    Net net(3);
    const int32_t l = net.elect(3);
    for (int i = 0; i < 5; ++i) {
        net.propose(l, "x");
    }
    net.advance(Duration::millis(300));
    net.snapshot(l);
    net.propose(l, "y");
    net.add(7);  // an observer with an empty disk
    net.advance(Duration::seconds(2), 100);
    CHECK(net.nodes.at(7).installs == 1);
    CHECK(net.at(7).leader() == NodeId(l));
    CHECK(net.nodes.at(7).app == net.nodes.at(l).app);
}

TEST_CASE(
    "raft: a follower diverging inside the leader's snapshot drops its tail and installs it") {
    // The leader committed [a, b, c] in epochs 1 and 3 and snapshotted them; follower 2 has a
    // longer log of an epoch-2 leader that never committed.
    Net net(3);
    Node& seed = net.nodes[1];
    DurableState leader_state;
    leader_state.epoch = 3;
    leader_state.snapshot = SnapshotId{3, 3};
    leader_state.log = {Entry{3, data("d")}};
    App app;
    app.apply(0, Entry{1, data("a")});
    app.apply(1, Entry{3, {}});
    app.apply(2, Entry{3, data("c")});
    seed.snapshots.images[leader_state.snapshot] = app.image();
    net.nodes[3].snapshots.images[leader_state.snapshot] = app.image();
    DurableState stale;
    stale.epoch = 2;
    stale.log = {Entry{1, data("a")}, Entry{2, {}}, Entry{2, data("x")}, Entry{2, data("y")},
                 Entry{2, data("z")}};
    net.add(1, leader_state);
    net.add(2, stale);
    net.add(3, leader_state);
    net.advance(Duration::seconds(5), 200);
    const int32_t l = net.leader_id();
    CHECK(l != 2);
    const Node& f = net.nodes.at(2);
    CHECK(f.installs == 1);
    CHECK(f.replica->log_start_offset() == 3);
    CHECK(f.disk.log == net.at(l).durable().log);
    CHECK(f.app == net.nodes.at(l).app);
}

TEST_CASE("raft: random faults: the disk built from deltas is always durable(), apps agree") {
    int64_t installs = 0;
    for (uint64_t seed = 1; seed <= 12; ++seed) {
        CAPTURE(seed);
        Random rng(seed);
        Net net(rng.chance(0.5) ? 3 : 5);
        net.seed = seed;
        net.cfg.snapshot_chunk_bytes = 3;
        const int voters = static_cast<int>(net.cfg.voters.size());
        for (int i = 1; i <= voters + 1; ++i) {
            net.add(i);  // and one observer
        }
        for (int round = 0; round < 60; ++round) {
            const auto victim = static_cast<int32_t>(1 + rng.below(uint64_t(voters + 1)));
            switch (rng.below(6)) {
                case 0:
                    net.isolated = {victim};
                    break;
                case 1:
                    net.isolated.clear();
                    break;
                case 2:
                    if (net.nodes.at(victim).replica) {
                        net.crash(victim);
                    } else {
                        net.start(victim);
                    }
                    break;
                case 3:
                    net.snapshot(victim);
                    break;
                case 4:
                    if (QuorumReplica* l = net.leader(); l && rng.chance(0.3)) {
                        net.call(l->id().value(), [&](QuorumReplica& r, std::vector<Message>& out) {
                            r.resign(net.now, out);
                        });
                    }
                    break;
                default:
                    break;
            }
            if (QuorumReplica* l = net.leader()) {
                net.propose(l->id().value(), ("r" + std::to_string(round)).c_str());
            }
            net.advance(Duration::millis(rng.between(50, 1500)), 10);
        }
        net.isolated.clear();
        for (auto& [id, n] : net.nodes) {
            if (!n.replica) {
                net.start(id);
            }
        }
        net.advance(Duration::seconds(10), 400);
        const int32_t l = net.leader_id();
        net.propose(l, "final");
        net.advance(Duration::seconds(1), 50);
        for (auto& node : net.nodes) {
            const auto id = node.first;  // clang 14 cannot capture structured bindings
            auto& n = node.second;
            CAPTURE(id);
            CHECK(n.replica->high_watermark() == net.at(l).high_watermark());
            CHECK(n.app == net.nodes.at(l).app);
            installs += n.installs;
        }
    }
    CHECK(installs > 0);  // the schedule reaches the snapshot path
}
