// The quorum's transport over Kafka's protocol (kafka_transport.h).
#include "services/raft/kafka_transport.h"

#include <algorithm>
#include <type_traits>

#include "core/protocol/error_codes.h"
#include "services/client/broker_connection.h"
#include "services/raft/raft_wire.h"

namespace eddy::raft {

struct KafkaQuorumTransport::Peer {
    Peer(Env& env, NodeId peer_id, Address peer_address)
        : id(peer_id), address(std::move(peer_address)), wake(env.scheduler) {}
    NodeId id;
    Address address;
    std::deque<Message> queue;
    WaitQueue wake;  // the fiber waits here for a message
    std::unique_ptr<client::BrokerConnection> conn;
    Duration backoff;
    FiberRef fiber;
};

KafkaQuorumTransport::KafkaQuorumTransport(Env& env, NodeId self, std::string cluster_id,
                                           std::map<NodeId, Address> voters,
                                           std::function<void(Message)> deliver,
                                           KafkaQuorumTransportOptions options)
    : env_(env),
      self_(self),
      cluster_id_(std::move(cluster_id)),
      deliver_(std::move(deliver)),
      options_(options) {
    ASSERT(options_.queue_max > 0);
    for (auto& [id, address] : voters) {
        if (id != self_) {
            peers_[id] = std::make_unique<Peer>(env_, id, address);
        }
    }
}

KafkaQuorumTransport::~KafkaQuorumTransport() {
    // stop() joined the fibers; a crashed node's were unwound. None may outlive the transport.
    for (const auto& [id, peer] : peers_) {
        (void)id;
        ASSERT(!peer->fiber.valid() || peer->fiber.done(),
               "stop() the transport before destroying it");
    }
}

void KafkaQuorumTransport::start() {
    ASSERT(!started_);
    started_ = true;
    for (auto& [id, peer] : peers_) {
        Peer* p = peer.get();
        p->backoff = options_.reconnect_backoff_min;
        p->fiber = env_.scheduler.spawn("quorum-peer-" + std::to_string(id.value()),
                                        [this, p] { run_peer(*p); });
    }
}

void KafkaQuorumTransport::stop() {
    if (!started_ || stopping_) {
        return;
    }
    stopping_ = true;
    for (auto& [id, p] : peers_) {
        p->fiber.cancel();
    }
    for (auto& [id, p] : peers_) {
        (void)p->fiber.join();
        p->conn.reset();
        p->queue.clear();
    }
}

void KafkaQuorumTransport::send(Message m) {
    ASSERT(m.from == self_);
    const auto it = peers_.find(m.to);
    if (!is_request(m.body) || it == peers_.end() || stopping_) {
        // A response produced outside a request's handling has no connection to go back on; a
        // node that is not a voter (an observer) is only ever answered.
        env_.log.debug("dropping a message to node %d", m.to.value());
        ++dropped_;
        return;
    }
    Peer& p = *it->second;
    if (p.queue.size() >= options_.queue_max) {
        p.queue.pop_front();
        ++dropped_;
    }
    p.queue.push_back(std::move(m));
    ASSERT(p.queue.size() <= options_.queue_max, "a peer's queue is bounded");
    p.wake.notify_one();
}

void KafkaQuorumTransport::run_peer(Peer& p) {
    while (!env_.scheduler.cancelled()) {
        if (p.queue.empty()) {
            if (p.wake.wait() == WakeReason::cancelled) {
                return;
            }
            continue;
        }
        if (!connect(p)) {
            if (env_.scheduler.sleep_for(p.backoff) == WakeReason::cancelled) {
                return;
            }
            p.backoff = std::min(p.backoff + p.backoff, options_.reconnect_backoff_max);
            continue;
        }
        const Message m = std::move(p.queue.front());
        p.queue.pop_front();
        ASSERT(m.to == p.id, "a peer's queue holds only messages to it");
        ASSERT(m.from == self_, "a peer's queue holds only messages to it");
        if (!exchange(p, m)) {
            ++dropped_;
            p.conn.reset();
        }
    }
}

bool KafkaQuorumTransport::connect(Peer& p) {
    if (p.conn && !p.conn->broken()) {
        return true;
    }
    p.conn.reset();
    auto c = client::BrokerConnection::open(env_, p.address,
                                            "eddy-quorum-" + std::to_string(self_.value()),
                                            env_.clock.now() + options_.request_timeout,
                                            options_.sasl ? &*options_.sasl : nullptr);
    if (!c.ok()) {
        env_.log.info("cannot connect to node %d at %s: %s", p.id.value(),
                      p.address.to_string().c_str(), c.error().to_string().c_str());
        return false;
    }
    p.conn = std::move(c).value();
    p.backoff = options_.reconnect_backoff_min;
    ASSERT(p.id != self_, "a node never connects to itself for the quorum");
    return true;

}

namespace {

// Each quorum request's response type and the versions raft_wire.h converts.
template <typename Resp>
struct Api {
    using Response = Resp;
    wire::Versions versions;
};

template <typename Req>
auto api_of() {
    if constexpr (std::is_same_v<Req, protocol::VoteRequest>) {
        return Api<protocol::VoteResponse>{wire::vote_versions};
    } else if constexpr (std::is_same_v<Req, protocol::BeginQuorumEpochRequest>) {
        return Api<protocol::BeginQuorumEpochResponse>{wire::begin_quorum_epoch_versions};
    } else if constexpr (std::is_same_v<Req, protocol::EndQuorumEpochRequest>) {
        return Api<protocol::EndQuorumEpochResponse>{wire::end_quorum_epoch_versions};
    } else if constexpr (std::is_same_v<Req, protocol::FetchRequest>) {
        return Api<protocol::FetchResponse>{wire::fetch_versions};
    } else {
        static_assert(std::is_same_v<Req, protocol::FetchSnapshotRequest>);
        return Api<protocol::FetchSnapshotResponse>{wire::fetch_snapshot_versions};
    }
}

}  // namespace

bool KafkaQuorumTransport::exchange(Peer& p, const Message& m) {
    const KafkaRequest request = request_to_kafka(m, cluster_id_);
    return std::visit(
        [&](const auto& req) -> bool {
            using Req = std::decay_t<decltype(req)>;
            using Resp = typename decltype(api_of<Req>())::Response;
            const wire::Versions versions = api_of<Req>().versions;
            auto version = p.conn->version_of(Req::api_key);
            if (!version.ok() || *version < versions.min || *version > versions.max) {
                env_.log.warn("node %d speaks no usable version of %s", p.id.value(),
                              protocol::api_info(Req::api_key).name);
                return true;  // the connection is fine; the message is lost
            }
            if constexpr (std::is_same_v<Req, protocol::VoteRequest>) {
                if (std::get<VoteRequest>(m.body).pre_vote &&
                    *version < wire::vote_pre_vote_version_min) {
                    env_.log.warn("node %d cannot take a pre-vote (Vote v%d)", p.id.value(),
                                  *version);
                    return true;
                }
            }
            // A shortened request timeout: a slow answer is given up on early, as a loaded peer
            // or a slow link would make it (the replica retries; the peer may have acted).
            const Duration timeout =
                BUGGIFY(env_) ? options_.request_timeout / 8 : options_.request_timeout;
            auto resp = p.conn->template call<Resp>(req, env_.clock.now() + timeout);

            if (!resp.ok()) {
                env_.log.info("%s to node %d failed: %s", protocol::api_info(Req::api_key).name,
                              p.id.value(), resp.error().to_string().c_str());
                return false;
            }
            if (BUGGIFY(env_)) {
                // The peer handled the request but its answer is lost with the connection: the
                // replica must cope with a vote granted or entries taken that it never hears of.
                env_.log.info("buggify: %s answer from node %d lost with the connection",
                              protocol::api_info(Req::api_key).name, p.id.value());
                return false;
            }
            Result<Message, WireError> back = fail(WireError::error_response);
            if constexpr (std::is_same_v<Req, protocol::VoteRequest>) {
                back = response_from_kafka(*resp, *version, std::get<VoteRequest>(m.body), p.id,
                                           self_);
            } else if constexpr (std::is_same_v<Req, protocol::FetchRequest>) {
                back = response_from_kafka(*resp, *version, std::get<FetchRequest>(m.body), p.id,
                                           self_);
            } else if constexpr (std::is_same_v<Req, protocol::FetchSnapshotRequest>) {
                back = response_from_kafka(*resp, *version, std::get<FetchSnapshotRequest>(m.body),
                                           p.id, self_);
            } else {
                // BeginQuorumEpoch, EndQuorumEpoch: their answers carry nothing the replica uses.
                if (resp->error_code_ != kafka_error::none) {
                    env_.log.info("node %d answered %s with %s", p.id.value(),
                                  protocol::api_info(Req::api_key).name,
                                  kafka_error::error_name(resp->error_code_));
                }
                return true;
            }
            if (!back.ok()) {
                env_.log.info("node %d's %s answer is unusable: %s", p.id.value(),
                              protocol::api_info(Req::api_key).name, to_string(back.error()));
                ++dropped_;
                return true;
            }
            deliver_(std::move(back).value());
            return true;
        },
        request);
}

// ---- server side --------------------------------------------------------------------------------

bool is_quorum_api(protocol::ApiKey key) {
    // Not a switch: -Wswitch-enum would want the other ~80 keys named.
    using protocol::ApiKey;
    return key == ApiKey::vote || key == ApiKey::begin_quorum_epoch ||
           key == ApiKey::end_quorum_epoch || key == ApiKey::fetch ||
           key == ApiKey::fetch_snapshot || key == ApiKey::describe_quorum;
}

namespace {

template <typename Resp>
Bytes encode(const Resp& r, int16_t version) {
    Bytes out;
    protocol::Writer w(out);
    r.encode(w, version);
    return out;
}

// A response carrying only a top-level error code.
template <typename Resp>
Resp error_only(int16_t code) {
    Resp r;
    r.error_code_ = code;
    return r;
}

// BeginQuorumEpoch's and EndQuorumEpoch's answers: an error code and the leader this node knows
// (after handling the request).
template <typename Make>
auto known_leader_answer(QuorumEndpoint& quorum, Make make) {
    return [&quorum, make](int16_t code) {
        const QuorumStatus known = quorum.describe();
        return make(code, known.epoch, known.leader.value_or(NodeId(-1)));
    };
}

// Kafka's answer to a request that makes no sense here.
int16_t error_code(WireError e) {
    switch (e) {
        case WireError::wrong_partition:
            return kafka_error::unknown_topic_or_partition;
        case WireError::unsupported_version:
            return kafka_error::unsupported_version;
        case WireError::invalid_field:
        case WireError::invalid_records:
        case WireError::too_many:
        case WireError::error_response:
            return kafka_error::invalid_request;
    }
    return kafka_error::invalid_request;
}

// The reply of type Body among what the replica produced for the sender.
template <typename Body>
const Body* reply_of(const std::vector<Message>& replies) {
    for (const Message& m : replies) {
        if (const auto* b = std::get_if<Body>(&m.body)) {
            return b;
        }
    }
    return nullptr;
}

template <typename Req>
Result<Req, std::string> decode_request(protocol::Reader& body, int16_t version) {
    auto r = Req::decode(body, version);
    if (!r.ok()) {
        return fail(std::string(protocol::api_info(Req::api_key).name) +
                    " request does not decode: " + protocol::to_string(r.error()));
    }
    return std::move(r).value();
}

// Serves one request of type Req: Reply is the replica's answer that maps to the Kafka response,
// `answer` builds that response from it, `error_response` one carrying only an error code.
template <typename Req, typename Reply, typename Answer, typename ErrorResponse>
Result<Bytes, std::string> serve(QuorumEndpoint& quorum, NodeId self, const std::string& cluster_id,
                                 int16_t version, protocol::Reader& body, Answer answer,
                                 ErrorResponse error_response) {
    TRY_ASSIGN(const Req req, decode_request<Req>(body, version));
    if (req.cluster_id_ && *req.cluster_id_ != cluster_id) {
        return encode(error_response(kafka_error::inconsistent_cluster_id), version);
    }
    auto m = request_from_kafka(req, version, self);
    if (!m.ok()) {
        if (m.error() == WireError::unsupported_version) {
            return fail(std::string("unsupported ") + protocol::api_info(Req::api_key).name +
                        " version " + std::to_string(version));
        }
        return encode(error_response(error_code(m.error())), version);
    }
    const std::vector<Message> replies = quorum.receive(*m);
    if constexpr (std::is_void_v<Reply>) {
        return encode(answer(), version);
    } else {
        const Reply* reply = reply_of<Reply>(replies);
        if (reply == nullptr) {
            // The replica answers every Vote, Fetch and FetchSnapshot it takes; none means it
            // dropped the request. The sender's Raft resends.
            return encode(error_response(kafka_error::unknown_server_error), version);
        }
        return encode(answer(*reply), version);
    }
}

}  // namespace

Result<Bytes, std::string> serve_quorum_request(Env& env, QuorumEndpoint& quorum, NodeId self,
                                                const std::string& cluster_id, protocol::ApiKey key,
                                                int16_t version, protocol::Reader& body) {
    using protocol::ApiKey;
    if (key == ApiKey::vote) {
        return serve<protocol::VoteRequest, VoteResponse>(
            quorum, self, cluster_id, version, body,
            [](const VoteResponse& r) { return response_to_kafka(r); },
            error_only<protocol::VoteResponse>);
    }
    if (key == ApiKey::fetch) {
        return serve<protocol::FetchRequest, FetchResponse>(
            quorum, self, cluster_id, version, body,
            [](const FetchResponse& r) { return response_to_kafka(r); },
            error_only<protocol::FetchResponse>);
    }
    if (key == ApiKey::fetch_snapshot) {
        return serve<protocol::FetchSnapshotRequest, FetchSnapshotResponse>(
            quorum, self, cluster_id, version, body,
            [self](const FetchSnapshotResponse& r) { return response_to_kafka(r, self); },
            error_only<protocol::FetchSnapshotResponse>);
    }
    if (key == ApiKey::begin_quorum_epoch) {
        const auto answer = known_leader_answer(quorum, begin_quorum_epoch_response);
        return serve<protocol::BeginQuorumEpochRequest, void>(
            quorum, self, cluster_id, version, body, [&] { return answer(kafka_error::none); },
            answer);
    }
    if (key == ApiKey::end_quorum_epoch) {
        const auto answer = known_leader_answer(quorum, end_quorum_epoch_response);
        return serve<protocol::EndQuorumEpochRequest, void>(
            quorum, self, cluster_id, version, body, [&] { return answer(kafka_error::none); },
            answer);
    }
    if (key == ApiKey::describe_quorum) {
        TRY_ASSIGN(const auto req, decode_request<protocol::DescribeQuorumRequest>(body, version));
        if (auto ok = check_request(req, version); !ok.ok()) {
            if (ok.error() == WireError::unsupported_version) {
                return fail("unsupported DescribeQuorum version " + std::to_string(version));
            }
            protocol::DescribeQuorumResponse r;
            r.error_code_ = error_code(ok.error());
            return encode(r, version);
        }
        return encode(describe_quorum_response(quorum.describe(), self, env.clock.now(),
                                               env.clock.wall_now()),
                      version);
    }
    return fail(std::string(protocol::api_info(key).name) + " is not a quorum API");
}

}  // namespace eddy::raft
