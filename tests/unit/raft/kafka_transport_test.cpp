// The quorum's Kafka transport under the simulator (services/raft/kafka_transport.h): node 2's
// KafkaQuorumTransport sends requests to a FrameServer on node 1 whose handler is
// serve_quorum_request over a scripted replica, and the answers come back through deliver. Also:
// another cluster's requests are refused, a peer that is not listening yet is reached after
// reconnect backoff, the queue drops its oldest message, and serve answers DescribeQuorum.
#include "services/raft/kafka_transport.h"

#include <doctest/doctest.h>

#include "core/protocol/error_codes.h"
#include "core/protocol/generated/api_versions.h"
#include "core/protocol/generated/describe_quorum.h"
#include "core/protocol/message_header.h"
#include "services/net/frame_server.h"
#include "services/raft/raft_wire.h"
#include "sim/world.h"

using namespace eddy;
using namespace eddy::sim;
using namespace eddy::raft;

namespace {

const Address n1_address{"n1", 9093};

// A replica stand-in: answers Fetch with two entries, Vote by granting it, FetchSnapshot with a
// chunk, and records what it received.
class ScriptedQuorum final : public QuorumEndpoint {
public:
    std::vector<Message> receive(const Message& m) override {
        received.push_back(m);
        std::vector<Message> out;
        if (const auto* f = std::get_if<FetchRequest>(&m.body)) {
            FetchResponse r;
            r.epoch = f->epoch;
            r.leader = m.to;
            r.high_watermark = f->fetch_offset + 2;
            r.base_offset = f->fetch_offset;
            r.entries = {Entry{f->epoch, to_bytes("x")}, Entry{f->epoch, to_bytes("yz")}};
            out.push_back({m.to, m.from, r});
        } else if (const auto* v = std::get_if<VoteRequest>(&m.body)) {
            out.push_back({m.to, m.from, VoteResponse{v->epoch, true, v->pre_vote, NodeId(-1)}});
        } else if (const auto* s = std::get_if<FetchSnapshotRequest>(&m.body)) {
            out.push_back({m.to, m.from,
                           FetchSnapshotResponse{s->epoch, m.to, s->snapshot_id, true, 10,
                                                 s->position, Bytes(4, std::byte{9})}});
        }
        return out;
    }
    QuorumStatus describe() const override {
        QuorumStatus s;
        s.epoch = 3;
        s.leader = NodeId(1);
        s.high_watermark = 5;
        s.voters = {ReplicaStatus{NodeId(1), 5, std::nullopt, std::nullopt}};
        return s;
    }
    std::vector<Message> received;
};

// Node 1's controller listener: ApiVersions, then the quorum's APIs through serve.
net::FrameHandler controller_handler(Env& env, ScriptedQuorum& quorum) {
    return [&env, &quorum](const net::ConnectionInfo&,
                           ByteSpan frame) -> Result<std::optional<Bytes>, net::HandlerError> {
        protocol::Reader r(frame);
        auto h = protocol::decode_request_header(r);
        if (!h.ok()) {
            return fail(net::HandlerError::close_connection);
        }
        const auto key = static_cast<protocol::ApiKey>(h->request_api_key_);
        const int16_t version = h->request_api_version_;
        Bytes out;
        protocol::Writer w(out);
        protocol::encode_response_header(w, key, version, h->correlation_id_);
        if (key == protocol::ApiKey::api_versions) {
            protocol::ApiVersionsResponse resp;
            for (const auto& a : protocol::all_apis()) {
                if (is_quorum_api(a.key) || a.key == protocol::ApiKey::api_versions) {
                    resp.api_keys_.push_back(
                        {static_cast<int16_t>(a.key), a.min_version, a.max_version});
                }
            }
            resp.encode(w, version);
            return std::optional<Bytes>(std::move(out));
        }
        auto body = serve_quorum_request(env, quorum, NodeId(1), "cluster-a", key, version, r);
        if (!body.ok()) {
            return fail(net::HandlerError::close_connection);
        }
        w.write_raw(*body);
        return std::optional<Bytes>(std::move(out));
    };
}

struct Run {
    std::vector<Message> delivered;
    uint64_t dropped = 0;
    ScriptedQuorum quorum;
    bool done = false;
};

// Node 1 serves (from `serve_after`); node 2 sends `messages` with `cluster_id` and stops once
// `expected` answers arrived (or after 10 s). The exact-count tests run without BUGGIFY (it loses
// answers on purpose); the last test turns it on.
void run_pair(uint64_t seed, Run& run, const std::vector<Message>& messages,
              const std::string& cluster_id, size_t expected,
              Duration serve_after = Duration::millis(0), bool buggify = false) {
    WorldOptions options;
    options.buggify = buggify;
    SimWorld w(seed, options);
    w.add_node("n1", [&](Env& env) {
        env.scheduler.sleep_for(serve_after);
        auto l = env.network.listen(n1_address);
        REQUIRE(l.ok());
        net::FrameServer server(env, std::move(l).value(), controller_handler(env, run.quorum));
        server.start();
        env.scheduler.sleep_for(Duration::seconds(60));
    });
    w.add_node("n2", [&](Env& env) {
        KafkaQuorumTransport t(env, NodeId(2), cluster_id,
                               {{NodeId(1), n1_address}, {NodeId(2), Address{"n2", 9093}}},
                               [&](Message m) { run.delivered.push_back(std::move(m)); });
        t.start();
        for (const Message& m : messages) {
            t.send(m);
        }
        const Instant until = env.clock.now() + Duration::seconds(10);
        while (run.delivered.size() < expected && env.clock.now() < until) {
            env.scheduler.sleep_for(Duration::millis(5));
        }
        env.scheduler.sleep_for(Duration::millis(50));  // let anything else arrive
        t.stop();
        run.dropped = t.dropped();
        run.done = true;
    });
    w.start(w.node("n1"));
    w.start(w.node("n2"));
    w.run([&] { return run.done; }, Instant::from_nanos(Duration::seconds(30).to_nanos()));
    REQUIRE(run.done);
}

const std::vector<Message> requests = {
    {NodeId(2), NodeId(1), FetchRequest{3, 7, 2}},
    {NodeId(2), NodeId(1), VoteRequest{4, 3, 9, true}},
    {NodeId(2), NodeId(1), BeginQuorumEpoch{4}},
    {NodeId(2), NodeId(1), FetchSnapshotRequest{3, SnapshotId{5, 2}, 6}},
};

}  // namespace

