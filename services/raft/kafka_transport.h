// The quorum's transport over Kafka's protocol, both sides.
//
// Client side, KafkaQuorumTransport: the driver's requests (Vote, BeginQuorumEpoch,
// EndQuorumEpoch, Fetch, FetchSnapshot) go to the voters' controller listeners as Kafka requests
// (raft_wire.h) over services/client BrokerConnections, and their responses come back to the
// driver as messages. Per peer: a bounded queue (the oldest message is dropped when it is full:
// Raft resends whatever matters, and a stale Fetch or Vote is worth less than a fresh one) and
// one fiber that owns the peer's only connection, opens it when needed and after a failure waits
// a backoff (doubling, capped) before opening the next, and sends one request at a time, each with
// the request timeout as its deadline. A failed or timed-out request loses its message (Raft
// resends) and closes the connection. Responses go to `deliver` on the peer's fiber (which may
// suspend: the driver persists before it returns).
//
// Server side, serve_quorum_request: what the controller listener's dispatcher calls for one of
// those requests (and DescribeQuorum). It decodes the request, hands the message to the quorum,
// and encodes the reply the replica produced for the sender, of the type that answers the
// request; or an error response (INCONSISTENT_CLUSTER_ID for another cluster's request, the
// partition or field errors of a request that makes no sense, UNKNOWN_SERVER_ERROR when the
// replica had no answer). A request that does not decode is an error (close the connection).
//
// Deterministic: everything goes through Env (fibers, network, clock); no threads, no real time.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "core/protocol/generated/api_keys.h"
#include "core/protocol/wire.h"
#include "services/client/broker_connection.h"
#include "services/raft/quorum.h"
#include "services/raft/quorum_driver.h"


namespace eddy::raft {

struct KafkaQuorumTransportOptions {
    size_t queue_max = 64;                             // per peer; the oldest is dropped
    Duration request_timeout = Duration::millis(500);  // QuorumConfig::request_timeout
    Duration reconnect_backoff_min = Duration::millis(50);
    Duration reconnect_backoff_max = Duration::seconds(2);
    // The login for the voters' SASL controller listener (sasl.mechanism.controller.protocol);
    // nullopt: connections do not authenticate. TLS, if any, is the Env's network.
    std::optional<client::SaslCredentials> sasl;
};

class KafkaQuorumTransport final : public QuorumTransport {
public:
    // `voters`: every voter's controller listener (this node's own entry, if any, is ignored).
    // `deliver` gets each response as a message from the peer to `self`.
    KafkaQuorumTransport(Env& env, NodeId self, std::string cluster_id,
                         std::map<NodeId, Address> voters, std::function<void(Message)> deliver,
                         KafkaQuorumTransportOptions options = {});
    ~KafkaQuorumTransport() override;
    KafkaQuorumTransport(const KafkaQuorumTransport&) = delete;
    KafkaQuorumTransport& operator=(const KafkaQuorumTransport&) = delete;

    // Starts one fiber per peer. Does not suspend.
    void start();
    // Cancels the peers' fibers, waits for them and closes their connections; queued messages
    // are dropped. Suspends.
    void stop();

    // Queues a request for m.to. A response body, or a peer that is not a known voter, is dropped
    // (logged): responses travel back on the connection of their request. Does not suspend.
    void send(Message m) override;

    // Messages dropped: queue overflow, unknown peer, a response body, a pre-vote a peer cannot
    // take (Vote below v2), a request that failed or whose answer did not decode.
    uint64_t dropped() const { return dropped_; }

private:
    struct Peer;
    void run_peer(Peer& p);
    // Opens the peer's connection if it has none. False (after logging) on failure.
    bool connect(Peer& p);
    // Sends one request and delivers its response. False when the connection must be dropped.
    bool exchange(Peer& p, const Message& m);

    Env& env_;
    NodeId self_;
    std::string cluster_id_;
    std::function<void(Message)> deliver_;
    KafkaQuorumTransportOptions options_;
    std::map<NodeId, std::unique_ptr<Peer>> peers_;
    bool started_ = false;
    bool stopping_ = false;
    uint64_t dropped_ = 0;
};

// What serving a peer's request needs from the node's quorum: QuorumDriver (DriverEndpoint,
// driver_endpoint.h), or a test double.
class QuorumEndpoint {
public:
    virtual ~QuorumEndpoint() = default;
    // Feeds a peer's message to the replica; returns the messages it produced for m.from.
    // Suspends.
    virtual std::vector<Message> receive(const Message& m) = 0;
    // The replica's view for DescribeQuorum (instants on the node's monotonic clock). Does not
    // suspend.
    virtual QuorumStatus describe() const = 0;
};

// True for the APIs serve_quorum_request answers (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch,
// FetchSnapshot, DescribeQuorum).
bool is_quorum_api(protocol::ApiKey key);

// Serves one quorum request whose header named `key` and `version`; `body` holds the rest of the
// frame. Returns the response body (without the response header, which the dispatcher writes), or
// a one-line reason when the request does not decode, is not a quorum API or is in a version
// raft_wire.h does not convert (close the connection). Suspends (the replica persists first).
Result<Bytes, std::string> serve_quorum_request(Env& env, QuorumEndpoint& quorum, NodeId self,
                                                const std::string& cluster_id, protocol::ApiKey key,
                                                int16_t version, protocol::Reader& body);

}  // namespace eddy::raft
