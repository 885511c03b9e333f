// ControllerChannel: how a node's broker side reaches the active controller (KRaft's
// NodeToControllerChannelManager): admin requests a client sent to any broker (forwarding),
// broker registration and heartbeats, producer id blocks. The active controller is the quorum's
// current leader; its address is its entry in controller.quorum.voters (the controller listener).
//
// When this node is the leader the request does not leave the process: it is encoded and run
// through the node's own controller-listener dispatch (`LocalCall`), so both paths execute the
// same handler and the same checks. Otherwise one connection per controller is kept (a broken one
// is replaced). A call retries — a new leader, a refused connection, a timed-out request —
// until its deadline: a leader change during a call is normal in a cluster.
//
// Connections to the other controllers run over the Env's network (TLS when the controller
// listener is SSL / SASL_SSL) and, on a SASL controller listener, authenticate with this node's
// login before the first request.
//
// Requests and responses are Kafka's own structs; the version is the highest both sides have
// (every node runs the same build, so in practice the generated codec's maximum).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/env/env.h"
#include "core/protocol/message_header.h"
#include "services/client/broker_connection.h"
#include "services/kafka/api_table.h"
#include "services/raft/quorum_driver.h"

namespace eddy::kafka {

class ControllerChannel {
public:
    // Runs one request frame (header and body, no size prefix) through this node's controller
    // listener and returns the response frame (header and body). Suspends.
    using LocalCall = std::function<Result<Bytes, std::string>(Bytes frame)>;

    ControllerChannel(Env& env, raft::QuorumDriver& quorum, std::map<NodeId, Address> controllers,
                      std::string client_id, std::optional<client::SaslCredentials> sasl,
                      LocalCall local);
    ~ControllerChannel();
    ControllerChannel(const ControllerChannel&) = delete;
    ControllerChannel& operator=(const ControllerChannel&) = delete;

    // Sends `request` to the active controller and returns its response, retrying until
    // `timeout` passes. Errors: REQUEST_TIMED_OUT (no controller answered in time: the request
    // may or may not have taken effect), NOT_CONTROLLER (the channel is stopped). Suspends.
    template <typename Resp, typename Req>
    Result<Resp, client::ClientError> call(const Req& request, Duration timeout) {
        const Instant deadline = env_.clock.now() + timeout;
        client::ClientError last{client::error_code::request_timed_out,
                                 "no active controller answered in time"};
        while (!stopped_ && !env_.scheduler.cancelled() && env_.clock.now() < deadline) {
            const auto leader = quorum_.leader();
            if (!leader) {
                pause(deadline);
                continue;
            }
            if (*leader == quorum_.self()) {
                auto r = call_local<Resp>(request);
                if (r.ok()) {
                    return r;
                }
                last = r.error();
            } else {
                auto conn = connection(*leader, deadline);
                if (conn.ok()) {
                    auto r = (*conn)->template call<Resp>(request, deadline);
                    if (r.ok()) {
                        return r;
                    }
                    last = r.error();
                    if ((*conn)->broken()) {
                        drop(*leader);
                    }
                } else {
                    last = conn.error();
                }
            }
            pause(deadline);
        }
        if (stopped_) {
            return fail(client::ClientError{client::error_code::not_controller, "stopping"});
        }
        return fail(last);
    }

    // Fails calls in progress and later ones. Does not suspend.
    void stop() { stopped_ = true; }

private:
    template <typename Resp, typename Req>
    Result<Resp, client::ClientError> call_local(const Req& request) {
        const auto range = supported(Req::api_key, ListenerKind::controller);
        ASSERT(range.has_value(), "a controller request the controller listener does not serve");
        const int16_t v = range->max_version;
        Bytes frame;
        protocol::Writer w(frame);
        protocol::RequestHeader h;
        h.request_api_key_ = static_cast<int16_t>(Req::api_key);
        h.request_api_version_ = v;
        h.correlation_id_ = 1;
        h.client_id_ = client_id_;
        protocol::encode_request_header(w, h);
        request.encode(w, v);
        auto response = local_(std::move(frame));
        if (!response.ok()) {
            return fail(client::ClientError{client::error_code::not_controller, response.error()});
        }
        protocol::Reader r(*response);
        auto header = protocol::decode_response_header(r, Req::api_key, v);
        if (!header.ok()) {
            return fail(client::ClientError{client::error_code::corrupt_message,
                                            "an undecodable local controller response"});
        }
        auto decoded = Resp::decode(r, v);
        if (!decoded.ok()) {
            return fail(client::ClientError{client::error_code::corrupt_message,
                                            "an undecodable local controller response"});
        }
        return std::move(decoded).value();
    }
    // Held by shared_ptr: a caller keeps its connection while another replaces a broken one.
    Result<std::shared_ptr<client::BrokerConnection>, client::ClientError> connection(
        NodeId id, Instant deadline);
    void drop(NodeId id);
    // Waits a little before trying again (a leader to be elected, a connection to come back).
    void pause(Instant deadline);

    Env& env_;
    raft::QuorumDriver& quorum_;
    std::map<NodeId, Address> controllers_;
    std::string client_id_;
    // The login for the controllers' SASL listener (sasl.mechanism.controller.protocol).
    std::optional<client::SaslCredentials> sasl_;
    LocalCall local_;
    std::map<NodeId, std::shared_ptr<client::BrokerConnection>> connections_;
    bool stopped_ = false;
};

}  // namespace eddy::kafka