TEST_CASE("kafka transport: requests reach the peer's replica and answers come back") {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
        Run run;
        run_pair(seed, run, requests, "cluster-a", 3);
        REQUIRE(run.quorum.received.size() == 4);
        CHECK(run.quorum.received[0].from == NodeId(2));
        CHECK(run.quorum.received[0].to == NodeId(1));
        CHECK(std::get<VoteRequest>(run.quorum.received[1].body).pre_vote);
        CHECK(std::get<BeginQuorumEpoch>(run.quorum.received[2].body).epoch == 4);
        REQUIRE(run.delivered.size() == 3);  // nothing for BeginQuorumEpoch
        for (const Message& m : run.delivered) {
            CHECK(m.from == NodeId(1));
            CHECK(m.to == NodeId(2));
        }
        const auto& f = std::get<FetchResponse>(run.delivered[0].body);
        CHECK(f.base_offset == 7);
        CHECK(f.high_watermark == 9);
        CHECK(f.leader == NodeId(1));
        REQUIRE(f.entries.size() == 2);
        CHECK(f.entries[1] == Entry{3, to_bytes("yz")});
        const auto& v = std::get<VoteResponse>(run.delivered[1].body);
        CHECK(v.granted);
        CHECK(v.pre_vote);
        const auto& s = std::get<FetchSnapshotResponse>(run.delivered[2].body);
        CHECK(s.found);
        CHECK(s.position == 6);
        CHECK(s.bytes == Bytes(4, std::byte{9}));
        CHECK(run.dropped == 0);
    }
}

TEST_CASE("kafka transport: another cluster's requests get INCONSISTENT_CLUSTER_ID") {
    Run run;
    run_pair(7, run, requests, "cluster-b", 1);
    CHECK(run.quorum.received.empty());
    CHECK(run.delivered.empty());
    CHECK(run.dropped == 3);  // Fetch, Vote, FetchSnapshot: unusable answers (Begin: logged)
}

