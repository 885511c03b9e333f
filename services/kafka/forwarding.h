// Forwarding: a broker passes the admin requests it gets from clients (CreateTopics, DeleteTopics,
// CreatePartitions, AlterConfigs, IncrementalAlterConfigs, DescribeQuorum, CreateAcls,
// DeleteAcls) to the active
// controller, as KRaft brokers do (KIP-590), and answers with the controller's response. Eddy
// forwards the request itself on the controller listener rather than wrapping it in an Envelope:
// there is no principal to carry until authentication lands (docs/cluster.md).
//
// When the controller does not answer in time, every resource of the request gets the error
// (REQUEST_TIMED_OUT, or NOT_CONTROLLER while stopping): error_response() builds that answer.
#pragma once

#include <string>

#include "core/protocol/generated/all_messages.h"
#include "services/kafka/controller_channel.h"

namespace eddy::kafka {

protocol::CreateTopicsResponse error_response(const protocol::CreateTopicsRequest& req,
                                              int16_t code, const std::string& message);
protocol::DeleteTopicsResponse error_response(const protocol::DeleteTopicsRequest& req,
                                              int16_t code, const std::string& message);
protocol::CreatePartitionsResponse error_response(const protocol::CreatePartitionsRequest& req,
                                                  int16_t code, const std::string& message);
protocol::AlterConfigsResponse error_response(const protocol::AlterConfigsRequest& req,
                                              int16_t code, const std::string& message);
protocol::IncrementalAlterConfigsResponse error_response(
    const protocol::IncrementalAlterConfigsRequest& req, int16_t code, const std::string& message);
protocol::DescribeQuorumResponse error_response(const protocol::DescribeQuorumRequest& req,
                                                int16_t code, const std::string& message);
protocol::ElectLeadersResponse error_response(const protocol::ElectLeadersRequest& req,
                                              int16_t code, const std::string& message);
protocol::AlterPartitionReassignmentsResponse error_response(
    const protocol::AlterPartitionReassignmentsRequest& req, int16_t code,
    const std::string& message);
protocol::CreateAclsResponse error_response(const protocol::CreateAclsRequest& req, int16_t code,
                                           const std::string& message);
protocol::DeleteAclsResponse error_response(const protocol::DeleteAclsRequest& req, int16_t code,
                                           const std::string& message);

protocol::AlterUserScramCredentialsResponse error_response(
    const protocol::AlterUserScramCredentialsRequest& req, int16_t code,
    const std::string& message);
protocol::AlterClientQuotasResponse error_response(const protocol::AlterClientQuotasRequest& req,
                                                   int16_t code, const std::string& message);

// The controller's answer to `req`, or error_response() when none came in time. Suspends.
template <typename Resp, typename Req>
Resp forward(ControllerChannel& channel, const Req& req, Duration timeout) {
    auto r = channel.template call<Resp>(req, timeout);
    if (r.ok()) {
        return std::move(r).value();
    }
    return error_response(req, r.error().code, r.error().message);
}

}  // namespace eddy::kafka
