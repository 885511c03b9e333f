// QuorumReplica's other roles: observers (non-voting replicas), a leader resigning with
// EndQuorumEpoch, and DescribeQuorum.
#include <doctest/doctest.h>

#include <vector>

#include "services/raft/quorum.h"
#include "tests/unit/raft/quorum_net.h"

using namespace eddy;
using namespace eddy::raft;
using namespace eddy::raft::testing;

TEST_CASE("raft: observers follow the leader, never vote, and do not count toward commits") {
    Net net(3);
    for (int i = 1; i <= 5; ++i) {
        net.add(i);  // 4 and 5 are not voters
    }
    CHECK_FALSE(net.at(4).is_voter());
    net.advance(Duration::seconds(3));
    const int32_t l = net.leader_id();
    CHECK(l <= 3);
    net.propose(l, "a");
    net.advance(Duration::millis(500));
    for (int o : {4, 5}) {
        CHECK(net.at(o).role() == Role::follower);
        CHECK(net.at(o).leader() == NodeId(l));
        CHECK(net.at(o).high_watermark() == net.at(l).high_watermark());
        CHECK(net.nodes.at(o).app == net.nodes.at(l).app);
        CHECK_FALSE(net.at(o).durable().voted_for.has_value());
    }
    // With the other voters gone, observers fetching is not a majority: nothing commits.
    const int64_t hw = net.at(l).high_watermark();
    for (int v = 1; v <= 3; ++v) {
        if (v != l) {
            net.crash(v);
        }
    }
    auto at = net.propose(l, "b");
    REQUIRE(at.has_value());
    net.advance(Duration::millis(500));
    CHECK(net.at(l).high_watermark() == hw);
    CHECK(net.at(4).end_offset() == *at + 1);  // yet the observers have it
    // Observers never stand for election, however long they are without a leader.
    net.crash(l);
    const int32_t epoch = net.at(4).epoch();
    net.advance(Duration::seconds(20), 200);
    CHECK(net.at(4).epoch() == epoch);
    CHECK(net.at(4).role() == Role::unattached);
}

TEST_CASE("raft: an observer that lost its leader finds the new one through any voter") {
    Net net(3);
    const int32_t l = net.elect(4);
    net.crash(l);
    net.advance(Duration::seconds(8), 200);
    const int32_t l2 = net.leader_id();
    CHECK(l2 != l);
    CHECK(net.at(4).leader() == NodeId(l2));
    CHECK(net.at(4).epoch() == net.at(l2).epoch());
}

TEST_CASE("raft: describe lists voters and observers with their fetch state") {
    Net net(3);
    const int32_t l = net.elect(4);
    net.propose(l, "a");
    net.advance(Duration::millis(300));
    const QuorumStatus s = net.at(l).describe(net.now);
    CHECK(s.leader == NodeId(l));
    CHECK(s.epoch == net.at(l).epoch());
    CHECK(s.high_watermark == net.at(l).high_watermark());
    REQUIRE(s.voters.size() == 3);
    for (const ReplicaStatus& v : s.voters) {
        CHECK(v.log_end_offset == net.at(l).end_offset());
        REQUIRE(v.last_fetch.has_value());
        REQUIRE(v.last_caught_up.has_value());
        CHECK(net.now - *v.last_caught_up < Duration::millis(200));
    }
    REQUIRE(s.observers.size() == 1);
    CHECK(s.observers[0].id == NodeId(4));
    CHECK(s.observers[0].log_end_offset == net.at(l).end_offset());
    // A follower answers with what it knows, and no replica list.
    const QuorumStatus f = net.at(l == 1 ? 2 : 1).describe(net.now);
    CHECK(f.leader == NodeId(l));
    CHECK(f.voters.empty());
}

TEST_CASE("raft: a resigning leader hands over to its furthest follower without a fetch timeout") {
    Net net(5);
    net.cfg.fetch_timeout = Duration::seconds(5);  // long: the handover must not wait for it
    const int32_t l = net.elect(5);
    const int32_t epoch = net.at(l).epoch();
    // One follower misses the last entry, so the order of successors is decided by offsets.
    const int32_t behind = l == 5 ? 4 : 5;
    net.isolated.insert(behind);
    net.propose(l, "last");
    net.advance(Duration::millis(200));
    net.isolated.clear();
    std::vector<Message> sent;
    net.call(l, [&](QuorumReplica& r, std::vector<Message>& out) {
        CHECK(r.resign(net.now, out));
        sent = out;
    });
    CHECK(net.at(l).role() == Role::resigned);
    REQUIRE(sent.size() == 4);
    const auto& end = std::get<EndQuorumEpoch>(sent[0].body);
    CHECK(end.epoch == epoch);
    REQUIRE(end.preferred_successors.size() == 4);
    CHECK(end.preferred_successors.back() == NodeId(behind));
    CHECK_FALSE(net.propose(l, "refused").has_value());
    net.crash(l);  // the driver shuts down
    net.advance(Duration::millis(500), 50);
    const int32_t next = net.leader_id();
    CHECK(next == end.preferred_successors.front().value());
    CHECK(net.at(next).epoch() == epoch + 1);
}
