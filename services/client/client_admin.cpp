// Client admin calls: CreateTopics, DeleteTopics, CreatePartitions, ElectLeaders,
// AlterPartitionReassignments, ListPartitionReassignments, DescribeConfigs and
// IncrementalAlterConfigs (AlterConfigs on brokers without it). Sent to the controller as
// reported by Metadata (any broker in KRaft, which forwards), retried on retriable errors.
#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "core/protocol/generated/alter_configs.h"
#include "core/protocol/generated/alter_partition_reassignments.h"
#include "core/protocol/generated/create_partitions.h"
#include "core/protocol/generated/create_topics.h"
#include "core/protocol/generated/delete_topics.h"
#include "core/protocol/generated/describe_configs.h"
#include "core/protocol/generated/describe_quorum.h"
#include "core/protocol/generated/elect_leaders.h"
#include "core/protocol/generated/incremental_alter_configs.h"
#include "core/protocol/generated/list_partition_reassignments.h"
#include "services/client/client.h"

namespace eddy::client {

namespace {

constexpr int8_t resource_type_topic = 2;
constexpr int8_t op_set = 0;
constexpr int8_t op_delete = 1;
// The metadata log, the only partition DescribeQuorum describes (KIP-595).
constexpr const char* metadata_topic = "__cluster_metadata";
constexpr int32_t metadata_partition = 0;

int32_t timeout_ms(Duration d) {
    const int64_t ms = d.to_millis();
    return ms > INT32_MAX ? INT32_MAX : static_cast<int32_t>(ms);
}

// The entry of `topic` in a request's topics (appended when new): requests name each topic once,
// in the order first named. T has a `name_`.
template <typename T>
T& topic_entry(std::vector<T>& topics, std::map<std::string, size_t>& index,
               const std::string& topic) {
    const auto found = index.find(topic);
    if (found != index.end()) {
        return topics[found->second];
    }
    index.emplace(topic, topics.size());
    T& t = topics.emplace_back();
    t.name_ = topic;
    return t;
}

// A response's top-level error, with the broker's message (else `refused`).
template <typename Resp>
Result<void, ClientError> top_level_error(const Resp& resp, const char* refused) {
    if (resp.error_code_ == error_code::none) {
        return {};
    }
    const std::string message = resp.error_message_.value_or("");
    return fail(ClientError{resp.error_code_, message.empty() ? refused : message});
}

}  // namespace

Result<void, ClientError> Client::create_topic(const NewTopic& topic) {
    protocol::CreateTopicsRequest req;
    req.timeout_ms_ = timeout_ms(options_.request_timeout);
    protocol::CreateTopicsRequest::CreatableTopic t;
    t.name_ = topic.name;
    t.num_partitions_ = topic.partitions;
    t.replication_factor_ = topic.replication_factor;
    for (const auto& [k, v] : topic.configs) {
        protocol::CreateTopicsRequest::CreatableTopicConfig c;
        c.name_ = k;
        c.value_ = v;
        t.configs_.push_back(std::move(c));
    }
    req.topics_.push_back(std::move(t));
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, controller(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::CreateTopicsResponse>(req, d));
        for (const auto& r : resp.topics_) {
            if (r.name_ == topic.name && r.error_code_ != error_code::none) {
                return fail(topic_error(r.error_code_, topic.name, r.error_message_));
            }
        }
        return {};
    }, false);
}

Result<void, ClientError> Client::delete_topic(const std::string& name) {
    protocol::DeleteTopicsRequest req;
    req.timeout_ms_ = timeout_ms(options_.request_timeout);
    req.topic_names_.push_back(name);  // v0-5
    protocol::DeleteTopicsRequest::DeleteTopicState s;
    s.name_ = name;  // v6+
    req.topics_.push_back(std::move(s));
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, controller(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DeleteTopicsResponse>(req, d));
        for (const auto& r : resp.responses_) {
            if (r.error_code_ != error_code::none) {
                return fail(topic_error(r.error_code_, name, r.error_message_));
            }
        }
        return {};
    }, false);
}

Result<void, ClientError> Client::create_partitions(const std::string& name, int32_t total) {
    protocol::CreatePartitionsRequest req;
    req.timeout_ms_ = timeout_ms(options_.request_timeout);
    protocol::CreatePartitionsRequest::CreatePartitionsTopic t;
    t.name_ = name;
    t.count_ = total;
    t.assignments_ = std::nullopt;  // the controller places the new replicas
    req.topics_.push_back(std::move(t));
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, controller(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::CreatePartitionsResponse>(req, d));
        for (const auto& r : resp.results_) {
            if (r.error_code_ != error_code::none) {
                return fail(topic_error(r.error_code_, name, r.error_message_));
            }
        }
        return {};
    }, false);
}

