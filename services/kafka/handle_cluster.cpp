// Handlers: ApiVersions, Metadata (with auto topic creation), DescribeCluster, DescribeLogDirs.
#include <algorithm>
#include <limits>
#include <set>

#include "services/kafka/api_table.h"
#include "services/kafka/broker.h"
#include "services/kafka/errors.h"

namespace eddy::kafka {

using namespace protocol;

ApiVersionsResponse Broker::handle_api_versions(const RequestContext& ctx,
                                                const ApiVersionsRequest&) {
    ApiVersionsResponse resp;
    for (const auto& a : supported_apis(ctx.listener_kind)) {
        ApiVersionsResponse::ApiVersion v;
        v.api_key_ = static_cast<int16_t>(a.key);
        v.min_version_ = a.min_version;
        v.max_version_ = a.max_version;
        resp.api_keys_.push_back(v);
    }
    return resp;
}

std::vector<Broker::LiveBroker> Broker::live_brokers(const RequestContext& ctx) const {
    const std::string& name = listeners_[ctx.listener].endpoint.listener;
    std::vector<LiveBroker> out;
    for (const auto& [id, b] : controller_->image().brokers()) {
        if (b.fenced || b.endpoints.empty()) {
            continue;
        }
        // The endpoint of the listener the request came in on (clients reach every broker the
        // way they reached this one), else the broker's first.
        const controller::BrokerEndpoint* ep = &b.endpoints.front();
        for (const auto& e : b.endpoints) {
            if (e.name == name) {
                ep = &e;
            }
        }
        out.push_back(LiveBroker{id, ep->host, ep->port, b.rack});
    }
    return out;
}

int32_t Broker::controller_id_for_clients(const std::vector<LiveBroker>& live) const {
    // KIP-590: clients cannot reach the controllers, so brokers name a live broker: the active
    // controller when it is one (a combined node), else the lowest live id.
    const auto leader = quorum_->leader();
    for (const auto& b : live) {
        if (leader && b.id == leader->value()) {
            return b.id;
        }
    }
    return live.empty() ? -1 : live.front().id;
}

const Broker::LiveBroker* Broker::find_live(const std::vector<LiveBroker>& live, int32_t id) {
    for (const auto& b : live) {
        if (b.id == id) {
            return &b;
        }
    }
    return nullptr;
}

MetadataResponse Broker::handle_metadata(const RequestContext& ctx, const MetadataRequest& req) {
    MetadataResponse resp;
    const auto live = live_brokers(ctx);
    for (const auto& l : live) {
        MetadataResponse::MetadataResponseBroker b;
        b.node_id_ = l.id;
        b.host_ = l.host;
        b.port_ = l.port;
        b.rack_ = l.rack;
        resp.brokers_.push_back(std::move(b));
    }
    resp.cluster_id_ = meta_.cluster_id;
    resp.controller_id_ = controller_id_for_clients(live);

    // Which topics: v0 with an empty list and v1+ with a null list mean all of them.
    const bool all = !req.topics_ || (ctx.version == 0 && req.topics_->empty());
    std::vector<std::string> names;
    std::vector<MetadataResponse::MetadataResponseTopic> unknown_ids;
    if (all) {
        for (const auto& [name, t] : controller_->image().topics()) {
            (void)t;
            // Listing every topic: those not DESCRIBE-able are left out silently (Kafka).
            if (allowed(ctx, security::AclOperation::describe, security::ResourceType::topic,
                        name, true)) {
                names.push_back(name);
            }
        }
    } else {
        std::set<std::string> seen;
        for (const auto& t : *req.topics_) {
            if (t.name_) {
                if (seen.insert(*t.name_).second) {
                    names.push_back(*t.name_);
                }
            } else if (const auto* byid = controller_->image().topic(t.topic_id_)) {
                if (seen.insert(byid->name).second) {
                    names.push_back(byid->name);
                }
            } else {
                MetadataResponse::MetadataResponseTopic rt;
                rt.error_code_ = error::unknown_topic_id;
                rt.name_ = std::nullopt;
                rt.topic_id_ = t.topic_id_;
                unknown_ids.push_back(rt);
            }
        }
    }
    // kafka-python's v0-3 requests have no flag: auto-create when the broker allows it.
    const bool may_create =
        !all && auto_create_allowed() && (ctx.version < 4 || req.allow_auto_topic_creation_);
    for (const auto& name : names) {
        MetadataResponse::MetadataResponseTopic rt;
        rt.name_ = name;
        const auto* t = controller_->image().topic(name);
        // A named topic needs DESCRIBE; creating it CREATE on the cluster or else on the topic
        // (security::api_acl_rule(metadata)). Both refusals are TOPIC_AUTHORIZATION_FAILED.
        const bool refused =
            !all && (!allowed(ctx, security::AclOperation::describe,
                              security::ResourceType::topic, name) ||
                     (t == nullptr && may_create &&
                      !allowed(ctx, security::AclOperation::create,
                               security::ResourceType::cluster, security::cluster_resource_name,
                               true) &&
                      !allowed(ctx, security::AclOperation::create, security::ResourceType::topic,
                               name)));
        if (refused) {
            rt.error_code_ = error::topic_authorization_failed;
            resp.topics_.push_back(rt);
            continue;
        }
        if (t == nullptr && may_create && name == offsets_topic) {
            // Kafka creates its internal topics with their own settings, never as plain topics:
            // __consumer_offsets as the group coordinators need it (compacted, N partitions).
            // __transaction_state is not created (no transactions yet); __cluster_metadata is
            // the metadata log.
            (void)ensure_offsets_topic();
            t = controller_->image().topic(name);
        } else if (t == nullptr && may_create && !is_internal_topic(name)) {
            controller::NewTopic nt;
            nt.name = name;
            auto created = create_topic_via_controller(nt);
            if (created.error.ok()) {
                reconcile();
            } else if (created.error.code != error::topic_already_exists) {
                rt.error_code_ = created.error.code == error::invalid_topic_exception
                                     ? error::invalid_topic_exception
                                     : error::leader_not_available;
                resp.topics_.push_back(rt);
                continue;
            }
            t = controller_->image().topic(name);
        }
        if (t == nullptr) {
            rt.error_code_ = error::unknown_topic_or_partition;
            resp.topics_.push_back(rt);
            continue;
        }
        rt.topic_id_ = t->id;
        rt.is_internal_ = is_internal_topic(name);
        for (const auto& [p, ps] : t->partitions) {
            // The image's invariants (MetadataImage): what Metadata tells clients is consistent.
            ASSERT(ps.partition == p, "a partition is filed under its own id");
            ASSERT(ps.leader == -1 ||
                       std::find(ps.replicas.begin(), ps.replicas.end(), ps.leader) !=
                           ps.replicas.end(),
                   "a partition's leader is one of its replicas");
            MetadataResponse::MetadataResponsePartition rp;
            rp.partition_index_ = p;

            rp.leader_id_ = ps.leader;
            rp.leader_epoch_ = ps.leader_epoch;
            rp.replica_nodes_ = ps.replicas;
            rp.isr_nodes_ = ps.isr;
            // A leader the clients cannot reach (fenced), none, or this node without its log:
            // LEADER_NOT_AVAILABLE, and the clients ask again.
            const bool here_but_offline =
                ps.leader == node_id_ && (!partition_log(name, p) || partition_log(name, p)->offline());
            if (find_live(live, ps.leader) == nullptr || here_but_offline) {
                rp.error_code_ = error::leader_not_available;
                rp.leader_id_ = -1;
            }
            rt.partitions_.push_back(rp);
        }
        if (ctx.version >= 8 && req.include_topic_authorized_operations_) {
            rt.topic_authorized_operations_ =
                authorized_operations(ctx, security::ResourceType::topic, name);
        }
        resp.topics_.push_back(std::move(rt));
    }
    for (auto& u : unknown_ids) {
        resp.topics_.push_back(std::move(u));
    }
    if (ctx.version >= 8 && ctx.version <= 10 && req.include_cluster_authorized_operations_) {
        resp.cluster_authorized_operations_ = authorized_operations(
            ctx, security::ResourceType::cluster, security::cluster_resource_name);
    }
    return resp;
}

// A group's coordinator is the leader of its `__consumer_offsets` partition (group_manager.h).
// Transaction coordinators are not there yet. librdkafka also needs FindCoordinator advertised to
// enable LZ4.
FindCoordinatorResponse Broker::handle_find_coordinator(const RequestContext& ctx,
                                                        const FindCoordinatorRequest& req) {
    FindCoordinatorResponse resp;
    const auto live = live_brokers(ctx);
    // The coordinator of a key is the leader of its __consumer_offsets partition. Before that
    // topic exists, this broker: the group's first JoinGroup creates it, and if another broker
    // then leads the group's partition the answer is NOT_COORDINATOR and the client asks again.
    auto coordinator = [&](const std::string& key) -> const LiveBroker* {
        const auto* t = controller_->image().topic(offsets_topic);
        int32_t leader = node_id_;
        if (t != nullptr) {
            const auto it = t->partitions.find(groups_->partition_for(key));
            leader = it == t->partitions.end() ? -1 : it->second.leader;
        }
        return find_live(live, leader);
    };
    const bool valid_type = req.key_type_ == 0 || req.key_type_ == 1;
    // DESCRIBE on the group (key type 0) or transactional id (1).
    auto denied = [&](const std::string& key) -> int16_t {
        if (req.key_type_ == 0 &&
            !allowed(ctx, security::AclOperation::describe, security::ResourceType::group, key)) {
            return error::group_authorization_failed;
        }
        if (req.key_type_ == 1 && !allowed(ctx, security::AclOperation::describe,
                                           security::ResourceType::transactional_id, key)) {
            return error::transactional_id_authorization_failed;
        }
        return error::none;
    };
    if (ctx.version < 4) {
        resp.error_message_ = std::nullopt;
        if (!valid_type) {
            resp.error_code_ = error::invalid_request;
            resp.node_id_ = -1;
            resp.port_ = -1;
            return resp;
        }
        if (const int16_t e = denied(req.key_); e != error::none) {
            resp.error_code_ = e;
            resp.node_id_ = -1;
            resp.port_ = -1;
            return resp;
        }
        const LiveBroker* c = coordinator(req.key_);
        if (c == nullptr) {
            resp.error_code_ = error::coordinator_not_available;
            resp.node_id_ = -1;
            resp.port_ = -1;
            return resp;
        }
        resp.node_id_ = c->id;
        resp.host_ = c->host;
        resp.port_ = c->port;
        return resp;
    }
    for (const auto& key : req.coordinator_keys_) {
        FindCoordinatorResponse::Coordinator c;
        c.key_ = key;
        c.error_message_ = std::nullopt;
        if (!valid_type) {
            c.error_code_ = error::invalid_request;
            c.node_id_ = -1;
            c.port_ = -1;
        } else if (const int16_t e = denied(key); e != error::none) {
            c.error_code_ = e;
            c.node_id_ = -1;
            c.port_ = -1;
        } else if (const LiveBroker* lb = coordinator(key); lb == nullptr) {
            c.error_code_ = error::coordinator_not_available;
            c.node_id_ = -1;
            c.port_ = -1;
        } else {
            c.node_id_ = lb->id;
            c.host_ = lb->host;
            c.port_ = lb->port;
        }
        resp.coordinators_.push_back(std::move(c));
    }
    return resp;
}

DescribeClusterResponse Broker::handle_describe_cluster(const RequestContext& ctx,
                                                        const DescribeClusterRequest& req) {
    DescribeClusterResponse resp;
    resp.cluster_id_ = meta_.cluster_id;
    if (req.include_cluster_authorized_operations_) {
        resp.cluster_authorized_operations_ = authorized_operations(
            ctx, security::ResourceType::cluster, security::cluster_resource_name);
    }
    const auto live = live_brokers(ctx);
    resp.controller_id_ = controller_id_for_clients(live);
    for (const auto& l : live) {
        DescribeClusterResponse::DescribeClusterBroker b;
        b.broker_id_ = l.id;
        b.host_ = l.host;
        b.port_ = l.port;
        b.rack_ = l.rack;
        resp.brokers_.push_back(std::move(b));
    }
    // v2 (KIP-1073): the fenced registered brokers too, with IsFenced, when asked (v0/v1 and
    // v2 without the flag list the live ones only). Their endpoint: the request's listener's,
    // else their first, as for the live ones.
    if (ctx.version >= 2 && req.include_fenced_brokers_) {
        const std::string& name = listeners_[ctx.listener].endpoint.listener;
        for (const auto& [id, s] : controller_->image().brokers()) {
            if (!s.fenced || s.endpoints.empty()) {
                continue;
            }
            auto ep =
                std::find_if(s.endpoints.begin(), s.endpoints.end(),
                             [&](const controller::BrokerEndpoint& e) { return e.name == name; });
            ep = ep == s.endpoints.end() ? s.endpoints.begin() : ep;
            DescribeClusterResponse::DescribeClusterBroker b;
            b.broker_id_ = id;
            b.host_ = ep->host;
            b.port_ = ep->port;
            b.rack_ = s.rack;
            b.is_fenced_ = true;
            resp.brokers_.push_back(std::move(b));
        }
        std::sort(resp.brokers_.begin(), resp.brokers_.end(),
                  [](const auto& a, const auto& b) { return a.broker_id_ < b.broker_id_; });
    }
    return resp;
}

DescribeLogDirsResponse Broker::handle_describe_log_dirs(const RequestContext& ctx,
                                                         const DescribeLogDirsRequest& req) {
    DescribeLogDirsResponse resp;
    if (!allowed_on_cluster(ctx, security::AclOperation::describe)) {
        // Kafka answers v3+ with the top-level code and no directories.
        resp.error_code_ = error::cluster_authorization_failed;
        return resp;
    }
    DescribeLogDirsResponse::DescribeLogDirsResult dir;
    dir.log_dir_ = options_.log_dir_display;
    // v4+ (KIP-827): the volume's size and what is still usable; -1 (the field's "unknown")
    // when the file system cannot tell. Values past int64 (an unlimited simulated disk) are
    // clamped.
    if (auto space = env_.disk.space(logs_->options().data_dir); space.ok()) {
        auto clamp = [](uint64_t v) {
            return static_cast<int64_t>(
                std::min<uint64_t>(v, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
        };
        dir.total_bytes_ = clamp(space->total_bytes);
        dir.usable_bytes_ = clamp(space->usable_bytes);
    }
    std::map<std::string, std::vector<int32_t>> wanted;
    if (req.topics_) {
        for (const auto& t : *req.topics_) {
            auto& v = wanted[t.topic_];
            v.insert(v.end(), t.partitions_.begin(), t.partitions_.end());
        }
    }
    std::map<std::string, DescribeLogDirsResponse::DescribeLogDirsTopic> out;
    for (const auto& tp : logs_->partitions()) {
        if (tp.topic == metadata_topic) {
            continue;
        }
        if (req.topics_) {
            auto it = wanted.find(tp.topic);
            if (it == wanted.end() || std::find(it->second.begin(), it->second.end(),
                                                tp.partition.value()) == it->second.end()) {
                continue;
            }
        }
        auto l = logs_->get_shared(tp);
        if (!l) {
            continue;
        }
        auto& t = out[tp.topic];
        t.name_ = tp.topic;
        DescribeLogDirsResponse::DescribeLogDirsPartition p;
        p.partition_index_ = tp.partition.value();
        p.partition_size_ = static_cast<int64_t>(l->size_bytes());
        p.offset_lag_ = 0;
        t.partitions_.push_back(p);
    }
    for (auto& [name, t] : out) {
        (void)name;
        dir.topics_.push_back(std::move(t));
    }
    resp.results_.push_back(std::move(dir));
    return resp;
}

}  // namespace eddy::kafka