TEST_CASE("kafka transport: a peer not listening yet is reached after backoff") {
    Run run;
    run_pair(11, run, {requests[0]}, "cluster-a", 1, Duration::millis(700));
    REQUIRE(run.delivered.size() == 1);
    CHECK(std::get<FetchResponse>(run.delivered[0].body).base_offset == 7);
}

TEST_CASE("kafka transport: a full queue drops its oldest message; unknown peers are dropped") {
    Run run;
    std::vector<Message> many;
    for (int i = 0; i < 70; ++i) {
        many.push_back({NodeId(2), NodeId(1), FetchRequest{3, i, 2}});
    }
    many.push_back({NodeId(2), NodeId(9), FetchRequest{3, 0, 0}});         // not a voter
    many.push_back({NodeId(2), NodeId(1), VoteResponse{3, true, false}});  // not a request
    // The peer is not listening for a while, so nothing leaves the queue.
    run_pair(13, run, many, "cluster-a", 64, Duration::millis(300));
    REQUIRE(run.delivered.size() == 64);
    CHECK(std::get<FetchResponse>(run.delivered.front().body).base_offset == 6);
    CHECK(std::get<FetchResponse>(run.delivered.back().body).base_offset == 69);
    CHECK(run.dropped == 8);
}

TEST_CASE("kafka transport: serve answers DescribeQuorum and refuses what is not a quorum API") {
    SimWorld w(3);
    bool done = false;
    w.add_node("n1", [&](Env& env) {
        ScriptedQuorum quorum;
        protocol::DescribeQuorumRequest req;
        req.topics_.push_back({std::string(wire::metadata_topic), {{0}}});
        for (int16_t v = 0; v <= 2; ++v) {
            Bytes in;
            protocol::Writer wr(in);
            req.encode(wr, v);
            protocol::Reader r(in);
            auto out = serve_quorum_request(env, quorum, NodeId(1), "cluster-a",
                                            protocol::ApiKey::describe_quorum, v, r);
            REQUIRE(out.ok());
            protocol::Reader rr(*out);
            auto resp = protocol::DescribeQuorumResponse::decode(rr, v);
            REQUIRE(resp.ok());
            CHECK(resp->topics_.at(0).partitions_.at(0).leader_epoch_ == 3);
            CHECK(resp->topics_.at(0).partitions_.at(0).current_voters_.size() == 1);
        }
        Bytes in;
        protocol::Reader r(in);
        CHECK_FALSE(serve_quorum_request(env, quorum, NodeId(1), "cluster-a",
                                         protocol::ApiKey::produce, 9, r)
                        .ok());
        CHECK_FALSE(serve_quorum_request(env, quorum, NodeId(1), "cluster-a",
                                         protocol::ApiKey::fetch, 12, r)
                        .ok());  // no bytes: does not decode
        done = true;
    });
    w.start(w.node("n1"));
    w.run([&] { return done; }, Instant::from_nanos(Duration::seconds(5).to_nanos()));
    CHECK(done);
}

TEST_CASE("kafka transport: with BUGGIFY losing answers, each loss is counted and later ones arrive") {
    // A lost answer resets the connection; the next message reconnects. Every message is either
    // answered or counted as dropped, never both and never neither.
    uint64_t lost = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        Run run;
        std::vector<Message> fetches;
        for (int i = 0; i < 20; ++i) {
            fetches.push_back({NodeId(2), NodeId(1), FetchRequest{3, i, 2}});
        }
        run_pair(seed, run, fetches, "cluster-a", 20, Duration::millis(0), true);
        CHECK(run.delivered.size() + run.dropped == 20);
        CHECK(run.quorum.received.size() == 20);  // the peer handled every one
        for (size_t i = 1; i < run.delivered.size(); ++i) {
            CHECK(std::get<FetchResponse>(run.delivered[i - 1].body).base_offset <
                  std::get<FetchResponse>(run.delivered[i].body).base_offset);
        }
        lost += run.dropped;
    }
    CHECK(lost > 0);  // the fault point fired on some seed
}
