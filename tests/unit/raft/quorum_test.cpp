// QuorumReplica on its own: elections, the commit rule, vote refusals, and a follower whose log
// holds an epoch the leader never had (the divergence case the raft-quorum scenario found).
#include "services/raft/quorum.h"

#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <vector>

using namespace eddy;
using namespace eddy::raft;

namespace {

Bytes data(const char* s) {
    return Bytes(reinterpret_cast<const std::byte*>(s),
                 reinterpret_cast<const std::byte*>(s) + std::strlen(s));
}

QuorumConfig config(int n) {
    QuorumConfig c;
    for (int i = 1; i <= n; ++i) {
        c.voters.push_back(NodeId(i));
    }
    return c;
}

// Replicas that exchange messages instantly and reliably.
struct Net {
    std::map<int32_t, QuorumReplica> replicas;
    Instant now = Instant::from_nanos(1'000'000'000);
    std::vector<Message> queue;

    void add(int32_t id, int n, DurableState d = {}) {
        replicas.emplace(
            id, QuorumReplica(NodeId(id), config(n), std::move(d), Random(uint64_t(id)), now));
    }
    void drain() {
        for (int guard = 0; !queue.empty() && guard < 10000; ++guard) {
            Message m = queue.front();
            queue.erase(queue.begin());
            auto it = replicas.find(m.to.value());
            if (it != replicas.end()) {
                it->second.receive(m, now, queue);
            }
        }
    }
    void advance(Duration d, int steps = 20) {
        for (int i = 0; i < steps; ++i) {
            now = now + d / steps;
            for (auto& [id, r] : replicas) {
                r.tick(now, queue);
            }
            drain();
        }
    }
    const QuorumReplica* leader() const {
        for (const auto& [id, r] : replicas) {
            if (r.role() == Role::leader) {
                return &r;
            }
        }
        return nullptr;
    }
};

}  // namespace

TEST_CASE("raft: a single voter elects itself and commits at once") {
    Net net;
    net.add(1, 1);
    net.advance(Duration::seconds(3));
    const QuorumReplica* l = net.leader();
    REQUIRE(l != nullptr);
    CHECK(l->epoch() == 1);
    CHECK(l->high_watermark() == 1);  // the leader-change entry
    std::vector<Message> out;
    CHECK(net.replicas.at(1).propose(data("x"), net.now, out) == 1);
    CHECK(net.replicas.at(1).high_watermark() == 2);
}

TEST_CASE("raft: three voters elect one leader; entries commit once a majority fetched them") {
    Net net;
    for (int i = 1; i <= 3; ++i) {
        net.add(i, 3);
    }
    net.advance(Duration::seconds(3));
    const QuorumReplica* l = net.leader();
    REQUIRE(l != nullptr);
    const int32_t leader_id = l->id().value();
    for (auto& [id, r] : net.replicas) {
        CHECK(r.epoch() == l->epoch());
        if (id != leader_id) {
            CHECK(r.role() == Role::follower);
            CHECK(r.leader() == l->id());
        }
    }
    std::vector<Message> out;
    auto at = net.replicas.at(leader_id).propose(data("a"), net.now, out);
    REQUIRE(at.has_value());
    net.queue.insert(net.queue.end(), out.begin(), out.end());
    net.advance(Duration::millis(500));
    for (auto& [id, r] : net.replicas) {
        CHECK(r.high_watermark() == *at + 1);
        CHECK(r.log().at(static_cast<size_t>(*at)).data == data("a"));
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
        r.receive({NodeId(from), NodeId(1), VoteRequest{epoch, last_epoch, end}},
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
}

TEST_CASE("raft: a follower drops entries of an epoch the leader never had") {
    // Follower 2 holds epoch-2 entries from a leader that lost them; leader 1 has epochs 1 and 3.
    Net net;
    DurableState leader_state;
    leader_state.epoch = 3;
    leader_state.log = {Entry{1, data("a")}, Entry{1, data("b")}, Entry{3, {}},
                        Entry{3, data("c")}, Entry{3, data("d")}, Entry{3, data("e")}};
    DurableState stale;
    stale.epoch = 2;
    stale.log = {Entry{1, data("a")}, Entry{2, {}}, Entry{2, data("x")}, Entry{2, data("y")}};
    net.add(1, 3, leader_state);
    net.add(2, 3, stale);
    net.add(3, 3, leader_state);
    net.advance(Duration::seconds(5), 200);
    const QuorumReplica* l = net.leader();
    REQUIRE(l != nullptr);
    CHECK(l->id() != NodeId(2));  // its log is behind: it cannot win
    const auto& f = net.replicas.at(2);
    REQUIRE(f.log().size() == l->log().size());
    CHECK(f.log() == l->log());
    CHECK(f.log().at(1).data == data("b"));
    CHECK(f.high_watermark() == l->high_watermark());
}
