// MetadataImage: the cluster's metadata (brokers, topics, partitions, topic configs, finalized
// features) as the result of applying Kafka's metadata records (records/metadata/*.json:
// RegisterBrokerRecord, TopicRecord, PartitionRecord, PartitionChangeRecord, ConfigRecord, …) in
// log order. The controller appends records to the metadata log and every node applies them here;
// nothing else changes the image. A snapshot of the image is the records that rebuild it
// (to_records, encode_image_snapshot), as KRaft's snapshots are.
//
// Invariants: topic names and ids are unique; every partition belongs to an existing topic;
// a partition's leader is -1 or one of its replicas; its leader recovery state is 0 or 1; a broker
// epoch only grows across re-registrations; every map is ordered, so iteration (and to_records) is
// deterministic; the image is a pure function of the records applied. Records read from disk or
// peers are untrusted: inconsistency() names what is wrong with one, and only apply() of a
// consistent record asserts.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/base/result.h"
#include "core/protocol/generated/records/access_control_entry_record.h"
#include "core/protocol/generated/records/broker_registration_change_record.h"
#include "core/protocol/generated/records/config_record.h"
#include "core/protocol/generated/records/feature_level_record.h"
#include "core/protocol/generated/records/fence_broker_record.h"
#include "core/protocol/generated/records/no_op_record.h"
#include "core/protocol/generated/records/partition_change_record.h"
#include "core/protocol/generated/records/partition_record.h"
#include "core/protocol/generated/records/producer_ids_record.h"
#include "core/protocol/generated/records/register_broker_record.h"
#include "core/protocol/generated/records/remove_access_control_entry_record.h"
#include "core/protocol/generated/records/remove_topic_record.h"
#include "core/protocol/generated/records/remove_user_scram_credential_record.h"
#include "core/protocol/generated/records/topic_record.h"
#include "core/protocol/generated/records/unfence_broker_record.h"
#include "core/protocol/generated/records/unregister_broker_record.h"
#include "core/protocol/generated/records/user_scram_credential_record.h"
#include "core/protocol/generated/records/client_quota_record.h"
#include "services/security/client_quota.h"
#include "core/protocol/wire.h"
#include "services/security/credential.h"
#include "services/security/authorizer.h"

namespace eddy::controller {

using protocol::Uuid;

// Kafka's LeaderRecoveryState values, and PartitionChangeRecord's "unchanged" (-1).
inline constexpr int8_t leader_recovered = 0;
inline constexpr int8_t leader_recovering = 1;
inline constexpr int8_t no_leader_recovery_change = -1;

struct PartitionState {
    int32_t partition = 0;
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    int32_t partition_epoch = 0;
    // Kafka's LeaderRecoveryState (KIP-704): leader_recovered, or leader_recovering while a
    // leader chosen by unclean election has not yet told the controller (AlterPartition) that
    // it has recovered. Eddy elects only from the ISR, so only a foreign log writes recovering.
    int8_t leader_recovery_state = leader_recovered;
    // A reassignment in progress (KIP-455): `replicas` is the target followed by the replicas
    // leaving; `adding` are the target's replicas not in the original set, `removing` the original
    // replicas not in the target. Both empty when none is. Disjoint subsets of `replicas`.
    std::vector<int32_t> adding;
    std::vector<int32_t> removing;

    bool reassigning() const { return !adding.empty() || !removing.empty(); }
    bool operator==(const PartitionState&) const = default;
};

struct TopicState {
    std::string name;
    Uuid id;
    std::map<int32_t, PartitionState> partitions;
    std::map<std::string, std::string> configs;  // dynamic topic configs

    bool operator==(const TopicState&) const = default;
};

// Kafka's sentinels in PartitionChangeRecord.leader and PartitionState.leader.
inline constexpr int32_t no_leader = -1;
inline constexpr int32_t no_leader_change = -2;

// One listener a broker registered (RegisterBrokerRecord.EndPoints).
struct BrokerEndpoint {
    std::string name;  // the listener name, e.g. PLAINTEXT
    std::string host;
    uint16_t port = 0;
    int16_t security_protocol = 0;  // Kafka's SecurityProtocol id (0 = PLAINTEXT)

