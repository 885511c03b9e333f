// Handlers: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
// DescribeGroups, ListGroups, DeleteGroups, OffsetDelete — each routed to the coordinator of the
// group's `__consumer_offsets` partition through GroupManager (group_manager.h).
#include <set>
#include <string_view>
#include <variant>

#include "services/kafka/broker.h"
#include "services/kafka/errors.h"
#include "services/kafka/group_manager.h"

namespace eddy::kafka {

using namespace protocol;

namespace {

using security::AclOperation;
using security::ResourceType;

// OffsetFetch answers for the topics the principal may not DESCRIBE: asked by name, each
// partition gets TOPIC_AUTHORIZATION_FAILED; listed because all were asked, left out (Kafka).
template <typename Topics, typename Allowed>
void restrict_offset_topics(Topics& topics, bool named, const Allowed& may_describe) {
    for (auto it = topics.begin(); it != topics.end();) {
        if (may_describe(it->name_)) {
            ++it;
            continue;
        }
        if (!named) {
            it = topics.erase(it);
            continue;
        }
        for (auto& p : it->partitions_) {
            p.committed_offset_ = -1;
            p.committed_leader_epoch_ = -1;
            p.metadata_ = std::string();
            p.error_code_ = error::topic_authorization_failed;
        }
        ++it;
    }
}

}  // namespace

JoinGroupResponse Broker::handle_join_group(const RequestContext& ctx,
                                            const JoinGroupRequest& req) {
    const group::ClientInfo client{ctx.header.client_id_.value_or(""), ctx.client_host};
    if (!allowed(ctx, AclOperation::read, ResourceType::group, req.group_id_)) {
        JoinGroupResponse resp;
        resp.error_code_ = error::group_authorization_failed;
        resp.generation_id_ = -1;
        resp.protocol_name_ = std::nullopt;
        resp.member_id_ = req.member_id_;
        return resp;
    }
    auto r = groups_->call_deferred(
        req.group_id_, ctx.version, true,
        [&](group::GroupCoordinator& c, group::Token t, group::Now n, group::Effects& fx) {
            c.join_group(t, req, ctx.version, client, n, fx);
        },
        [&] { release_turn(ctx); });
    if (!r.ok() || !std::holds_alternative<JoinGroupResponse>(r->response)) {
        JoinGroupResponse resp;
        resp.error_code_ = r.ok() ? error::unknown_server_error : r.error();
        resp.generation_id_ = -1;
        resp.protocol_name_ = std::nullopt;
        resp.member_id_ = req.member_id_;
        return resp;
    }
    return std::get<JoinGroupResponse>(std::move(r->response));
}

SyncGroupResponse Broker::handle_sync_group(const RequestContext& ctx,
                                            const SyncGroupRequest& req) {
    if (!allowed(ctx, AclOperation::read, ResourceType::group, req.group_id_)) {
        SyncGroupResponse resp;
        resp.error_code_ = error::group_authorization_failed;
        resp.protocol_type_ = std::nullopt;
        resp.protocol_name_ = std::nullopt;
        return resp;
    }
    auto r = groups_->call_deferred(
        req.group_id_, ctx.version, false,
        [&](group::GroupCoordinator& c, group::Token t, group::Now n, group::Effects& fx) {
            c.sync_group(t, req, ctx.version, n, fx);
        },
        [&] { release_turn(ctx); });
    if (!r.ok() || !std::holds_alternative<SyncGroupResponse>(r->response)) {
        SyncGroupResponse resp;
        resp.error_code_ = r.ok() ? error::unknown_server_error : r.error();
        resp.protocol_type_ = std::nullopt;
        resp.protocol_name_ = std::nullopt;
        return resp;
    }
    return std::get<SyncGroupResponse>(std::move(r->response));
}

HeartbeatResponse Broker::handle_heartbeat(const RequestContext& ctx, const HeartbeatRequest& req) {
    if (!allowed(ctx, AclOperation::read, ResourceType::group, req.group_id_)) {
        HeartbeatResponse resp;
        resp.error_code_ = error::group_authorization_failed;
        return resp;
    }
    auto r = groups_->call(req.group_id_,
                           [&](group::GroupCoordinator& c, group::Now n, group::Effects& fx) {
                               return c.heartbeat(req, ctx.version, n, fx);
                           });
    if (!r.ok()) {
        HeartbeatResponse resp;
        resp.error_code_ = r.error();
        return resp;
    }
    return std::move(r).value();
}

LeaveGroupResponse Broker::handle_leave_group(const RequestContext& ctx,
                                              const LeaveGroupRequest& req) {
    if (!allowed(ctx, AclOperation::read, ResourceType::group, req.group_id_)) {
        LeaveGroupResponse resp;
        resp.error_code_ = error::group_authorization_failed;
        return resp;
    }
    auto r = groups_->call(req.group_id_,
                           [&](group::GroupCoordinator& c, group::Now n, group::Effects& fx) {
                               return c.leave_group(req, ctx.version, n, fx);
                           });
    if (!r.ok()) {
        LeaveGroupResponse resp;
        resp.error_code_ = r.error();
        return resp;
    }
    return std::move(r).value();
}

OffsetCommitResponse Broker::handle_offset_commit(const RequestContext& ctx,
                                                  const OffsetCommitRequest& req) {
    // Partitions of unknown topics are answered here (Kafka: UNKNOWN_TOPIC_OR_PARTITION); the
    // rest go to the coordinator.
    // Authorization: READ on the group (every partition GROUP_AUTHORIZATION_FAILED), READ on each
    // topic (its partitions TOPIC_AUTHORIZATION_FAILED).
    const bool group_denied = !allowed(ctx, AclOperation::read, ResourceType::group, req.group_id_);
    OffsetCommitRequest known = req;
    known.topics_.clear();
    OffsetCommitResponse unknown;
    for (const auto& t : req.topics_) {
        if (group_denied ||
            !allowed(ctx, AclOperation::read, ResourceType::topic, t.name_)) {
            OffsetCommitResponse::OffsetCommitResponseTopic ut;
            ut.name_ = t.name_;
            for (const auto& p : t.partitions_) {
                OffsetCommitResponse::OffsetCommitResponsePartition up;
                up.partition_index_ = p.partition_index_;
                up.error_code_ = group_denied ? error::group_authorization_failed
                                              : error::topic_authorization_failed;
                ut.partitions_.push_back(up);
            }
            unknown.topics_.push_back(std::move(ut));
            continue;
        }
        const auto* topic = controller_->image().topic(t.name_);
        OffsetCommitRequest::OffsetCommitRequestTopic kt;
        kt.name_ = t.name_;
        OffsetCommitResponse::OffsetCommitResponseTopic ut;
        ut.name_ = t.name_;
        for (const auto& p : t.partitions_) {
            if (topic == nullptr || !topic->partitions.contains(p.partition_index_)) {
                OffsetCommitResponse::OffsetCommitResponsePartition up;
                up.partition_index_ = p.partition_index_;
                up.error_code_ = error::unknown_topic_or_partition;
                ut.partitions_.push_back(up);
            } else {
                kt.partitions_.push_back(p);
            }
        }
        if (!kt.partitions_.empty()) {
            known.topics_.push_back(std::move(kt));
        }
        if (!ut.partitions_.empty()) {
            unknown.topics_.push_back(std::move(ut));
        }
    }
    OffsetCommitResponse resp;
    if (!group_denied && (!known.topics_.empty() || unknown.topics_.empty())) {
        auto r = groups_->call(req.group_id_,
                               [&](group::GroupCoordinator& c, group::Now n, group::Effects& fx) {
                                   return c.offset_commit(known, ctx.version, n, fx);
                               });
        if (r.ok()) {
            resp = std::move(r).value();
        } else {
            for (const auto& t : known.topics_) {
                OffsetCommitResponse::OffsetCommitResponseTopic rt;
                rt.name_ = t.name_;
                for (const auto& p : t.partitions_) {
                    OffsetCommitResponse::OffsetCommitResponsePartition rp;
                    rp.partition_index_ = p.partition_index_;
                    rp.error_code_ = r.error();
                    rt.partitions_.push_back(rp);
                }
                resp.topics_.push_back(std::move(rt));
            }
        }
    }
    for (auto& t : unknown.topics_) {
        resp.topics_.push_back(std::move(t));
    }
    return resp;
}

namespace {

OffsetFetchResponse::OffsetFetchResponseGroup fetch_group_error(
    const OffsetFetchRequest::OffsetFetchRequestGroup& g, int16_t e) {
    OffsetFetchResponse::OffsetFetchResponseGroup rg;
    rg.group_id_ = g.group_id_;
    rg.error_code_ = e;
    return rg;
}

}  // namespace

OffsetFetchResponse Broker::handle_offset_fetch(const RequestContext& ctx,
                                                const OffsetFetchRequest& req) {
    // Authorization: DESCRIBE on the group, then on each topic (restrict_offset_topics).
    auto may_describe = [&](const std::string& topic) {
        return allowed(ctx, AclOperation::describe, ResourceType::topic, topic, true);
    };
    if (ctx.version >= 8) {
        // Groups may live on different coordinator partitions: one call per group.
        OffsetFetchResponse resp;
        for (const auto& g : req.groups_) {
            if (!allowed(ctx, AclOperation::describe, ResourceType::group, g.group_id_)) {
                resp.groups_.push_back(fetch_group_error(g, error::group_authorization_failed));
                continue;
            }
            OffsetFetchRequest one;
            one.require_stable_ = req.require_stable_;
            one.groups_.push_back(g);
            auto r = groups_->call(g.group_id_,
                                   [&](group::GroupCoordinator& c, group::Now, group::Effects&) {
                                       return c.offset_fetch(one, ctx.version);
                                   });
            ASSERT(!r.ok() || r->groups_.size() == 1, "the coordinator answers each group asked");
            if (r.ok() && r->groups_.size() == 1) {
                restrict_offset_topics(r->groups_[0].topics_, g.topics_.has_value(), may_describe);
                resp.groups_.push_back(std::move(r->groups_[0]));
            } else {
                resp.groups_.push_back(
                    fetch_group_error(g, r.ok() ? error::unknown_server_error : r.error()));
            }
        }
        return resp;
    }
    const bool group_denied =
        !allowed(ctx, AclOperation::describe, ResourceType::group, req.group_id_);
    auto r = group_denied
                 ? Result<OffsetFetchResponse, int16_t>(fail(error::group_authorization_failed))
                 : groups_->call(req.group_id_,
                                 [&](group::GroupCoordinator& c, group::Now, group::Effects&) {
                                     return c.offset_fetch(req, ctx.version);
                                 });
    if (r.ok()) {
        restrict_offset_topics(r->topics_, req.topics_.has_value(), may_describe);
        return std::move(r).value();
    }
    OffsetFetchResponse resp;
    resp.error_code_ = r.error();
    if (req.topics_) {
        for (const auto& t : *req.topics_) {
            OffsetFetchResponse::OffsetFetchResponseTopic rt;
            rt.name_ = t.name_;
            for (int32_t p : t.partition_indexes_) {
                OffsetFetchResponse::OffsetFetchResponsePartition rp;
                rp.partition_index_ = p;
                rp.committed_offset_ = -1;
                rp.error_code_ = r.error();
                rt.partitions_.push_back(rp);
            }
            resp.topics_.push_back(std::move(rt));
        }
    }
    return resp;
}

DescribeGroupsResponse Broker::handle_describe_groups(const RequestContext& ctx,
                                                      const DescribeGroupsRequest& req) {
    DescribeGroupsResponse resp;
    std::set<std::string_view> described;
    for (const auto& id : req.groups_) {
        if (!described.insert(id).second) {
            // Named again in the same request: described once. (Each description may carry every
            // member's metadata, so repeating one would let a small request build a huge answer.)
            DescribeGroupsResponse::DescribedGroup g;
            g.group_id_ = id;
            g.error_code_ = error::invalid_request;
            resp.groups_.push_back(std::move(g));
            continue;
        }
        if (!allowed(ctx, AclOperation::describe, ResourceType::group, id)) {
            DescribeGroupsResponse::DescribedGroup g;
            g.group_id_ = id;
            g.error_code_ = error::group_authorization_failed;
            resp.groups_.push_back(std::move(g));
            continue;
        }
        DescribeGroupsRequest one;
        one.include_authorized_operations_ = req.include_authorized_operations_;
        one.groups_.push_back(id);
        auto r = groups_->call(id, [&](group::GroupCoordinator& c, group::Now, group::Effects&) {
            return c.describe_groups(one, ctx.version);
        });
        ASSERT(!r.ok() || r->groups_.size() == 1, "the coordinator describes each group asked");
        if (r.ok() && r->groups_.size() == 1) {
            if (ctx.version >= 3 && req.include_authorized_operations_) {
                r->groups_[0].authorized_operations_ =
                    authorized_operations(ctx, ResourceType::group, id);
            }
            resp.groups_.push_back(std::move(r->groups_[0]));
        } else {
            DescribeGroupsResponse::DescribedGroup g;
            g.group_id_ = id;
            g.error_code_ = r.ok() ? error::unknown_server_error : r.error();
            resp.groups_.push_back(std::move(g));
        }
    }
    ASSERT(resp.groups_.size() == req.groups_.size(), "every group asked is described");
    return resp;
}

ListGroupsResponse Broker::handle_list_groups(const RequestContext& ctx,
                                              const ListGroupsRequest& req) {
    ListGroupsResponse resp;
    const bool list_all = allowed(ctx, AclOperation::describe, ResourceType::cluster,
                                  security::cluster_resource_name, true);
    if (int16_t e = groups_->ensure_ready(); e != 0) {
        resp.error_code_ = e;
        return resp;
    }
    for (int32_t p = 0; p < groups_->partitions(); ++p) {
        auto r = groups_->call_on<ListGroupsResponse>(
            p, [&](group::GroupCoordinator& c, group::Now, group::Effects&) {
                return c.list_groups(req, ctx.version);
            });
        if (!r.ok()) {
            resp.error_code_ = r.error();
            continue;
        }
        if (r->error_code_ != 0) {
            resp.error_code_ = r->error_code_;
        }
        for (auto& g : r->groups_) {
            // DESCRIBE on the cluster lists every group, else those DESCRIBE-able.
            if (list_all || allowed(ctx, AclOperation::describe, ResourceType::group,
                                    g.group_id_, true)) {
                resp.groups_.push_back(std::move(g));
            }
        }
    }
    return resp;
}

DeleteGroupsResponse Broker::handle_delete_groups(const RequestContext& ctx,
                                                  const DeleteGroupsRequest& req) {
    DeleteGroupsResponse resp;
    for (const auto& id : req.groups_names_) {
        if (!allowed(ctx, AclOperation::delete_, ResourceType::group, id)) {
            DeleteGroupsResponse::DeletableGroupResult g;
            g.group_id_ = id;
            g.error_code_ = error::group_authorization_failed;
            resp.results_.push_back(std::move(g));
            continue;
        }
        DeleteGroupsRequest one;
        one.groups_names_.push_back(id);
        auto r =
            groups_->call(id, [&](group::GroupCoordinator& c, group::Now n, group::Effects& fx) {
                return c.delete_groups(one, ctx.version, n, fx);
            });
        ASSERT(!r.ok() || r->results_.size() == 1, "the coordinator answers each group asked");
        if (r.ok() && r->results_.size() == 1) {
            resp.results_.push_back(std::move(r->results_[0]));
        } else {
            DeleteGroupsResponse::DeletableGroupResult g;
            g.group_id_ = id;
            g.error_code_ = r.ok() ? error::unknown_server_error : r.error();
            resp.results_.push_back(std::move(g));
        }
    }
    return resp;
}

OffsetDeleteResponse Broker::handle_offset_delete(const RequestContext& ctx,
                                                  const OffsetDeleteRequest& req) {
    if (!allowed(ctx, AclOperation::delete_, ResourceType::group, req.group_id_)) {
        OffsetDeleteResponse resp;
        resp.error_code_ = error::group_authorization_failed;
        return resp;
    }
    auto r = groups_->call(req.group_id_,
                           [&](group::GroupCoordinator& c, group::Now n, group::Effects& fx) {
                               return c.offset_delete(req, ctx.version, n, fx);
                           });
    if (!r.ok()) {
        OffsetDeleteResponse resp;
        resp.error_code_ = r.error();
        return resp;
    }
    return std::move(r).value();
}

}  // namespace eddy::kafka