Result<std::vector<ElectionResult>, ClientError> Client::elect_leaders(
    bool unclean, const std::optional<std::vector<std::pair<std::string, int32_t>>>& partitions) {
    protocol::ElectLeadersRequest req;
    req.election_type_ = unclean ? 1 : 0;
    req.timeout_ms_ = timeout_ms(options_.request_timeout);
    if (partitions) {
        req.topic_partitions_.emplace();
        for (const auto& [topic, p] : *partitions) {
            if (req.topic_partitions_->empty() || req.topic_partitions_->back().topic_ != topic) {
                protocol::ElectLeadersRequest::TopicPartitions t;
                t.topic_ = topic;
                req.topic_partitions_->push_back(std::move(t));
            }
            req.topic_partitions_->back().partitions_.push_back(p);
        }
    } else {
        req.topic_partitions_ = std::nullopt;
    }
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::vector<ElectionResult>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, controller(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::ElectLeadersResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, "ElectLeaders refused"});
        }
        std::vector<ElectionResult> out;
        for (const auto& t : resp.replica_election_results_) {
            for (const auto& p : t.partition_result_) {
                out.push_back({t.topic_, p.partition_id_, p.error_code_,
                               p.error_message_.value_or("")});
            }
        }
        return out;
    }, false);
}

Result<std::vector<PartitionResult>, ClientError> Client::alter_partition_reassignments(
    const std::vector<PartitionReassignment>& reassignments) {
    protocol::AlterPartitionReassignmentsRequest req;
    req.timeout_ms_ = timeout_ms(options_.request_timeout);
    std::map<std::string, size_t> index;
    for (const PartitionReassignment& r : reassignments) {
        auto& t = topic_entry(req.topics_, index, r.topic);
        protocol::AlterPartitionReassignmentsRequest::ReassignablePartition p;
        p.partition_index_ = r.partition;
        p.replicas_ = r.replicas;
        t.partitions_.push_back(std::move(p));
    }
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::vector<PartitionResult>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, controller(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::AlterPartitionReassignmentsResponse>(req, d));
        TRY_VOID(top_level_error(resp, "AlterPartitionReassignments refused"));
        std::vector<PartitionResult> out;
        for (const auto& t : resp.responses_) {
            for (const auto& p : t.partitions_) {
                out.push_back({t.name_, p.partition_index_, p.error_code_,
                               p.error_message_.value_or("")});
            }
        }
        return out;
    }, false);
}

Result<std::vector<OngoingReassignment>, ClientError> Client::list_partition_reassignments(
    const std::optional<std::vector<TopicPartition>>& partitions) {
    protocol::ListPartitionReassignmentsRequest req;
    req.timeout_ms_ = timeout_ms(options_.request_timeout);
    if (partitions) {
        req.topics_.emplace();
        std::map<std::string, size_t> index;
        for (const TopicPartition& tp : *partitions) {
            topic_entry(*req.topics_, index, tp.topic)
                .partition_indexes_.push_back(tp.partition.value());
        }
    } else {
        req.topics_ = std::nullopt;
    }
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::vector<OngoingReassignment>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, controller(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::ListPartitionReassignmentsResponse>(req, d));
        TRY_VOID(top_level_error(resp, "ListPartitionReassignments refused"));
        std::vector<OngoingReassignment> out;
        for (const auto& t : resp.topics_) {
            for (const auto& p : t.partitions_) {
                out.push_back({t.name_, p.partition_index_, p.replicas_, p.adding_replicas_,
                               p.removing_replicas_});
            }
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
        });
        return out;
    }, false);
}

Result<std::vector<ConfigEntry>, ClientError> Client::describe_topic_configs(
    const std::string& name) {
    protocol::DescribeConfigsRequest req;
    protocol::DescribeConfigsRequest::DescribeConfigsResource res;
    res.resource_type_ = resource_type_topic;
    res.resource_name_ = name;
    res.configuration_keys_ = std::nullopt;  // all of them
    req.resources_.push_back(std::move(res));
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<std::vector<ConfigEntry>, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DescribeConfigsResponse>(req, d));
        std::vector<ConfigEntry> out;
        for (const auto& r : resp.results_) {
            if (r.error_code_ != error_code::none) {
                return fail(topic_error(r.error_code_, name, r.error_message_));
            }
            for (const auto& c : r.configs_) {
                ConfigEntry e;
                e.name = c.name_;
                e.value = c.value_;
                e.read_only = c.read_only_;
                e.sensitive = c.is_sensitive_;
                e.source = c.config_source_ >= 0 && c.config_source_ <= 7
                               ? static_cast<ConfigSource>(c.config_source_)
                               : ConfigSource::unknown;
                out.push_back(std::move(e));
            }
        }
        std::sort(out.begin(), out.end(),
                  [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
        return out;
    }, false);
}

