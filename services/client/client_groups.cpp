// Client group calls: ListGroups (every broker); DescribeGroups, OffsetFetch, OffsetCommit,
// OffsetDelete and DeleteGroups (at the group's coordinator, found with FindCoordinator), for
// `eddy group list|describe|reset-offsets|delete-offsets|delete`.
#include <algorithm>
#include <set>
#include <string>

#include "core/protocol/consumer_protocol.h"
#include "core/protocol/generated/delete_groups.h"
#include "core/protocol/generated/describe_groups.h"
#include "core/protocol/generated/find_coordinator.h"
#include "core/protocol/generated/list_groups.h"
#include "core/protocol/generated/offset_commit.h"
#include "core/protocol/generated/offset_delete.h"
#include "core/protocol/generated/offset_fetch.h"
#include "core/protocol/wire.h"
#include "services/client/client.h"

namespace eddy::client {

namespace {

bool coordinator_moved(int16_t code) {
    return code == error_code::coordinator_load_in_progress ||
           code == error_code::coordinator_not_available || code == error_code::not_coordinator;
}

// A group error from the coordinator; a moved or loading coordinator becomes retriable
// (REQUEST_TIMED_OUT) so that with_retries finds the coordinator again.
ClientError group_error(int16_t code) {
    if (coordinator_moved(code)) {
        return ClientError{error_code::request_timed_out, "the group coordinator is not available"};
    }
    return ClientError{code, ""};
}

}  // namespace

Result<BrokerConnection*, ClientError> Client::coordinator(const std::string& group_id,
                                                           Instant deadline) {
    if (auto known = coordinators_.find(group_id); known != coordinators_.end()) {
        auto conn = broker(known->second, deadline);
        if (conn.ok()) {
            return conn;
        }
        coordinators_.erase(group_id);
    }
    TRY_ASSIGN(BrokerConnection * any, any_broker(deadline));
    protocol::FindCoordinatorRequest req;
    req.key_ = group_id;
    req.key_type_ = 0;
    TRY_ASSIGN(auto resp, any->call<protocol::FindCoordinatorResponse>(req, deadline));
    if (resp.error_code_ != error_code::none) {
        return fail(ClientError{resp.error_code_, resp.error_message_.value_or("")});
    }
    TRY_ASSIGN(BrokerConnection * conn, broker(NodeId(resp.node_id_), deadline));
    coordinators_[group_id] = NodeId(resp.node_id_);
    return conn;
}

protocol::OffsetCommitRequest offset_commit_request(const std::string& group_id,
                                                    int32_t generation,
                                                    const std::string& member_id,
                                                    const std::optional<std::string>& instance_id,
                                                    const std::vector<CommittedOffset>& offsets) {
    protocol::OffsetCommitRequest req;
    req.group_id_ = group_id;
    req.generation_id_or_member_epoch_ = generation;
    req.member_id_ = member_id;
    req.group_instance_id_ = instance_id;
    for (const auto& o : offsets) {
        if (req.topics_.empty() || req.topics_.back().name_ != o.topic) {
            req.topics_.emplace_back();
            req.topics_.back().name_ = o.topic;
        }
        protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
        p.partition_index_ = o.partition.value();
        p.committed_offset_ = o.offset.value();
        req.topics_.back().partitions_.push_back(p);
    }
    return req;
}

std::optional<int16_t> Client::coordinator_version(const std::string& group_id,
                                                   protocol::ApiKey key) {
    auto known = coordinators_.find(group_id);
    if (known == coordinators_.end()) {
        return std::nullopt;
    }
    auto address = brokers_.find(known->second);
    if (address == brokers_.end()) {
        return std::nullopt;
    }
    auto conn = connections_.find(address->second);
    if (conn == connections_.end()) {
        return std::nullopt;
    }
    return conn->second->versions().version(key);
}

void Client::forget_coordinator(const std::string& group_id) {
    coordinators_.erase(group_id);
}

Result<std::vector<GroupListing>, ClientError> Client::list_groups() {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::vector<GroupListing>, ClientError> {
        TRY_ASSIGN(auto md, fetch_metadata(std::vector<std::string>{}, d));
        std::vector<GroupListing> out;
        std::set<std::string> seen;
        for (const auto& b : md.brokers) {
            TRY_ASSIGN(BrokerConnection * conn, broker(b.id, d));
            TRY_ASSIGN(auto resp,
                       conn->call<protocol::ListGroupsResponse>(protocol::ListGroupsRequest{}, d));
            if (resp.error_code_ != error_code::none) {
                return fail(ClientError{resp.error_code_, ""});
            }
            for (const auto& g : resp.groups_) {
                if (seen.insert(g.group_id_).second) {
                    out.push_back({g.group_id_, g.protocol_type_, g.group_state_});
                }
            }
        }
        std::sort(out.begin(), out.end(), [](const GroupListing& a, const GroupListing& b) {
            return a.group_id < b.group_id;
        });
        return out;
    });
}

