// Controller: the operations of the active controller. Every change to cluster metadata (topics,
// partitions, topic configs, producer id blocks) is validated against the current MetadataImage
// and written to the MetadataLog as one entry of Kafka metadata records; it reaches the image
// (here and on every other node) once the controller quorum has committed it. Only the quorum's
// leader can write: elsewhere an operation answers NOT_CONTROLLER (brokers forward admin
// requests to the leader instead).
//
// Concurrency: operations are serialised by one fiber mutex, so validation and commit see the
// same image (two creates of one name cannot both pass). The image is read without the mutex;
// it changes only at commit.
//
// Outcomes per resource are Kafka error codes (ApiError); a write the quorum did not commit in
// time is REQUEST_TIMED_OUT (it may still commit), one refused because leadership moved is
// NOT_CONTROLLER.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "core/fiber/sync.h"
#include "services/controller/alter_partition.h"
#include "core/protocol/generated/alter_user_scram_credentials.h"
#include "core/protocol/generated/alter_client_quotas.h"
#include "services/controller/api_error.h"
#include "services/controller/broker_heartbeats.h"
#include "services/controller/metadata_image.h"
#include "services/security/acl_admin.h"
#include "services/controller/metadata_log.h"
#include "services/controller/partition_changes.h"
#include "services/controller/reassignment.h"

namespace eddy::controller {

namespace limits {
// More partitions per topic than this are refused (INVALID_PARTITIONS) rather than allocated.
inline constexpr int32_t partitions_per_topic_max = 10000;
}  // namespace limits

struct ControllerOptions {
    int32_t node_id = 1;
    int32_t default_partitions = 1;          // num.partitions
    int16_t default_replication_factor = 1;  // default.replication.factor
    bool delete_topic_enable = true;         // delete.topic.enable
    BrokerHeartbeatOptions heartbeats;  // broker.session.timeout.ms
    ReassignmentKnobs reassignment_knobs;  // planted bugs (scenarios only)
    // How long a write may wait for the quorum to commit it before REQUEST_TIMED_OUT.
    Duration write_timeout = Duration::seconds(30);
    // What this node was formatted with (bootstrap_records.h): committed first by an active
    // controller that finds the metadata image empty (a new cluster), never otherwise.
    std::vector<MetadataRecord> bootstrap_records;
};

// One config change: a value to set, or nullopt to remove the dynamic value.
struct ConfigChange {
    std::string key;
    std::optional<std::string> value;
};

struct NewTopic {
    std::string name;
    int32_t partitions = -1;                        // -1: the default
    int16_t replication_factor = -1;                // -1: the default
    std::vector<std::vector<int32_t>> assignments;  // explicit replicas per partition, or empty
    std::vector<ConfigChange> configs;
};

struct CreatedTopic {
    ApiError error;
    Uuid id;
    int32_t partitions = -1;
    int16_t replication_factor = -1;
};

// One partition's answer to AlterPartition: its error, or its state after the change (the
// current state when the request changed nothing).
struct IsrChangeResult {
    ApiError error;
    PartitionState state;
};

struct AlterPartitionOutcome {
    ApiError error;  // the whole request's: NOT_CONTROLLER, REQUEST_TIMED_OUT, STALE_BROKER_EPOCH
    std::vector<IsrChangeResult> partitions;  // without a top-level error: one per change, in order
};

class Controller {
public:
    // Validates a topic config key and value; returns the reason when not acceptable.
    using ConfigValidator =
        std::function<std::optional<std::string>(const std::string& key, const std::string& value)>;

    Controller(Env& env, ControllerOptions options, MetadataLog& log, ConfigValidator validator);
    Controller(const Controller&) = delete;
    Controller& operator=(const Controller&) = delete;

    // The committed metadata (applied by the metadata log, on every node alike).
    const MetadataImage& image() const { return log_.image(); }

    // The operations. validate_only checks everything and writes nothing. Suspend.
    CreatedTopic create_topic(const NewTopic& t, bool validate_only);
    ApiError delete_topic(const std::string& name);
    ApiError create_partitions(const std::string& name, int32_t count,
                               const std::optional<std::vector<std::vector<int32_t>>>& assignments,
                               bool validate_only);
    // Applies `changes` to the topic's dynamic configs; with `replace` every key not named is
    // removed (AlterConfigs), otherwise the others stay (IncrementalAlterConfigs).
    ApiError alter_topic_configs(const std::string& name, const std::vector<ConfigChange>& changes,
                                 bool replace, bool validate_only);
    // AlterUserScramCredentials (KIP-554, scram_admin.cpp): one result per user named, in order
    // of first appearance; a user's changes are committed (one entry for the whole request) only
    // when all of them are valid. Suspends.
    protocol::AlterUserScramCredentialsResponse alter_user_scram_credentials(
        const protocol::AlterUserScramCredentialsRequest& req);
    // AlterClientQuotas (KIP-546, quota_admin.cpp): one result per entry, in order; the valid
    // entries' changes are committed in one entry (nothing with validate_only). Suspends.
    protocol::AlterClientQuotasResponse alter_client_quotas(
        const protocol::AlterClientQuotasRequest& req);

