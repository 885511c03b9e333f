// Client: connections, metadata and routing. Data calls are in client_data.cpp, admin calls in
// client_admin.cpp.
#include "services/client/client.h"

#include <algorithm>
#include <utility>

#include "core/protocol/generated/describe_cluster.h"
#include "core/protocol/generated/metadata.h"

namespace eddy::client {

const char* to_string(ConfigSource s) {
    switch (s) {
        case ConfigSource::unknown: return "unknown";
        case ConfigSource::dynamic_topic: return "dynamic topic config";
        case ConfigSource::dynamic_broker: return "dynamic broker config";
        case ConfigSource::dynamic_default_broker: return "dynamic default broker config";
        case ConfigSource::static_broker: return "static broker config";
        case ConfigSource::default_config: return "default";
        case ConfigSource::dynamic_broker_logger: return "dynamic broker logger config";
        case ConfigSource::client_metrics: return "client metrics config";
    }
    return "unknown";
}

Client::Client(Env& env, ClientOptions options) : env_(env), options_(std::move(options)) {
    ASSERT(!options_.bootstrap.empty(), "a client needs at least one bootstrap broker");
}

Client::~Client() = default;

void Client::drop_broken() {
    for (auto it = connections_.begin(); it != connections_.end();) {
        if (it->second->broken()) {
            it = connections_.erase(it);
        } else {
            ++it;
        }
    }
}

Result<BrokerConnection*, ClientError> Client::connect(const Address& address, Instant deadline) {
    auto it = connections_.find(address);
    if (it != connections_.end() && !it->second->broken()) {
        return it->second.get();
    }
    TRY_ASSIGN(auto conn, BrokerConnection::open(env_, address, options_.client_id, deadline,
                                                 options_.sasl ? &*options_.sasl : nullptr));
    BrokerConnection* raw = conn.get();
    connections_[address] = std::move(conn);
    return raw;
}

Result<BrokerConnection*, ClientError> Client::any_broker(Instant deadline) {
    for (auto& [address, conn] : connections_) {
        if (!conn->broken()) {
            return conn.get();
        }
    }
    std::optional<ClientError> last;
    for (const Address& a : options_.bootstrap) {
        auto c = connect(a, deadline);
        if (c.ok()) {
            return c;
        }
        last = c.error();
    }
    for (const auto& [id, a] : brokers_) {
        auto c = connect(a, deadline);
        if (c.ok()) {
            return c;
        }
        last = c.error();
    }
    return fail(*last);
}

Result<BrokerConnection*, ClientError> Client::broker(NodeId node, Instant deadline) {
    if (brokers_.find(node) == brokers_.end()) {
        TRY_VOID(fetch_metadata(std::vector<std::string>{}, deadline));
    }
    const auto it = brokers_.find(node);
    if (it == brokers_.end()) {
        return fail(ClientError{error_code::broker_not_available,
                                "broker " + std::to_string(node.value()) + " is not in metadata"});
    }
    return connect(it->second, deadline);
}

Result<BrokerConnection*, ClientError> Client::controller(Instant deadline) {
    if (!controller_) {
        TRY_VOID(fetch_metadata(std::vector<std::string>{}, deadline));
    }
    if (controller_ && brokers_.find(*controller_) != brokers_.end()) {
        return broker(*controller_, deadline);
    }
    return any_broker(deadline);  // KRaft brokers forward admin requests to the controller
}

Result<BrokerConnection*, ClientError> Client::leader(const std::string& topic,
                                                      PartitionId partition, Instant deadline) {
    const auto key = std::make_pair(topic, partition.value());
    if (leaders_.find(key) == leaders_.end()) {
        TRY_ASSIGN(ClusterMetadata md, fetch_metadata(std::vector<std::string>{topic}, deadline));
        const TopicMetadata& t = md.topics.at(0);
        if (t.error_code != error_code::none) {
            return fail(topic_error(t.error_code, topic, std::nullopt));
        }
        const auto p = std::find_if(t.partitions.begin(), t.partitions.end(),
                                    [&](const PartitionMetadata& pm) { return pm.id == partition; });
        if (p == t.partitions.end()) {
            return fail(ClientError{error_code::unknown_topic_or_partition,
                                    "topic '" + topic + "' has no partition " +
                                        std::to_string(partition.value())});
        }
        if (p->leader.value() < 0) {
            return fail(ClientError{error_code::leader_not_available,
                                    "partition " + topic + "-" +
                                        std::to_string(partition.value()) + " has no leader"});
        }
    }
    const auto it = leaders_.find(key);
    if (it == leaders_.end()) {
        return fail(ClientError{error_code::leader_not_available, "no leader for " + topic});
    }
    return broker(it->second, deadline);
}

Result<ClusterMetadata, ClientError> Client::fetch_metadata(
    const std::optional<std::vector<std::string>>& topics, Instant deadline) {
    TRY_ASSIGN(BrokerConnection * conn, any_broker(deadline));
    protocol::MetadataRequest req;
    if (topics) {
        std::vector<protocol::MetadataRequest::MetadataRequestTopic> ts;
        for (const std::string& t : *topics) {
            protocol::MetadataRequest::MetadataRequestTopic mt;
            mt.name_ = t;
            ts.push_back(std::move(mt));
        }
        req.topics_ = std::move(ts);
    } else {
        req.topics_ = std::nullopt;
    }
    req.allow_auto_topic_creation_ = false;
    TRY_ASSIGN(auto resp, conn->call<protocol::MetadataResponse>(req, deadline));

    ClusterMetadata md;
    md.cluster_id = resp.cluster_id_;
    md.controller = NodeId(resp.controller_id_);
    for (const auto& b : resp.brokers_) {
        if (b.port_ < 0 || b.port_ > 65535) {
            continue;  // a broker we could not connect to anyway
        }
        BrokerMetadata bm{NodeId(b.node_id_), Address{b.host_, static_cast<uint16_t>(b.port_)},
                          b.rack_};
        brokers_[bm.id] = bm.address;
        md.brokers.push_back(std::move(bm));
    }
    if (resp.controller_id_ >= 0) {
        controller_ = NodeId(resp.controller_id_);
    }
    for (const auto& t : resp.topics_) {
        TopicMetadata tm;
        tm.name = t.name_.value_or("");
        tm.error_code = t.error_code_;
        tm.internal = t.is_internal_;
        for (const auto& p : t.partitions_) {
            PartitionMetadata pm;
            pm.id = PartitionId(p.partition_index_);
            pm.error_code = p.error_code_;
            pm.leader = NodeId(p.leader_id_);
            pm.leader_epoch = LeaderEpoch(p.leader_epoch_);
            pm.replicas = p.replica_nodes_;
            pm.isr = p.isr_nodes_;
            pm.offline_replicas = p.offline_replicas_;
            if (p.leader_id_ >= 0) {
                leaders_[std::make_pair(tm.name, p.partition_index_)] = pm.leader;
            }
            tm.partitions.push_back(std::move(pm));
        }
        std::sort(tm.partitions.begin(), tm.partitions.end(),
                  [](const PartitionMetadata& a, const PartitionMetadata& b) { return a.id < b.id; });
        md.topics.push_back(std::move(tm));
    }
    std::sort(md.brokers.begin(), md.brokers.end(),
              [](const BrokerMetadata& a, const BrokerMetadata& b) { return a.id < b.id; });
    std::sort(md.topics.begin(), md.topics.end(),
              [](const TopicMetadata& a, const TopicMetadata& b) { return a.name < b.name; });
    if (topics && md.topics.empty()) {
        // A broker answers with one entry per requested topic; none at all is a broken answer.
        for (const std::string& t : *topics) {
            md.topics.push_back(TopicMetadata{t, error_code::unknown_topic_or_partition, false, {}});
        }
    }
    return md;
}

Result<ClusterMetadata, ClientError> Client::metadata(
    const std::optional<std::vector<std::string>>& topics) {
    const Instant d = deadline();
    return with_retries(d, [&] { return fetch_metadata(topics, d); });
}

Result<TopicMetadata, ClientError> Client::topic(const std::string& name) {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<TopicMetadata, ClientError> {
        TRY_ASSIGN(ClusterMetadata md, fetch_metadata(std::vector<std::string>{name}, d));
        TopicMetadata& t = md.topics.at(0);
        if (t.error_code != error_code::none) {
            return fail(topic_error(t.error_code, name, std::nullopt));
        }
        return std::move(t);
    }, false);
}