    bool operator==(const BrokerEndpoint&) const = default;
};

// One registered broker, as KRaft's BrokerRegistration. A broker registers fenced; the active
// controller unfences it once it has caught up with the metadata log and fences it again when its
// session expires. The broker epoch is the offset of its RegisterBrokerRecord: it names one
// registration, and Fence/Unfence/Unregister records must carry the current one.
struct BrokerState {
    int32_t id = -1;
    Uuid incarnation_id;
    int64_t epoch = -1;
    std::vector<BrokerEndpoint> endpoints;
    std::optional<std::string> rack;
    bool fenced = true;
    bool in_controlled_shutdown = false;

    // Unfenced and not shutting down: may lead partitions and receive new replicas.
    bool usable() const { return !fenced && !in_controlled_shutdown; }
    bool operator==(const BrokerState&) const = default;
};

// The listeners as RegisterBrokerRecord writes them.
std::vector<protocol::records::RegisterBrokerRecord::BrokerEndpoint> endpoint_records(
    const std::vector<BrokerEndpoint>& endpoints);

// One metadata record, any of the kinds the image understands.
using MetadataRecord =
    std::variant<protocol::records::TopicRecord, protocol::records::PartitionRecord,
                 protocol::records::ConfigRecord, protocol::records::RemoveTopicRecord,
                 protocol::records::ProducerIdsRecord, protocol::records::RegisterBrokerRecord,
                 protocol::records::UnregisterBrokerRecord, protocol::records::FenceBrokerRecord,
                 protocol::records::UnfenceBrokerRecord,
                 protocol::records::BrokerRegistrationChangeRecord,
                 protocol::records::PartitionChangeRecord, protocol::records::FeatureLevelRecord,
                 protocol::records::NoOpRecord, protocol::records::UserScramCredentialRecord,
                 protocol::records::RemoveUserScramCredentialRecord,
                 protocol::records::AccessControlEntryRecord,
                 protocol::records::RemoveAccessControlEntryRecord,
                 protocol::records::ClientQuotaRecord>;

// Kafka's SCRAM mechanism codes (ScramMechanism.type: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512), as
// UserScramCredentialRecord and the *UserScramCredentials APIs carry them; nullopt for others.
std::optional<security::ScramMechanism> scram_mechanism_from_code(int8_t code);
int8_t scram_mechanism_code(security::ScramMechanism m);

// The entity and key a ClientQuotaRecord changes, or why the record is invalid (an entity or key
// Kafka does not define, a value the key cannot take). The controller writes only valid ones;
// records read back are checked with this before they are applied.
struct ClientQuotaChange {
    security::QuotaEntity entity;
    security::QuotaKey key = security::QuotaKey::producer_byte_rate;
    std::optional<double> value;  // nullopt: remove
};
Result<ClientQuotaChange, std::string> client_quota_change(
    const protocol::records::ClientQuotaRecord& r);
protocol::records::ClientQuotaRecord client_quota_record(const ClientQuotaChange& change);

namespace limits {
// A metadata log entry (or an image snapshot) holding more records than this is refused by the
// decoder before anything is allocated for them: a hostile count cannot reserve memory.
inline constexpr uint32_t metadata_entry_records_max = 1u << 22;
}  // namespace limits

// Kafka's framing of a metadata record in a record value: unsigned varints frame version (1),
// record type, record version, then the record body.
Bytes encode_metadata_record(const MetadataRecord& r);
// Unknown record types are reported as nullopt (skipped: a newer writer may add kinds).
Result<std::optional<MetadataRecord>, protocol::DecodeError> decode_metadata_record(ByteSpan value);

// The value of one metadata log entry: an int32 count, then each record as an int32 length and
// encode_metadata_record's bytes. Decoding skips record kinds this build does not know (a newer
// writer may add kinds) and refuses counts or lengths the input cannot hold; the error says which
// record failed and why. It does not check the records against any image.
Bytes encode_metadata_entry(const std::vector<MetadataRecord>& records);
Result<std::vector<MetadataRecord>, std::string> decode_metadata_entry(ByteSpan value);

class MetadataImage {
public:
    // Why `record` cannot follow the image (a partition of an unknown topic, a topic created
    // twice, an invalid topic name or partition id), in one line naming the record; nullopt when
    // it can. Records read back from disk are checked with this before they are applied.
    std::optional<std::string> inconsistency(const MetadataRecord& record) const;
    // Applies one record, which must be consistent with the image: the controller makes only
    // such records, and replay checks the ones it reads (ASSERT).
    void apply(const MetadataRecord& record);

