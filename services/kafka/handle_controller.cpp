// Handlers of the controller listener's broker lifecycle (BrokerRegistration, BrokerHeartbeat: the
// active controller's side of broker_lifecycle.h) and DescribeQuorum from clients (forwarded to
// the active controller). The quorum's own traffic (Vote, Fetch, …) is served by
// raft::serve_quorum_request, straight from handle_frame.
#include "services/kafka/broker.h"
#include "services/kafka/errors.h"
#include "services/kafka/forwarding.h"

namespace eddy::kafka {

using namespace protocol;

BrokerRegistrationResponse Broker::handle_broker_registration(
    const RequestContext&, const BrokerRegistrationRequest& req) {
    BrokerRegistrationResponse resp;
    if (req.cluster_id_ != meta_.cluster_id) {
        resp.error_code_ = error::inconsistent_cluster_id;
        return resp;
    }
    controller::BrokerRegistration r;
    r.broker_id = req.broker_id_;
    r.incarnation_id = req.incarnation_id_;
    r.rack = req.rack_;
    for (const auto& l : req.listeners_) {
        r.listeners.push_back(controller::BrokerEndpoint{l.name_, l.host_, l.port_,
                                                         l.security_protocol_});
    }
    const auto out = controller_->register_broker(r);
    resp.error_code_ = out.error.code;
    resp.broker_epoch_ = out.error.ok() ? out.broker_epoch : -1;
    return resp;
}

BrokerHeartbeatResponse Broker::handle_broker_heartbeat(const RequestContext&,
                                                        const BrokerHeartbeatRequest& req) {
    controller::BrokerHeartbeat h;
    h.broker_id = req.broker_id_;
    h.broker_epoch = req.broker_epoch_;
    h.current_metadata_offset = Offset(req.current_metadata_offset_);
    h.want_fence = req.want_fence_;
    h.want_shutdown = req.want_shut_down_;
    const auto out = controller_->broker_heartbeat(h);
    BrokerHeartbeatResponse resp;
    resp.error_code_ = out.error;
    resp.is_caught_up_ = out.is_caught_up;
    resp.is_fenced_ = out.is_fenced;
    resp.should_shut_down_ = out.should_shut_down;
    return resp;
}

DescribeQuorumResponse Broker::handle_describe_quorum(const RequestContext&,
                                                      const DescribeQuorumRequest& req) {
    // Only client listeners get here (the controller listener serves it from the quorum).
    return forward<DescribeQuorumResponse>(*controller_channel_, req, admin_timeout);
}

}  // namespace eddy::kafka
