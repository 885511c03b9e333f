// The value types the Client takes and returns: metadata, records, options and admin inputs.
// Plain data with owned strings and bytes (nothing points into a response buffer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/time.h"
#include "core/env/network.h"
#include "core/record/compression.h"

namespace eddy::client {

struct BrokerMetadata {
    NodeId id;
    Address address;
    std::optional<std::string> rack;
    bool fenced = false;  // only DescribeCluster v2 with fenced brokers included lists such
};

struct PartitionMetadata {
    PartitionId id;
    int16_t error_code = 0;
    NodeId leader{-1};
    LeaderEpoch leader_epoch{-1};
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    std::vector<int32_t> offline_replicas;
};

struct TopicMetadata {
    std::string name;
    int16_t error_code = 0;
    bool internal = false;
    std::vector<PartitionMetadata> partitions;  // sorted by id
};

struct ClusterMetadata {
    std::optional<std::string> cluster_id;
    NodeId controller{-1};
    std::vector<BrokerMetadata> brokers;  // sorted by id
    std::vector<TopicMetadata> topics;    // sorted by name
};

struct ClusterDescription {
    std::string cluster_id;
    NodeId controller{-1};
    std::vector<BrokerMetadata> brokers;  // sorted by id
};

// DescribeQuorum (KIP-595, KIP-836): the active controller's view of one replica of the metadata
// log. Timestamps are the leader's wall clock.
struct QuorumReplicaState {
    NodeId id{-1};
    int64_t log_end_offset = -1;             // -1: it has not fetched in this epoch
    std::optional<WallTime> last_fetch;      // nullopt: never (or before v1)
    std::optional<WallTime> last_caught_up;  // likewise
};

struct QuorumDescription {
    NodeId leader{-1};  // -1: no leader
    int32_t leader_epoch = -1;
    int64_t high_watermark = -1;
    std::vector<QuorumReplicaState> voters;     // as the leader lists them
    std::vector<QuorumReplicaState> observers;  // brokers that are not voters, by id
};

struct RecordHeader {
    std::string key;
    std::optional<std::string> value;
    bool operator==(const RecordHeader&) const = default;
};

struct ProducerRecord {
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<RecordHeader> headers;
    int64_t timestamp_ms = -1;  // -1: the client's wall clock at send time
};

// acks: 0 (no response), 1 (leader), -1 (all in-sync replicas).
// An idempotent producer's stamp on a batch (KIP-98): see IdempotentProducer.
struct ProducerStamp {
    ProducerId id{-1};
    ProducerEpoch epoch{-1};
    int32_t base_sequence = -1;
};

struct ProduceOptions {
    int16_t acks = -1;
    record::Codec compression = record::Codec::none;
    std::optional<ProducerStamp> stamp;  // set only by IdempotentProducer
};

struct ProduceResult {
    std::optional<Offset> base_offset;  // none with acks=0
    int64_t log_append_time_ms = -1;
};

struct FetchOptions {
    Duration max_wait = Duration::millis(500);
    int32_t min_bytes = 1;
    int32_t max_bytes = 8 * 1024 * 1024;
    // KIP-320: the leader epoch the caller's metadata names (Fetch v9+). The leader answers
    // FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH unless it leads in exactly this epoch, so what
    // comes back is known to be that epoch's. nullopt: not checked.
    std::optional<LeaderEpoch> current_leader_epoch;
};

struct ConsumerRecord {
    std::string topic;
    PartitionId partition;
    Offset offset;
    int64_t timestamp_ms = -1;
    bool log_append_time = false;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<RecordHeader> headers;
};

struct FetchResult {
    std::vector<ConsumerRecord> records;
    Offset high_watermark{-1};
    Offset log_start_offset{-1};
    // Where to fetch next: after the last record returned, or past batches made only of control
    // records / compacted gaps; equals the requested offset when nothing was there.
    Offset next_offset{0};
};

struct NewTopic {
    std::string name;
    int32_t partitions = -1;          // -1: the broker's num.partitions
    int16_t replication_factor = -1;  // -1: the broker's default.replication.factor
    std::vector<std::pair<std::string, std::string>> configs;
};

// Kafka's config sources (DescribeConfigs v1+).
enum class ConfigSource : int8_t {
    unknown = 0,
    dynamic_topic = 1,
    dynamic_broker = 2,
    dynamic_default_broker = 3,
    static_broker = 4,
    default_config = 5,
    dynamic_broker_logger = 6,
    client_metrics = 7,
};
const char* to_string(ConfigSource s);

// One partition's answer to an admin request about partitions (ElectLeaders,
// AlterPartitionReassignments).
struct PartitionResult {
    std::string topic;
    int32_t partition = 0;
    // 0: done. ElectLeaders: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...;
    // AlterPartitionReassignments: INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS, ...
    int16_t error = 0;
    std::string message;
};
using ElectionResult = PartitionResult;

// One partition of AlterPartitionReassignments (KIP-455): move it to `replicas` (the first one
// is the preferred leader), or with nullopt cancel its reassignment in progress.
struct PartitionReassignment {
    std::string topic;
    int32_t partition = 0;
    std::optional<std::vector<int32_t>> replicas;
    bool operator==(const PartitionReassignment&) const = default;
};

// A partition being reassigned, as ListPartitionReassignments answers: `replicas` is the target
// and the original together (KRaft: target first), `adding` = target - original, `removing` =
// original - target.
struct OngoingReassignment {
    std::string topic;
    int32_t partition = 0;
    std::vector<int32_t> replicas;
    std::vector<int32_t> adding;
    std::vector<int32_t> removing;
    bool operator==(const OngoingReassignment&) const = default;
};

struct ConfigEntry {
    std::string name;
    std::optional<std::string> value;
    ConfigSource source = ConfigSource::unknown;
    bool read_only = false;
    bool sensitive = false;
};

// One change for alter_topic_configs: set `name` to `value`, or delete it (back to the default).
struct ConfigChange {
    std::string name;
    std::optional<std::string> value;  // nullopt: delete
};

// Consumer groups (list_groups, describe_group, committed_offsets, commit_offsets,
// delete_offsets, delete_group).
struct GroupListing {
    std::string group_id;
    std::string protocol_type;
    std::string state;  // empty from brokers that do not report it (ListGroups < v4)
};

struct GroupMemberDescription {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    // The partitions of the member's assignment (consumer protocol), sorted; empty if the
    // assignment is not a consumer protocol one.
    std::vector<std::pair<std::string, int32_t>> assignment;
};

struct GroupDescription {
    std::string group_id;
    std::string state;
    std::string protocol_type;
    std::string protocol;
    std::vector<GroupMemberDescription> members;
};

struct CommittedOffset {
    std::string topic;
    PartitionId partition;
    Offset offset{-1};
};

// One partition of a topic (delete_offsets).
struct TopicPartition {
    std::string topic;
    PartitionId partition;
};

}  // namespace eddy::client
