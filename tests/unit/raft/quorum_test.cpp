// QuorumReplica on its own: elections, the commit rule, vote refusals, a follower whose log holds
// an epoch the leader never had (the divergence case the raft-quorum scenario found), pre-vote
// (KIP-996) and check quorum.
#include "services/raft/quorum.h"

#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/raft/quorum_net.h"

using namespace eddy;
using namespace eddy::raft;
using namespace eddy::raft::testing;

TEST_CASE("raft: a single voter elects itself and commits at once") {
    Net net(1);
    net.add(1);
    net.advance(Duration::seconds(3));
    const QuorumReplica* l = net.leader();
    REQUIRE(l != nullptr);
    CHECK(l->epoch() == 1);
    CHECK(l->high_watermark() == 1);  // the leader-change entry
    CHECK(net.propose(1, "x") == 1);
    CHECK(net.at(1).high_watermark() == 2);
    CHECK(net.nodes.at(1).app.end == 2);  // handed to the application at once
}

TEST_CASE("raft: three voters elect one leader; entries commit once a majority fetched them") {
    Net net(3);
    const int32_t leader_id = net.elect(3);
    const QuorumReplica& l = net.at(leader_id);
    for (auto& [id, n] : net.nodes) {
        CHECK(n.replica->epoch() == l.epoch());
        if (id != leader_id) {
            CHECK(n.replica->role() == Role::follower);
            CHECK(n.replica->leader() == l.id());
        }
    }
    auto at = net.propose(leader_id, "a");
    REQUIRE(at.has_value());
    CHECK(net.at(leader_id).high_watermark() <= *at);  // not before a follower has it
    net.advance(Duration::millis(500));
    for (auto& [id, n] : net.nodes) {
        CHECK(n.replica->high_watermark() == *at + 1);
        CHECK(n.replica->entry(*at).data == data("a"));
        CHECK(n.app == net.nodes.at(leader_id).app);
    }
}

TEST_CASE("raft: votes go only to candidates whose log is as up to date, once per epoch") {
    DurableState d;
    d.epoch = 3;
    d.log = {Entry{1, {}}, Entry{3, {}}};
    QuorumReplica r(NodeId(1), config(3), d, Random(1), Instant::from_nanos(0));
    std::vector<Message> out;
    auto vote = [&](int32_t from, int32_t epoch, int32_t last_epoch, int64_t end) {
        out.clear();
        r.receive({NodeId(from), NodeId(1), VoteRequest{epoch, last_epoch, end, false}},
                  Instant::from_nanos(0), out);
        REQUIRE(out.size() == 1);
        return std::get<VoteResponse>(out[0].body).granted;
    };
    CHECK_FALSE(vote(2, 4, 1, 10));  // older last epoch, however long
    CHECK_FALSE(vote(2, 4, 3, 1));   // same last epoch, shorter
    CHECK(r.epoch() == 4);
    CHECK(vote(3, 4, 3, 2));        // as up to date
    CHECK_FALSE(vote(2, 4, 5, 9));  // already voted in epoch 4
    CHECK(vote(3, 4, 3, 2));        // the same candidate again
    CHECK(r.durable().voted_for == NodeId(3));
    CHECK_FALSE(vote(7, 5, 5, 9));  // not a voter
    CHECK(r.epoch() == 4);
}

TEST_CASE("raft: a follower drops entries of an epoch the leader never had") {
    // Follower 2 holds epoch-2 entries from a leader that lost them; leader 1 has epochs 1 and 3.
    Net net(3);
    DurableState leader_state;
    leader_state.epoch = 3;
    leader_state.log = {Entry{1, data("a")}, Entry{1, data("b")}, Entry{3, {}},
                        Entry{3, data("c")}, Entry{3, data("d")}, Entry{3, data("e")}};
    DurableState stale;
    stale.epoch = 2;
    stale.log = {Entry{1, data("a")}, Entry{2, {}}, Entry{2, data("x")}, Entry{2, data("y")}};
    net.add(1, leader_state);
    net.add(2, stale);
    net.add(3, leader_state);
    net.advance(Duration::seconds(5), 200);
    const int32_t l = net.leader_id();
    CHECK(l != 2);  // its log is behind: it cannot win
    const auto& f = net.at(2);
    REQUIRE(f.end_offset() == net.at(l).end_offset());
    CHECK(f.durable().log == net.at(l).durable().log);
    CHECK(f.entry(1).data == data("b"));
    CHECK(f.high_watermark() == net.at(l).high_watermark());
}