Result<VersionTable, ClientError> Client::versions() {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<VersionTable, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        return conn->versions();
    });
}

Result<void, ClientError> Client::reach(const Address& address) {
    // Not connect(): a cached connection may not have noticed yet that its broker died.
    TRY_ASSIGN(auto conn, BrokerConnection::open(env_, address, options_.client_id, deadline(),
                                                 options_.sasl ? &*options_.sasl : nullptr));
    (void)conn;
    return {};
}

Result<ClusterDescription, ClientError> Client::describe_cluster(bool include_fenced) {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<ClusterDescription, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        ClusterDescription out;
        if (!conn->versions().version(protocol::ApiKey::describe_cluster)) {
            TRY_ASSIGN(ClusterMetadata md, fetch_metadata(std::vector<std::string>{}, d));
            out.cluster_id = md.cluster_id.value_or("");
            out.controller = md.controller;
            out.brokers = std::move(md.brokers);
            return out;
        }
        protocol::DescribeClusterRequest req;
        req.include_fenced_brokers_ = include_fenced;  // v2+; older versions drop it
        TRY_ASSIGN(auto resp, conn->call<protocol::DescribeClusterResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, resp.error_message_.value_or("")});
        }
        out.cluster_id = resp.cluster_id_;
        out.controller = NodeId(resp.controller_id_);
        for (const auto& b : resp.brokers_) {
            if (b.port_ < 0 || b.port_ > 65535) {
                continue;
            }
            out.brokers.push_back(BrokerMetadata{NodeId(b.broker_id_),
                                                 Address{b.host_, static_cast<uint16_t>(b.port_)},
                                                 b.rack_, b.is_fenced_});
        }
        std::sort(out.brokers.begin(), out.brokers.end(),
                  [](const BrokerMetadata& a, const BrokerMetadata& b) { return a.id < b.id; });
        return out;
    });
}

}  // namespace eddy::client