    // The records that rebuild this image when applied in order to an empty one (features,
    // brokers, then each topic with its partitions and configs, then the producer id block, then
    // the ACLs in id order, then the client quotas):
    // MetadataImage{} + to_records() == *this.
    std::vector<MetadataRecord> to_records() const;

    const TopicState* topic(const std::string& name) const;
    const TopicState* topic(const Uuid& id) const;
    const std::map<std::string, TopicState>& topics() const { return topics_; }
    // One partition of a topic by id, or nullptr.
    const PartitionState* partition(const Uuid& topic_id, int32_t partition) const;
    // The first producer id not yet handed out (ProducerIdsRecord).
    int64_t next_producer_id() const { return next_producer_id_; }

    const std::map<int32_t, BrokerState>& brokers() const { return brokers_; }
    const BrokerState* broker(int32_t id) const;
    // The ids of the brokers that are unfenced (including those in controlled shutdown), ascending.
    std::vector<int32_t> unfenced_brokers() const;
    // Finalized feature levels by name (FeatureLevelRecord; level 0 removes the feature).
    const std::map<std::string, int16_t>& features() const { return features_; }

    // SCRAM credentials by (user, mechanism), ordered (UserScramCredentialRecord, KIP-554).
    using ScramKey = std::pair<std::string, security::ScramMechanism>;
    const std::map<ScramKey, security::ScramCredential>& scram_credentials() const {
        return scram_credentials_;
    }

    // The cluster's ACLs (AccessControlEntryRecord / RemoveAccessControlEntryRecord) as an
    // Authorizer without configuration (no super users; brokers copy it and add theirs). Shared
    // and immutable once published: apply() copies it before changing it whenever someone else
    // holds it, so a broker that keeps the pointer sees a fixed set and can tell by pointer
    // whether the set changed (never null).
    const std::shared_ptr<const security::Authorizer>& acls_shared() const { return acls_view_; }
    const security::Authorizer& acls() const { return *acls_; }

    // Client quotas by entity (ClientQuotaRecord; KIP-546).
    const security::ClientQuotas& client_quotas() const { return client_quotas_; }

    // Equal images have equal brokers, topics, features, producer id block, credentials and ACLs.
    bool operator==(const MetadataImage& o) const {
        return topics_ == o.topics_ && next_producer_id_ == o.next_producer_id_ &&
               brokers_ == o.brokers_ && features_ == o.features_ &&
               scram_credentials_ == o.scram_credentials_ &&
               client_quotas_ == o.client_quotas_ &&
               acls_->acls_by_id() == o.acls_->acls_by_id();
    }

private:
    std::optional<std::string> broker_inconsistency(const MetadataRecord& record) const;
    std::optional<std::string> partition_change_inconsistency(
        const protocol::records::PartitionChangeRecord& c) const;
    void apply_broker(const MetadataRecord& record);
    PartitionState* mutable_partition(const Uuid& topic_id, int32_t partition);

    std::map<std::string, TopicState> topics_;
    int64_t next_producer_id_ = 0;
    std::map<Uuid, std::string> names_by_id_;  // derived from topics_
    std::map<int32_t, BrokerState> brokers_;
    std::map<std::string, int16_t> features_;
    std::map<ScramKey, security::ScramCredential> scram_credentials_;
    security::ClientQuotas client_quotas_;
    std::shared_ptr<security::Authorizer> acls_ = std::make_shared<security::Authorizer>();
    std::shared_ptr<const security::Authorizer> acls_view_ = acls_;  // the same object, const
};

// A snapshot of the image: encode_metadata_entry(image.to_records()). Decoding checks every
// record with inconsistency() before applying it, so a corrupt or hostile snapshot is an error,
// never a crash.
Bytes encode_image_snapshot(const MetadataImage& image);
Result<MetadataImage, std::string> decode_image_snapshot(ByteSpan value);

// ConfigRecord resource types (Kafka's ConfigResource.Type).
inline constexpr int8_t config_resource_topic = 2;
inline constexpr int8_t config_resource_broker = 4;

}  // namespace eddy::controller