Result<GroupDescription, ClientError> Client::describe_group(const std::string& group_id) {
    const Instant d = deadline();
    protocol::DescribeGroupsRequest req;
    req.groups_.push_back(group_id);
    return with_retries(d, [&]() -> Result<GroupDescription, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, coordinator(group_id, d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DescribeGroupsResponse>(req, d));
        if (resp.groups_.size() != 1) {
            return fail(
                ClientError{error_code::unknown_server_error, "DescribeGroups answered no group"});
        }
        const auto& g = resp.groups_[0];
        if (g.error_code_ != error_code::none) {
            ClientError e{g.error_code_, ""};
            if (coordinator_moved(g.error_code_)) {
                e.code = error_code::request_timed_out;  // retriable: find the coordinator again
                e.message = "the group coordinator is not available";
            }
            return fail(e);
        }
        GroupDescription out;
        out.group_id = g.group_id_;
        out.state = g.group_state_;
        out.protocol_type = g.protocol_type_;
        out.protocol = g.protocol_data_;
        for (const auto& m : g.members_) {
            GroupMemberDescription md;
            md.member_id = m.member_id_;
            md.group_instance_id = m.group_instance_id_;
            md.client_id = m.client_id_;
            md.client_host = m.client_host_;
            if (g.protocol_type_ == protocol::consumer_protocol_type) {
                md.assignment =
                    protocol::parse_assignment(m.member_assignment_).value_or(protocol::PartitionList{});
            }
            out.members.push_back(std::move(md));
        }
        return out;
    });
}

Result<std::vector<CommittedOffset>, ClientError> Client::committed_offsets(
    const std::string& group_id) {
    const Instant d = deadline();
    protocol::OffsetFetchRequest req;
    req.group_id_ = group_id;
    req.topics_ = std::nullopt;  // all
    return with_retries(d, [&]() -> Result<std::vector<CommittedOffset>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, coordinator(group_id, d));
        TRY_ASSIGN(auto resp, conn->call<protocol::OffsetFetchResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            ClientError e{resp.error_code_, ""};
            if (coordinator_moved(resp.error_code_)) {
                e.code = error_code::request_timed_out;
                e.message = "the group coordinator is not available";
            }
            return fail(e);
        }
        std::vector<CommittedOffset> out;
        for (const auto& t : resp.topics_) {
            for (const auto& p : t.partitions_) {
                if (p.error_code_ == error_code::none && p.committed_offset_ >= 0) {
                    out.push_back(
                        {t.name_, PartitionId(p.partition_index_), Offset(p.committed_offset_)});
                }
            }
        }
        std::sort(out.begin(), out.end(), [](const CommittedOffset& a, const CommittedOffset& b) {
            return std::make_pair(a.topic, a.partition.value()) <
                   std::make_pair(b.topic, b.partition.value());
        });
        return out;
    });
}

Result<void, ClientError> Client::commit_offsets(const std::string& group_id,
                                                 const std::vector<CommittedOffset>& offsets) {
    const Instant d = deadline();
    // An admin commit: no generation, no member.
    const protocol::OffsetCommitRequest req = offset_commit_request(group_id, -1, "", std::nullopt, offsets);
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, coordinator(group_id, d));
        TRY_ASSIGN(auto resp, conn->call<protocol::OffsetCommitResponse>(req, d));
        for (const auto& t : resp.topics_) {
            for (const auto& p : t.partitions_) {
                if (p.error_code_ != error_code::none) {
                    return fail(group_error(p.error_code_));
                }
            }
        }
        return {};
    });
}

Result<void, ClientError> Client::delete_offsets(const std::string& group_id,
                                                 const std::vector<TopicPartition>& partitions) {
    const Instant d = deadline();
    protocol::OffsetDeleteRequest req;
    req.group_id_ = group_id;
    for (const auto& tp : partitions) {
        if (req.topics_.empty() || req.topics_.back().name_ != tp.topic) {
            req.topics_.emplace_back();
            req.topics_.back().name_ = tp.topic;
        }
        protocol::OffsetDeleteRequest::OffsetDeleteRequestPartition p;
        p.partition_index_ = tp.partition.value();
        req.topics_.back().partitions_.push_back(p);
    }
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, coordinator(group_id, d));
        TRY_ASSIGN(auto resp, conn->call<protocol::OffsetDeleteResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(group_error(resp.error_code_));
        }
        for (const auto& t : resp.topics_) {
            for (const auto& p : t.partitions_) {
                if (p.error_code_ != error_code::none) {
                    ClientError e = group_error(p.error_code_);
                    e.message =
                        "topic '" + t.name_ + "' partition " + std::to_string(p.partition_index_);
                    return fail(e);
                }
            }
        }
        return {};
    });
}

Result<void, ClientError> Client::delete_group(const std::string& group_id) {
    const Instant d = deadline();
    protocol::DeleteGroupsRequest req;
    req.groups_names_.push_back(group_id);
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, coordinator(group_id, d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DeleteGroupsResponse>(req, d));
        if (resp.results_.size() != 1) {
            return fail(
                ClientError{error_code::unknown_server_error, "DeleteGroups answered no group"});
        }
        if (resp.results_[0].error_code_ != error_code::none) {
            return fail(group_error(resp.results_[0].error_code_));
        }
        return {};
    });
}

}  // namespace eddy::client
