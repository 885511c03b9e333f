// Handlers of the controller listener's broker lifecycle (BrokerRegistration, BrokerHeartbeat: the
// active controller's side of broker_lifecycle.h), partition leaders' ISR changes (AlterPartition:
// services/controller/alter_partition.h) and DescribeQuorum from clients (forwarded to the active
// controller). The quorum's own traffic (Vote, Fetch, …) is served by
// raft::serve_quorum_request, straight from handle_frame.
#include <set>

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

AlterPartitionResponse Broker::handle_alter_partition(const RequestContext& ctx,
                                                      const AlterPartitionRequest& req) {
    const controller::IsrChangeSender sender{req.broker_id_, req.broker_epoch_, ctx.version};
    // v3 names each ISR member with its broker epoch (KIP-903); before, the epoch is unchecked.
    constexpr int16_t isr_with_epochs_min_version = 3;
    std::vector<controller::IsrChange> changes;
    for (const auto& t : req.topics_) {
        for (const auto& p : t.partitions_) {
            controller::IsrChange c;
            c.topic_name = t.topic_name_;
            c.topic_id = t.topic_id_;
            c.partition = p.partition_index_;
            c.leader_epoch = p.leader_epoch_;
            c.partition_epoch = p.partition_epoch_;
            c.leader_recovery_state = p.leader_recovery_state_;
            if (ctx.version >= isr_with_epochs_min_version) {
                for (const auto& m : p.new_isr_with_epochs_) {
                    c.new_isr.push_back({m.broker_id_, m.broker_epoch_});
                }
            } else {
                for (int32_t b : p.new_isr_) {
                    c.new_isr.push_back({b, -1});
                }
            }
            changes.push_back(std::move(c));
        }
    }
    const auto out = controller_->alter_partition(sender, changes);
    AlterPartitionResponse resp;
    resp.error_code_ = out.error.code;
    if (!out.error.ok()) {
        return resp;  // Kafka's error response: the code alone, no topics
    }
    ASSERT(out.partitions.size() == changes.size());
    size_t next = 0;
    for (const auto& t : req.topics_) {
        AlterPartitionResponse::TopicData rt;
        rt.topic_name_ = t.topic_name_;
        rt.topic_id_ = t.topic_id_;
        for (const auto& p : t.partitions_) {
            const controller::IsrChangeResult& r = out.partitions[next++];
            AlterPartitionResponse::PartitionData rp;
            rp.partition_index_ = p.partition_index_;
            rp.error_code_ = r.error.code;
            if (r.error.ok()) {
                rp.leader_id_ = r.state.leader;
                rp.leader_epoch_ = r.state.leader_epoch;
                rp.isr_ = r.state.isr;
                rp.leader_recovery_state_ = r.state.leader_recovery_state;
                rp.partition_epoch_ = r.state.partition_epoch;
            }
            rt.partitions_.push_back(std::move(rp));
        }
        resp.topics_.push_back(std::move(rt));
    }
    return resp;
}

DescribeQuorumResponse Broker::handle_describe_quorum(const RequestContext& ctx,
                                                      const DescribeQuorumRequest& req) {
    if (!allowed_on_cluster(ctx, security::AclOperation::describe)) {
        return error_response(req, error::cluster_authorization_failed, "Authorization failed.");
    }
    // Only client listeners get here (the controller listener serves it from the quorum).
    return forward<DescribeQuorumResponse>(*controller_channel_, req, admin_timeout);
}

ElectLeadersResponse Broker::handle_elect_leaders(const RequestContext& ctx,
                                                  const ElectLeadersRequest& req) {
    if (ctx.listener_kind == ListenerKind::client) {
        if (!allowed_on_cluster(ctx, security::AclOperation::alter)) {
            return error_response(req, error::cluster_authorization_failed,
                                  "Authorization failed.");
        }
        return forward<ElectLeadersResponse>(*controller_channel_, req, admin_timeout);
    }
    ElectLeadersResponse resp;
    if (req.election_type_ != 0 && req.election_type_ != 1) {
        return error_response(req, error::invalid_request,
                              "election type " + std::to_string(req.election_type_) +
                                  " (0 preferred, 1 unclean)");
    }
    // Partitions no topic has are answered here, with one result per entry asked and no
    // message; only partitions that exist (each once) go to the controller. So neither the
    // work nor the answer grows with a topic name times the entries naming it: a request of
    // one long name and millions of partitions costs what its bytes do.
    std::optional<std::vector<std::pair<std::string, int32_t>>> asked;
    if (req.topic_partitions_) {
        asked.emplace();
        std::set<std::pair<std::string_view, int32_t>> seen;
        const auto& image = controller_->image();
        for (const auto& t : *req.topic_partitions_) {
            const controller::TopicState* topic = image.topic(t.topic_);
            ElectLeadersResponse::ReplicaElectionResult missing;
            for (int32_t p : t.partitions_) {
                if (topic == nullptr || !topic->partitions.contains(p)) {
                    ElectLeadersResponse::PartitionResult pr;
                    pr.partition_id_ = p;
                    pr.error_code_ = error::unknown_topic_or_partition;
                    missing.partition_result_.push_back(pr);
                } else if (seen.insert({t.topic_, p}).second) {
                    asked->emplace_back(t.topic_, p);
                }
            }
            if (!missing.partition_result_.empty()) {
                missing.topic_ = protocol::echo(t.topic_);
                resp.replica_election_results_.push_back(std::move(missing));
            }
        }
    }
    const auto out = controller_->elect_leaders(
        static_cast<controller::ElectionType>(req.election_type_), asked);
    if (!out.error.ok()) {
        return error_response(req, out.error.code, out.error.message.value_or(""));
    }
    const size_t answered_here = resp.replica_election_results_.size();
    for (const auto& r : out.results) {
        if (resp.replica_election_results_.size() == answered_here ||
            resp.replica_election_results_.back().topic_ != r.topic) {
            ElectLeadersResponse::ReplicaElectionResult tr;
            tr.topic_ = protocol::echo(r.topic);
            resp.replica_election_results_.push_back(std::move(tr));
        }
        ElectLeadersResponse::PartitionResult pr;
        pr.partition_id_ = r.partition;
        pr.error_code_ = r.error;
        pr.error_message_ = r.error == error::none ? std::nullopt
                                                   : std::optional<std::string>(r.message);
        resp.replica_election_results_.back().partition_result_.push_back(std::move(pr));
    }
    reconcile();
    return resp;
}