TEST_CASE("raft: a pre-vote is refused while the voter hears its leader, and changes nothing") {
    Net net(3);
    const int32_t l = net.elect(3);
    const int32_t f = l == 1 ? 2 : 1;
    const int32_t epoch = net.at(f).epoch();
    auto pre_vote = [&]() {
        std::vector<Message> out;
        const QuorumReplica& r = net.at(f);
        VoteRequest req{epoch + 1, r.durable().log.back().epoch, r.end_offset() + 5, true};
        net.at(f).receive({NodeId(6 - l - f), NodeId(f), req}, net.now, out);
        CHECK(net.at(f).take_persist().empty());  // nothing to persist for a pre-vote
        CHECK(net.at(f).epoch() == epoch);
        REQUIRE(out.size() == 1);
        const auto& resp = std::get<VoteResponse>(out[0].body);
        CHECK(resp.pre_vote);
        return resp;
    };
    const VoteResponse refused = pre_vote();
    CHECK_FALSE(refused.granted);
    CHECK(refused.leader == NodeId(l));  // so the asker finds the leader
    // Once the leader has been silent for fetch_timeout, the voter would grant it.
    net.isolated.insert(l);
    net.now = net.now + net.cfg.fetch_timeout;
    CHECK(pre_vote().granted);
}

TEST_CASE("raft: a partitioned follower rejoins without bumping the epoch or deposing the leader") {
    Net net(3);
    const int32_t l = net.elect(3);
    const int32_t f = l == 3 ? 1 : 3;
    const int32_t epoch = net.at(l).epoch();
    net.isolated.insert(f);
    net.advance(net.cfg.fetch_timeout * 10, 400);  // many election timeouts alone
    CHECK(net.at(f).epoch() == epoch);             // pre-votes only: no epoch bumps
    CHECK(net.at(f).role() == Role::prospective);
    net.propose(l, "while away");
    net.isolated.clear();
    net.advance(Duration::seconds(2), 100);
    CHECK(net.leader_id() == l);
    CHECK(net.at(l).epoch() == epoch);
    CHECK(net.at(f).role() == Role::follower);
    CHECK(net.at(f).high_watermark() == net.at(l).high_watermark());
}

TEST_CASE("raft: check quorum: a leader cut off from a majority steps down after fetch_timeout") {
    for (const bool disabled : {false, true}) {
        CAPTURE(disabled);
        Net net(3);
        net.knobs.check_quorum_disabled = disabled;
        const int32_t l = net.elect(3);
        const int32_t epoch = net.at(l).epoch();
        net.isolated.insert(l);
        net.advance(net.cfg.fetch_timeout + Duration::millis(200), 50);
        CHECK((net.at(l).role() == Role::leader) == disabled);
        // The other two elected a leader of a later epoch either way.
        for (int i = 1; i <= 3; ++i) {
            if (i != l) {
                CHECK(net.at(i).epoch() == epoch + 1);
            }
        }
    }
}

