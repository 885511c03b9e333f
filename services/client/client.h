// Client: Eddy's own Kafka client, written only against Env. It bootstraps from a broker list,
// keeps one BrokerConnection per broker (versions negotiated per connection), caches metadata,
// routes partition requests to the leader and admin requests to the controller, and retries
// retriable errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, lost connections, ...) with
// exponential backoff on the Env clock until the operation's deadline.
//
// Every method suspends the calling fiber and must be called from a fiber of env.scheduler.
// Kafka error codes come back as ClientError (kafka_error.h); partial admin results are not
// hidden: the first failing topic or resource fails the call with its code and message.
//
// Lifecycle: construct, call, destroy (closes every connection). Not safe to destroy while a
// call is in flight on another fiber.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/protocol/generated/create_acls.h"
#include "core/protocol/generated/delete_acls.h"
#include "core/protocol/generated/describe_acls.h"
#include "core/protocol/generated/offset_commit.h"
#include "services/client/broker_connection.h"
#include "services/client/client_types.h"
#include "services/client/kafka_error.h"

namespace eddy::client {

struct ClientOptions {
    std::vector<Address> bootstrap;  // at least one
    std::string client_id = "eddy";
    Duration request_timeout = Duration::seconds(30);  // per operation, retries included
    Duration retry_backoff = Duration::millis(100);     // doubled per retry up to the max
    Duration retry_backoff_max = Duration::seconds(1);
    int retries_max = 10;
    // SASL_PLAINTEXT / SASL_SSL: every connection authenticates with these.
    std::optional<SaslCredentials> sasl;
};

class Client {
public:
    Client(Env& env, ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // --- Metadata -----------------------------------------------------------------------------
    // Fresh metadata for `topics` (nullopt: every topic). Never creates topics.
    Result<ClusterMetadata, ClientError> metadata(
        const std::optional<std::vector<std::string>>& topics);
    // One topic's metadata; UNKNOWN_TOPIC_OR_PARTITION if it does not exist.
    Result<TopicMetadata, ClientError> topic(const std::string& name);
    // DescribeCluster (falls back to Metadata when the broker lacks it). With `include_fenced`
    // the registered fenced brokers too (v2, KIP-1073), marked `fenced`; a broker without v2
    // lists its live brokers only.
    Result<ClusterDescription, ClientError> describe_cluster(bool include_fenced = false);
    // DescribeQuorum of the metadata log (any broker forwards it to the active controller).
    // NOT_LEADER_OR_FOLLOWER (no leader, or an election under way) is retried to the deadline.
    Result<QuorumDescription, ClientError> describe_quorum();
    // Whether the broker at `address` answers now: a new connection and its ApiVersions
    // handshake, once, no retries (`eddy cluster health`). The connection is closed after.
    Result<void, ClientError> reach(const Address& address);
    // The versions negotiated with some broker (for `eddy cluster info` and tests).
    Result<VersionTable, ClientError> versions();

    // --- Data ---------------------------------------------------------------------------------
    // Produces records to one partition as one batch. With acks=0 the result has no offset.
    Result<ProduceResult, ClientError> produce(const std::string& topic, PartitionId partition,
                                               const std::vector<ProducerRecord>& records,
                                               const ProduceOptions& options);
    // Fetches from one partition at `offset`; records before `offset` in the first batch are
    // dropped. An empty result is normal at the end of the log.
    Result<FetchResult, ClientError> fetch(const std::string& topic, PartitionId partition,
                                           Offset offset, const FetchOptions& options);
    // ListOffsets: timestamp -2 = earliest, -1 = latest, else the first offset whose timestamp
    // is >= it (nullopt when there is none).
    Result<std::optional<Offset>, ClientError> list_offset(const std::string& topic,
                                                           PartitionId partition,
                                                           int64_t timestamp);

    // InitProducerId without a transactional id: a new idempotent producer id and epoch.
    Result<ProducerStamp, ClientError> init_producer_id();

    // --- Admin --------------------------------------------------------------------------------
    Result<void, ClientError> create_topic(const NewTopic& topic);
    Result<void, ClientError> delete_topic(const std::string& name);
    // Grows the topic to `total` partitions.
    Result<void, ClientError> create_partitions(const std::string& name, int32_t total);
    // The topic's configs, sorted by name.
    Result<std::vector<ConfigEntry>, ClientError> describe_topic_configs(const std::string& name);
    // ElectLeaders (KIP-460): `unclean` false elects the preferred replicas, true gives
    // leaderless partitions any live replica. `partitions` nullopt: every partition (then only
    // those that needed an election are answered). One result per partition.
    Result<std::vector<ElectionResult>, ClientError> elect_leaders(
        bool unclean, const std::optional<std::vector<std::pair<std::string, int32_t>>>& partitions);
    // AlterPartitionReassignments (KIP-455) at the controller: starts (or, with nullopt
    // replicas, cancels) each partition's reassignment. Returns at once, before any data moves;
    // one result per partition (INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION,
    // NO_REASSIGNMENT_IN_PROGRESS, ...). A top-level error fails the call.
    Result<std::vector<PartitionResult>, ClientError> alter_partition_reassignments(
        const std::vector<PartitionReassignment>& reassignments);
    // ListPartitionReassignments at the controller: the partitions being reassigned among
    // `partitions` (nullopt: every partition), sorted by topic and partition. A partition whose
    // reassignment completed, or that does not exist, is not listed.
    Result<std::vector<OngoingReassignment>, ClientError> list_partition_reassignments(
        const std::optional<std::vector<TopicPartition>>& partitions);
    // IncrementalAlterConfigs; on a broker without it, AlterConfigs with the current dynamic
    // configs merged with `changes` (AlterConfigs replaces the whole set).
    Result<void, ClientError> alter_topic_configs(const std::string& name,
                                                  const std::vector<ConfigChange>& changes);

    // --- SCRAM credentials (client_scram.cpp, KIP-554) ----------------------------------------
    // Sets `user`'s credential for `mechanism`: a fresh 32-byte salt from `random`, and only
    // SaltedPassword = Hi(password, salt, iterations) leaves the client, never the password.
    // Errors as the broker answers them (UNACCEPTABLE_CREDENTIAL for iterations outside
    // 4096..16384).
    Result<void, ClientError> set_scram_credential(const std::string& user,
                                                   security::ScramMechanism mechanism,
                                                   const std::string& password, int32_t iterations,
                                                   security::SaslRandom& random);
    // Removes it; RESOURCE_NOT_FOUND when the user has none for that mechanism.
    Result<void, ClientError> delete_scram_credential(const std::string& user,
                                                      security::ScramMechanism mechanism);
    // Every user with a credential (name order): per user, (mechanism, iterations) pairs.
    struct ScramUser {
        std::string user;
        std::vector<std::pair<security::ScramMechanism, int32_t>> credentials;
    };
    Result<std::vector<ScramUser>, ClientError> list_scram_credentials();

    // --- Client quotas (client_quotas.cpp, KIP-546) --------------------------------------------
    // Sets (value) or removes (nullopt) each key of `entity`'s quotas in one AlterClientQuotas
    // entry. Entity types and keys are Kafka's strings; the broker checks them (INVALID_REQUEST).
    struct QuotaEntityName {
        std::string type;                 // user, client-id, ip
        std::optional<std::string> name;  // nullopt: the default entity
    };
    Result<void, ClientError> alter_client_quota(
        const std::vector<QuotaEntityName>& entity,
        const std::vector<std::pair<std::string, std::optional<double>>>& ops);
    struct QuotaEntry {
        std::vector<QuotaEntityName> entity;
        std::vector<std::pair<std::string, double>> values;
    };
    // DescribeClientQuotas: entities matching every component (a name matches exactly; a
    // component without a name matches the default entity), all when `filter` is empty.
    Result<std::vector<QuotaEntry>, ClientError> describe_client_quotas(
        const std::vector<QuotaEntityName>& filter, bool strict);

    // --- Groups (client_groups.cpp) -----------------------------------------------------------
    // Every group of every broker, sorted by id.
    Result<std::vector<GroupListing>, ClientError> list_groups();
    // DescribeGroups of one group at its coordinator (state "Dead" for an unknown group).
    Result<GroupDescription, ClientError> describe_group(const std::string& group_id);
    // The group's committed offsets of every partition (OffsetFetch with all topics), sorted.
    Result<std::vector<CommittedOffset>, ClientError> committed_offsets(
        const std::string& group_id);
    // OffsetCommit of `offsets` as an admin, outside any generation (generation -1, empty member
    // id): the coordinator accepts it only while the group has no members (Empty or Dead). The
    // first partition the coordinator refuses fails the call with its code.
    Result<void, ClientError> commit_offsets(const std::string& group_id,
                                             const std::vector<CommittedOffset>& offsets);
    // OffsetDelete of `partitions` (KIP-496). GROUP_SUBSCRIBED_TO_TOPIC when a member of the
    // group still consumes the topic; the first refused partition fails the call.
    Result<void, ClientError> delete_offsets(const std::string& group_id,
                                             const std::vector<TopicPartition>& partitions);
    // DeleteGroups of one group at its coordinator: NON_EMPTY_GROUP while it has members,
    // GROUP_ID_NOT_FOUND when it does not exist.
    Result<void, ClientError> delete_group(const std::string& group_id);

    // ACLs (KIP-140), for `eddy acl`: any broker answers (it forwards Create/Delete to the
    // active controller). The responses come back whole: each creation, filter or the describe
    // carries its own error code for the caller to report.
    Result<protocol::CreateAclsResponse, ClientError> create_acls(
        const protocol::CreateAclsRequest& request);
    Result<protocol::DescribeAclsResponse, ClientError> describe_acls(
        const protocol::DescribeAclsRequest& request);
    Result<protocol::DeleteAclsResponse, ClientError> delete_acls(
        const protocol::DeleteAclsRequest& request);

    // --- Group membership (GroupMember, group_member.h) --------------------------------------
    // Sends one request to the group's coordinator and returns its response as it is: no
    // retries, since a member must react to each error code itself. The coordinator is found
    // with FindCoordinator and remembered until forget_coordinator() or a failed call.
    template <typename Resp, typename Req>
    Result<Resp, ClientError> call_coordinator(const std::string& group_id, const Req& request,
                                               Instant deadline) {
        TRY_ASSIGN(BrokerConnection * conn, coordinator(group_id, deadline));
        auto r = conn->call<Resp>(request, deadline);
        if (!r.ok()) {
            forget_coordinator(group_id);
        }
        return r;
    }
    // The version call_coordinator() speaks for `key` (after a call has found the coordinator).
    std::optional<int16_t> coordinator_version(const std::string& group_id, protocol::ApiKey key);
    void forget_coordinator(const std::string& group_id);

private:
    // The coordinator of a group (remembered, else FindCoordinator).
    Result<BrokerConnection*, ClientError> coordinator(const std::string& group_id,
                                                       Instant deadline);
    // Any live connection (bootstrap servers first, then known brokers).
    Result<BrokerConnection*, ClientError> any_broker(Instant deadline);
    Result<BrokerConnection*, ClientError> broker(NodeId node, Instant deadline);
    Result<BrokerConnection*, ClientError> controller(Instant deadline);
    Result<BrokerConnection*, ClientError> leader(const std::string& topic, PartitionId partition,
                                                  Instant deadline);
    Result<ClusterMetadata, ClientError> fetch_metadata(
        const std::optional<std::vector<std::string>>& topics, Instant deadline);
    Result<BrokerConnection*, ClientError> connect(const Address& address, Instant deadline);
    void drop_broken();

    // Runs `attempt` until it succeeds, fails with a non-retriable code, or the deadline or the
    // retry budget runs out; between attempts it sleeps (backoff) and forgets cached leaders.
    // Admin calls and topic lookups pass retry_unknown_topic = false: as in Kafka's admin client,
    // a missing topic is an answer, not a transient state (data calls still retry it, since
    // metadata may lag a create).
    template <typename F>
    auto with_retries(Instant deadline, F&& attempt, bool retry_unknown_topic = true)
        -> decltype(attempt()) {
        Duration backoff = options_.retry_backoff;
        for (int i = 0;; ++i) {
            auto r = attempt();
            if (r.ok() || !is_retriable(r.error().code) ||
                (!retry_unknown_topic &&
                 r.error().code == error_code::unknown_topic_or_partition) ||
                i >= options_.retries_max ||
                env_.scheduler.now() + backoff >= deadline) {
                return r;
            }
            leaders_.clear();
            coordinators_.clear();
            controller_.reset();
            drop_broken();
            if (env_.scheduler.sleep_for(backoff) != WakeReason::timeout) {
                return r;  // cancelled
            }
            backoff = std::min(backoff * 2, options_.retry_backoff_max);
        }
    }
    Instant deadline() const { return env_.scheduler.now() + options_.request_timeout; }

    Env& env_;
    ClientOptions options_;
    // Connections by address (a broker's advertised address may equal a bootstrap address).
    std::map<Address, std::unique_ptr<BrokerConnection>> connections_;
    std::map<NodeId, Address> brokers_;
    std::optional<NodeId> controller_;
    // Cached leaders by (topic, partition).
    std::map<std::pair<std::string, int32_t>, NodeId> leaders_;
    // Coordinators by group id.
    std::map<std::string, NodeId> coordinators_;
};

// An OffsetCommit of `offsets` (grouped by topic in the order given) in a generation, or as an
// admin (generation -1, empty member id).
protocol::OffsetCommitRequest offset_commit_request(const std::string& group_id,
                                                    int32_t generation,
                                                    const std::string& member_id,
                                                    const std::optional<std::string>& instance_id,
                                                    const std::vector<CommittedOffset>& offsets);

}  // namespace eddy::client
