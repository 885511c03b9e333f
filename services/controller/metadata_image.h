// MetadataImage: the cluster's metadata (topics, partitions, topic configs) as the result of
// applying Kafka's metadata records (records/metadata/*.json: TopicRecord, PartitionRecord,
// ConfigRecord, RemoveTopicRecord, …) in log order. The controller appends records to the
// metadata log and every node applies them here; nothing else changes the image.
//
// Invariants: topic names and ids are unique; every partition belongs to an existing topic;
// partition ids of a topic are 0..n-1; the image is a pure function of the records applied.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/protocol/generated/records/config_record.h"
#include "core/protocol/generated/records/partition_record.h"
#include "core/protocol/generated/records/producer_ids_record.h"
#include "core/protocol/generated/records/remove_topic_record.h"
#include "core/protocol/generated/records/topic_record.h"
#include "core/protocol/wire.h"

namespace eddy::controller {

using protocol::Uuid;

struct PartitionState {
    int32_t partition = 0;
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    int32_t partition_epoch = 0;
};

struct TopicState {
    std::string name;
    Uuid id;
    std::map<int32_t, PartitionState> partitions;
    std::map<std::string, std::string> configs;  // dynamic topic configs
};

// One metadata record, any of the kinds the image understands.
using MetadataRecord =
    std::variant<protocol::records::TopicRecord, protocol::records::PartitionRecord,
                 protocol::records::ConfigRecord, protocol::records::RemoveTopicRecord,
                 protocol::records::ProducerIdsRecord>;

// Kafka's framing of a metadata record in a record value: unsigned varints frame version (1),
// record type, record version, then the record body.
Bytes encode_metadata_record(const MetadataRecord& r);
// Unknown record types are reported as nullopt (skipped: a newer writer may add kinds).
Result<std::optional<MetadataRecord>, protocol::DecodeError> decode_metadata_record(ByteSpan value);

class MetadataImage {
public:
    // Why `record` cannot follow the image (a partition of an unknown topic, a topic created
    // twice, an invalid topic name or partition id), in one line naming the record; nullopt when
    // it can. Records read back from disk are checked with this before they are applied.
    std::optional<std::string> inconsistency(const MetadataRecord& record) const;
    // Applies one record, which must be consistent with the image: the controller makes only
    // such records, and replay checks the ones it reads (ASSERT).
    void apply(const MetadataRecord& record);

    // Records that rebuild this image when applied in order to an empty one (a snapshot).
    std::vector<MetadataRecord> to_records() const;

    const TopicState* topic(const std::string& name) const;
    const TopicState* topic(const Uuid& id) const;
    const std::map<std::string, TopicState>& topics() const { return topics_; }
    // The first producer id not yet handed out (ProducerIdsRecord).
    int64_t next_producer_id() const { return next_producer_id_; }

private:
    std::map<std::string, TopicState> topics_;
    int64_t next_producer_id_ = 0;
    std::map<Uuid, std::string> names_by_id_;
};

// ConfigRecord resource types (Kafka's ConfigResource.Type).
inline constexpr int8_t config_resource_topic = 2;
inline constexpr int8_t config_resource_broker = 4;

}  // namespace eddy::controller