TEST_CASE("raft: a recovering voter votes only past the log it lost, never stands, and recovers") {
    // It lost a log that ended at offset 5 in epoch 3; what is left ends at 2.
    DurableState d;
    d.epoch = 3;
    d.log = {Entry{1, {}}, Entry{3, {}}};
    d.recovering_epoch = 3;
    d.recovering_end = 5;
    QuorumReplica r(NodeId(1), config(3), d, Random(1), Instant::from_nanos(0));
    CHECK(r.recovering());
    std::vector<Message> out;
    auto vote = [&](int32_t from, int32_t epoch, int32_t last_epoch, int64_t end, bool pre) {
        out.clear();
        r.receive({NodeId(from), NodeId(1), VoteRequest{epoch, last_epoch, end, pre}},
                  Instant::from_nanos(0), out);
        REQUIRE(out.size() == 1);
        return std::get<VoteResponse>(out[0].body).granted;
    };
    // Up to date against what is left, not against what was lost: refused, vote and pre-vote.
    CHECK_FALSE(vote(2, 4, 3, 4, true));
    CHECK_FALSE(vote(2, 4, 3, 4, false));
    CHECK(r.epoch() == 4);
    CHECK(!r.durable().voted_for);
    // Past the lost log: granted, as any voter would.
    CHECK(vote(3, 4, 3, 5, false));
    CHECK(r.durable().voted_for == NodeId(3));
    CHECK(vote(2, 5, 4, 1, true));  // a later last epoch, however short
    // Its election timer never makes it a candidate: it asks the voters who leads instead.
    for (int s = 1; s <= 50; ++s) {
        out.clear();
        r.tick(Instant::from_nanos(0) + Duration::millis(100 * s), out);
        for (const Message& m : out) {
            CHECK_FALSE(std::holds_alternative<VoteRequest>(m.body));
        }
        CHECK(r.role() != Role::prospective);
        CHECK(r.role() != Role::candidate);
    }
    // The recovery is persisted with the hard state, and read back as written.
    DurableState back = d;
    apply(r.take_persist(), back);
    CHECK(back.recovering_epoch == 3);
    CHECK(back.recovering_end == 5);
}

TEST_CASE("raft: a voter that lost entries it acknowledged does not elect a candidate lacking "
          "them (and the planted bug does)") {
    for (const bool planted : {false, true}) {
        CAPTURE(planted);
        Net net(3);
        net.knobs.recovering_votes = planted;
        const int32_t l = net.elect(3);
        const int32_t v = l == 1 ? 2 : 1;  // commits with the leader
        const int32_t w = 6 - l - v;       // cut off: falls behind
        net.isolated.insert(w);
        const auto a = net.propose(l, "a");
        REQUIRE(a.has_value());
        REQUIRE(net.propose(l, "b").has_value());
        net.advance(Duration::millis(300));
        REQUIRE(net.at(l).high_watermark() == *a + 2);  // committed by the leader and v
        REQUIRE(net.at(w).end_offset() <= *a);
        // The leader goes down; v crashes and its disk loses "a" and "b" (bit rot found at
        // restart): the driver marks it recovering from its epoch and synced end.
        net.crash(l);
        net.crash(v);
        Node& vn = net.nodes.at(v);
        const int64_t synced_end = vn.disk.snapshot.end_offset + int64_t(vn.disk.log.size());
        vn.disk.log.resize(static_cast<size_t>(*a - vn.disk.snapshot.end_offset));
        vn.disk.recovering_epoch = vn.disk.epoch;
        vn.disk.recovering_end = synced_end;
        net.isolated.clear();
        net.start(v);
        net.advance(Duration::seconds(5));
        if (!planted) {
            // w cannot win without v's vote, and v does not give it: no leader until l is back.
            CHECK(net.leader() == nullptr);
            CHECK(net.at(v).recovering());
            net.start(l);
            net.advance(Duration::seconds(5));
            QuorumReplica* leader = net.leader();
            REQUIRE(leader != nullptr);
            CHECK(leader->entry(*a).data == data("a"));
            CHECK(leader->entry(*a + 1).data == data("b"));
            // v copied the log back and recovered; its disk says so.
            CHECK_FALSE(net.at(v).recovering());
            CHECK(!net.nodes.at(v).disk.recovering_epoch);
            CHECK(net.at(v).entry(*a).data == data("a"));
        } else {
            // v compares candidates with what is left of its log (and stands itself): w or v
            // is elected, and "a" and "b", committed, are gone from the new leader's log.
            QuorumReplica* leader = net.leader();
            REQUIRE(leader != nullptr);
            CHECK(leader->id() != NodeId(l));
            CHECK((leader->end_offset() <= *a || leader->entry(*a).data != data("a")));
        }
    }
}