AlterPartitionReassignmentsResponse Broker::handle_alter_partition_reassignments(
    const RequestContext& ctx, const AlterPartitionReassignmentsRequest& req) {
    if (ctx.listener_kind == ListenerKind::client) {
        if (!allowed_on_cluster(ctx, security::AclOperation::alter)) {
            return error_response(req, error::cluster_authorization_failed,
                                  "Authorization failed.");
        }
        return forward<AlterPartitionReassignmentsResponse>(*controller_channel_, req,
                                                            admin_timeout);
    }
    std::vector<controller::Controller::PartitionReassignment> asked;
    for (const auto& t : req.topics_) {
        for (const auto& p : t.partitions_) {
            asked.push_back({t.name_, p.partition_index_, p.replicas_});
        }
    }
    const auto out = controller_->alter_partition_reassignments(asked);
    if (!out.error.ok()) {
        return error_response(req, out.error.code, out.error.message.value_or(""));
    }
    AlterPartitionReassignmentsResponse resp;
    size_t i = 0;
    for (const auto& t : req.topics_) {
        AlterPartitionReassignmentsResponse::ReassignableTopicResponse tr;
        tr.name_ = protocol::echo(t.name_);
        for (const auto& p : t.partitions_) {
            AlterPartitionReassignmentsResponse::ReassignablePartitionResponse pr;
            pr.partition_index_ = p.partition_index_;
            const controller::ApiError& err = out.partitions.at(i++);
            pr.error_code_ = err.code;
            pr.error_message_ = err.ok() ? std::nullopt : err.message;
            tr.partitions_.push_back(std::move(pr));
        }
        resp.responses_.push_back(std::move(tr));
    }
    reconcile();
    return resp;
}

ListPartitionReassignmentsResponse Broker::handle_list_partition_reassignments(
    const RequestContext& ctx, const ListPartitionReassignmentsRequest& req) {
    ListPartitionReassignmentsResponse resp;
    if (!allowed_on_cluster(ctx, security::AclOperation::describe)) {
        resp.error_code_ = error::cluster_authorization_failed;
        resp.error_message_ = "Authorization failed.";
        return resp;
    }
    const auto& image = metadata_->image();
    auto add = [&](const controller::TopicState& t, const controller::PartitionState& p) {
        if (!p.reassigning()) {
            return;
        }
        if (resp.topics_.empty() || resp.topics_.back().name_ != t.name) {
            ListPartitionReassignmentsResponse::OngoingTopicReassignment tr;
            tr.name_ = t.name;
            resp.topics_.push_back(std::move(tr));
        }
        ListPartitionReassignmentsResponse::OngoingPartitionReassignment pr;
        pr.partition_index_ = p.partition;
        pr.replicas_ = p.replicas;
        pr.adding_replicas_ = p.adding;
        pr.removing_replicas_ = p.removing;
        resp.topics_.back().partitions_.push_back(std::move(pr));
    };
    if (!req.topics_) {
        for (const auto& [name, t] : image.topics()) {
            for (const auto& [id, p] : t.partitions) {
                add(t, p);
            }
        }
        return resp;
    }
    // Named partitions: those being reassigned are listed (once each); one that does not exist
    // fails the request, as Kafka's controller answers.
    std::set<std::pair<std::string, int32_t>> listed;
    for (const auto& rt : *req.topics_) {
        const controller::TopicState* t = image.topic(rt.name_);
        for (int32_t id : rt.partition_indexes_) {
            if (t == nullptr || !t->partitions.contains(id)) {
                ListPartitionReassignmentsResponse none;
                none.error_code_ = error::unknown_topic_or_partition;
                none.error_message_ =
                    "no partition " + protocol::echo(rt.name_) + "-" + std::to_string(id);
                return none;
            }
            if (listed.insert({rt.name_, id}).second) {
                add(*t, t->partitions.at(id));
            }
        }
    }
    return resp;
}

}  // namespace eddy::kafka