Result<void, ClientError> Client::alter_topic_configs(const std::string& name,
                                                      const std::vector<ConfigChange>& changes) {
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<void, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, controller(d));
        if (conn->versions().version(protocol::ApiKey::incremental_alter_configs)) {
            protocol::IncrementalAlterConfigsRequest req;
            protocol::IncrementalAlterConfigsRequest::AlterConfigsResource res;
            res.resource_type_ = resource_type_topic;
            res.resource_name_ = name;
            for (const ConfigChange& c : changes) {
                protocol::IncrementalAlterConfigsRequest::AlterableConfig a;
                a.name_ = c.name;
                a.config_operation_ = c.value ? op_set : op_delete;
                a.value_ = c.value;
                res.configs_.push_back(std::move(a));
            }
            req.resources_.push_back(std::move(res));
            TRY_ASSIGN(auto resp, conn->call<protocol::IncrementalAlterConfigsResponse>(req, d));
            for (const auto& r : resp.responses_) {
                if (r.error_code_ != error_code::none) {
                    return fail(topic_error(r.error_code_, name, r.error_message_));
                }
            }
            return {};
        }
        // AlterConfigs replaces the topic's whole dynamic config: start from the current one.
        TRY_ASSIGN(std::vector<ConfigEntry> current, describe_topic_configs(name));
        std::map<std::string, std::optional<std::string>> merged;
        for (const ConfigEntry& e : current) {
            if (e.source == ConfigSource::dynamic_topic) {
                merged[e.name] = e.value;
            }
        }
        for (const ConfigChange& c : changes) {
            if (c.value) {
                merged[c.name] = c.value;
            } else {
                merged.erase(c.name);
            }
        }
        protocol::AlterConfigsRequest req;
        protocol::AlterConfigsRequest::AlterConfigsResource res;
        res.resource_type_ = resource_type_topic;
        res.resource_name_ = name;
        for (const auto& [k, v] : merged) {
            protocol::AlterConfigsRequest::AlterableConfig a;
            a.name_ = k;
            a.value_ = v;
            res.configs_.push_back(std::move(a));
        }
        req.resources_.push_back(std::move(res));
        // describe_topic_configs may have retried and replaced connections: look it up again.
        TRY_ASSIGN(BrokerConnection * again, controller(d));
        TRY_ASSIGN(auto resp, again->call<protocol::AlterConfigsResponse>(req, d));
        for (const auto& r : resp.responses_) {
            if (r.error_code_ != error_code::none) {
                return fail(topic_error(r.error_code_, name, r.error_message_));
            }
        }
        return {};
    }, false);
}

Result<QuorumDescription, ClientError> Client::describe_quorum() {
    protocol::DescribeQuorumRequest req;
    req.topics_.push_back({metadata_topic, {{metadata_partition}}});
    const auto at = [](int64_t ms) {  // -1: unknown
        return ms < 0 ? std::nullopt : std::optional<WallTime>(WallTime::from_millis(ms));
    };
    const auto replicas = [&](const auto& in) {
        std::vector<QuorumReplicaState> out;
        for (const auto& r : in) {
            out.push_back(QuorumReplicaState{NodeId(r.replica_id_), r.log_end_offset_,
                                             at(r.last_fetch_timestamp_),
                                             at(r.last_caught_up_timestamp_)});
        }
        return out;
    };
    const Instant d = deadline();
    return with_retries(d, [&]() -> Result<QuorumDescription, ClientError> {
        TRY_ASSIGN(BrokerConnection * conn, any_broker(d));
        TRY_ASSIGN(auto resp, conn->call<protocol::DescribeQuorumResponse>(req, d));
        if (resp.error_code_ != error_code::none) {
            return fail(ClientError{resp.error_code_, resp.error_message_.value_or("")});
        }
        for (const auto& t : resp.topics_) {
            for (const auto& p : t.partitions_) {
                if (t.topic_name_ != metadata_topic || p.partition_index_ != metadata_partition) {
                    continue;
                }
                if (p.error_code_ != error_code::none) {
                    return fail(ClientError{p.error_code_, p.error_message_.value_or("")});
                }
                QuorumDescription out;
                out.leader = NodeId(p.leader_id_);
                out.leader_epoch = p.leader_epoch_;
                out.high_watermark = p.high_watermark_;
                out.voters = replicas(p.current_voters_);
                out.observers = replicas(p.observers_);
                std::sort(out.observers.begin(), out.observers.end(),
                          [](const auto& a, const auto& b) { return a.id < b.id; });
                return out;
            }
        }
        return fail(ClientError{error_code::unknown_server_error,
                                "the DescribeQuorum response lacks __cluster_metadata-0"});
    });
}

}  // namespace eddy::client