    // The incarnation of this process's own broker, which registers as options.node_id. Any
    // other incarnation registering that id is refused (DUPLICATE_BROKER_REGISTRATION: this node
    // is alive), and this one replaces an earlier incarnation's registration at once, live
    // session or not (that process is gone: this one runs in its place). Without it, a restarted
    // node that leads the quorum would wait out its previous incarnation's session, which the
    // controller starts afresh on activation. Does not suspend.
    void set_local_broker(Uuid incarnation) { local_incarnation_ = incarnation; }

    // Broker lifecycle (broker_heartbeats.h): the outcome is answered once its records are
    // committed. NOT_CONTROLLER unless this node leads the quorum. Suspend.
    RegistrationOutcome register_broker(const BrokerRegistration& request);
    HeartbeatOutcome broker_heartbeat(const BrokerHeartbeat& request);
    // Fences brokers whose session expired (and moves their leadership). The active controller
    // calls it periodically; a no-op elsewhere. Suspends.
    void expire_brokers();

    // A partition leader's ISR changes (AlterPartition, alter_partition.h), every valid one
    // committed in one entry; each partition is answered once that entry is applied. Suspends.
    AlterPartitionOutcome alter_partition(const IsrChangeSender& sender,
                                          const std::vector<IsrChange>& changes);

    // ElectLeaders: one answer per (topic, partition) asked, in order (all partitions when
    // `partitions` is nullopt, then only those whose election was needed); every change
    // committed in one entry. A whole-request error (NOT_CONTROLLER, REQUEST_TIMED_OUT) in
    // `error`. Suspends.
    struct ElectionResult {
        std::string topic;
        int32_t partition = 0;
        int16_t error = 0;
        std::string message;
    };
    struct ElectionOutcome {
        ApiError error;
        std::vector<ElectionResult> results;
    };
    ElectionOutcome elect_leaders(
        ElectionType type,
        const std::optional<std::vector<std::pair<std::string, int32_t>>>& partitions);
    // auto.leader.rebalance.enable: preferred-leader elections where a broker's imbalance passes
    // `max_imbalance`. The active controller calls it periodically; a no-op elsewhere. Suspends.
    void rebalance_leaders(double max_imbalance);

    // AlterPartitionReassignments (KIP-455, reassignment.h): one outcome per partition, in
    // order; every change committed in one entry. A partition named twice is INVALID_REQUEST
    // after its first occurrence. A whole-request error (NOT_CONTROLLER, REQUEST_TIMED_OUT) in
    // `error`. Suspends.
    struct PartitionReassignment {
        std::string topic;
        int32_t partition = 0;
        std::optional<std::vector<int32_t>> target;  // nullopt: cancel
    };
    struct ReassignmentOutcome {
        ApiError error;
        std::vector<ApiError> partitions;
    };
    ReassignmentOutcome alter_partition_reassignments(
        const std::vector<PartitionReassignment>& reassignments);

    // Reserves `count` producer ids for `broker` (Kafka's AllocateProducerIds): the block
    // [first, first + count), never handed out again, even after a restart. Suspends.
    Result<int64_t, ApiError> allocate_producer_ids(int32_t broker, int32_t count);

    // CreateAcls / DeleteAcls (security/acl_admin.h) validated against the image's ACLs and
    // committed as AccessControlEntryRecord / RemoveAccessControlEntryRecord in one entry. The
    // caller has authorized ALTER on the cluster. NOT_CONTROLLER or REQUEST_TIMED_OUT go to every
    // result. Suspends.
    protocol::CreateAclsResponse create_acls(const protocol::CreateAclsRequest& request);
    protocol::DeleteAclsResponse delete_acls(const protocol::DeleteAclsRequest& request);

private:
    // Every operation starts here, under the mutex: NOT_CONTROLLER unless this node leads, and
    // then waits (up to the write timeout: REQUEST_TIMED_OUT) until the image holds every entry
    // of the leader's log. The operations validate against the image, so it must: a new leader
    // has entries of earlier epochs that commit only with its own first entry, and a write that
    // timed out may still commit — validating without them let a second TopicRecord for one name
    // through (controller-quorum-leader-isolation, seeds 144 and 248). Suspends.
    ApiError catch_up();
    // catch_up()'s last step: the bootstrap records, when the image is empty (a new cluster).
    // Once the image is not empty they are dropped: they never apply to an existing cluster.
    ApiError bootstrap();
    ApiError check_replicas(const std::vector<int32_t>& replicas) const;
    ApiError check_configs(const std::vector<ConfigChange>& configs) const;
    ApiError commit(const std::vector<MetadataRecord>& records);
    Uuid new_topic_id();
    protocol::records::PartitionRecord partition_record(const Uuid& topic, int32_t partition,
                                                        const std::vector<int32_t>& replicas) const;

    Env& env_;
    ControllerOptions options_;
    MetadataLog& log_;
    ConfigValidator validator_;
    // A controller that has just become active starts every broker's session afresh.
    BrokerHeartbeats& heartbeats();

    Mutex mutex_;
    std::unique_ptr<BrokerHeartbeats> heartbeats_;
    int32_t heartbeats_epoch_ = -1;  // the quorum epoch heartbeats_ belongs to
    // set_local_broker
    std::optional<Uuid> local_incarnation_;
};

}  // namespace eddy::controller
