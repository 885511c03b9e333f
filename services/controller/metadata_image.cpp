#include "services/controller/metadata_image.h"

#include "services/security/acl_admin.h"

#include <algorithm>
#include <limits>
#include <set>
#include <type_traits>
#include <utility>

#include "core/base/assert.h"
#include "services/log/file_names.h"

namespace eddy::controller {
namespace {

constexpr uint32_t frame_version = 1;

template <typename R>
void encode_framed(protocol::Writer& w, const R& r) {
    w.write_uvarint(frame_version);
    w.write_uvarint(static_cast<uint32_t>(R::record_type));
    w.write_uvarint(static_cast<uint32_t>(R::max_version));
    r.encode(w, R::max_version);
}

template <typename R>
Result<std::optional<MetadataRecord>, protocol::DecodeError> decode_as(protocol::Reader& r,
                                                                       int16_t version) {
    if (version < R::min_version || version > R::max_version) {
        return std::optional<MetadataRecord>();
    }
    TRY_ASSIGN(R rec, R::decode(r, version));
    return std::optional<MetadataRecord>(std::move(rec));
}

// What is wrong with a partition's replica set, ISR and leader taken together, or nullopt: no
// replica twice, no negative broker id, the ISR within the replicas, the leader -1 or a replica
// in the ISR.
// (Kafka's own records never break these; a corrupt or hostile one might.)
std::optional<std::string> replica_set_problem(const std::vector<int32_t>& replicas,
                                               const std::vector<int32_t>& isr, int32_t leader) {
    const std::set<int32_t> distinct(replicas.begin(), replicas.end());
    if (distinct.size() != replicas.size()) {
        return std::string("a replica listed twice");
    }
    if (!replicas.empty() && *distinct.begin() < 0) {
        return std::string("a negative replica id");
    }
    if (std::set<int32_t>(isr.begin(), isr.end()).size() != isr.size()) {
        return std::string("an ISR member listed twice");
    }
    for (int32_t r : isr) {
        if (!distinct.contains(r)) {
            return "ISR member " + std::to_string(r) + " is not a replica";
        }
    }
    if (leader != no_leader && !distinct.contains(leader)) {
        return "leader " + std::to_string(leader) + " is not a replica";
    }
    // KRaft keeps a leader in its ISR (an unclean election shrinks the ISR to the new leader).
    if (leader != no_leader && std::find(isr.begin(), isr.end(), leader) == isr.end()) {
        return "leader " + std::to_string(leader) + " is not in the ISR";
    }
    return std::nullopt;
}

// A reassignment's adding and removing replicas: distinct replicas, in no set twice.
std::optional<std::string> reassignment_problem(const std::vector<int32_t>& replicas,
                                                const std::vector<int32_t>& adding,
                                                const std::vector<int32_t>& removing) {
    const std::set<int32_t> distinct(replicas.begin(), replicas.end());
    std::set<int32_t> seen;
    for (const auto* set : {&adding, &removing}) {
        for (int32_t r : *set) {
            if (!distinct.contains(r)) {
                return "reassigned replica " + std::to_string(r) + " is not a replica";
            }
            if (!seen.insert(r).second) {
                return "replica " + std::to_string(r) + " is both adding and removing, or listed twice";
            }
        }
    }
    if (!removing.empty() && removing.size() >= replicas.size()) {
        return std::string("every replica is being removed");
    }
    return std::nullopt;
}

std::string broker_record_name(const MetadataRecord& record) {
    using namespace protocol::records;
    return std::visit(
        [](const auto& r) -> std::string {
            using R = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<R, RegisterBrokerRecord>) {
                return "RegisterBrokerRecord for broker " + std::to_string(r.broker_id_);
            } else if constexpr (std::is_same_v<R, UnregisterBrokerRecord>) {
                return "UnregisterBrokerRecord for broker " + std::to_string(r.broker_id_);
            } else if constexpr (std::is_same_v<R, FenceBrokerRecord>) {
                return "FenceBrokerRecord for broker " + std::to_string(r.id_);
            } else if constexpr (std::is_same_v<R, UnfenceBrokerRecord>) {
                return "UnfenceBrokerRecord for broker " + std::to_string(r.id_);
            } else if constexpr (std::is_same_v<R, BrokerRegistrationChangeRecord>) {
                return "BrokerRegistrationChangeRecord for broker " + std::to_string(r.broker_id_);
            } else {
                return "a record";
            }
        },
        record);
}

// The broker id and epoch a Fence/Unfence/Unregister/RegistrationChange record names, or nullopt
// for other kinds. These records act on one registration: the epoch must be the current one.
std::optional<std::pair<int32_t, int64_t>> registration_named(const MetadataRecord& record) {
    using namespace protocol::records;
    if (const auto* u = std::get_if<UnregisterBrokerRecord>(&record)) {
        return std::pair{u->broker_id_, u->broker_epoch_};
    }
    if (const auto* f = std::get_if<FenceBrokerRecord>(&record)) {
        return std::pair{f->id_, f->epoch_};
    }
    if (const auto* f = std::get_if<UnfenceBrokerRecord>(&record)) {
        return std::pair{f->id_, f->epoch_};
    }
    if (const auto* c = std::get_if<BrokerRegistrationChangeRecord>(&record)) {
        return std::pair{c->broker_id_, c->broker_epoch_};
    }
    return std::nullopt;
}

}  // namespace

Bytes encode_metadata_record(const MetadataRecord& r) {
    Bytes out;
    protocol::Writer w(out);
    std::visit([&w](const auto& rec) { encode_framed(w, rec); }, r);
    return out;
}

Result<std::optional<MetadataRecord>, protocol::DecodeError> decode_metadata_record(
    ByteSpan value) {
    protocol::Reader r(value);
    TRY_ASSIGN(uint32_t frame, r.read_uvarint());
    TRY_ASSIGN(uint32_t type, r.read_uvarint());
    TRY_ASSIGN(uint32_t version_raw, r.read_uvarint());
    if (frame != frame_version || version_raw > 0x7fff) {
        return std::optional<MetadataRecord>();
    }
    const auto version = static_cast<int16_t>(version_raw);
    using namespace protocol::records;
    switch (type) {
        case TopicRecord::record_type:
            return decode_as<TopicRecord>(r, version);
        case PartitionRecord::record_type:
            return decode_as<PartitionRecord>(r, version);
        case ConfigRecord::record_type:
            return decode_as<ConfigRecord>(r, version);
        case RemoveTopicRecord::record_type:
            return decode_as<RemoveTopicRecord>(r, version);
        case ProducerIdsRecord::record_type:
            return decode_as<ProducerIdsRecord>(r, version);
        case RegisterBrokerRecord::record_type:
            return decode_as<RegisterBrokerRecord>(r, version);
        case UnregisterBrokerRecord::record_type:
            return decode_as<UnregisterBrokerRecord>(r, version);
        case FenceBrokerRecord::record_type:
            return decode_as<FenceBrokerRecord>(r, version);
        case UnfenceBrokerRecord::record_type:
            return decode_as<UnfenceBrokerRecord>(r, version);
        case BrokerRegistrationChangeRecord::record_type:
            return decode_as<BrokerRegistrationChangeRecord>(r, version);
        case PartitionChangeRecord::record_type:
            return decode_as<PartitionChangeRecord>(r, version);
        case FeatureLevelRecord::record_type:
            return decode_as<FeatureLevelRecord>(r, version);
        case NoOpRecord::record_type:
            return decode_as<NoOpRecord>(r, version);
        case UserScramCredentialRecord::record_type:
            return decode_as<UserScramCredentialRecord>(r, version);
        case RemoveUserScramCredentialRecord::record_type:
            return decode_as<RemoveUserScramCredentialRecord>(r, version);
        case AccessControlEntryRecord::record_type:
            return decode_as<AccessControlEntryRecord>(r, version);
        case RemoveAccessControlEntryRecord::record_type:
            return decode_as<RemoveAccessControlEntryRecord>(r, version);
        case ClientQuotaRecord::record_type:
            return decode_as<ClientQuotaRecord>(r, version);
        default:
            return std::optional<MetadataRecord>();  // a kind this image does not track
    }
}

std::optional<std::string> MetadataImage::inconsistency(const MetadataRecord& record) const {
    using namespace protocol::records;
    if (const auto* t = std::get_if<TopicRecord>(&record)) {
        if (!log::valid_topic_name(t->name_)) {
            return "TopicRecord for '" + protocol::echo(t->name_) + "': not a valid topic name";
        }
        if (topics_.contains(t->name_)) {
            return "TopicRecord for '" + t->name_ + "': the topic exists already";
        }
        if (names_by_id_.contains(t->topic_id_)) {
            return "TopicRecord for '" + t->name_ + "': its topic id is taken";
        }
    } else if (const auto* p = std::get_if<PartitionRecord>(&record)) {
        if (!names_by_id_.contains(p->topic_id_)) {
            return "PartitionRecord " + std::to_string(p->partition_id_) +
                   ": its topic id names no topic";
        }
        const std::string name = "PartitionRecord " + std::to_string(p->partition_id_) + " of '" +
                                 names_by_id_.at(p->topic_id_) + "'";
        if (p->partition_id_ < 0) {
            return name + ": a negative partition id";
        }
        if (auto problem = replica_set_problem(p->replicas_, p->isr_, p->leader_)) {
            return name + ": " + *problem;
        }
        if (auto problem =
                reassignment_problem(p->replicas_, p->adding_replicas_, p->removing_replicas_)) {
            return name + ": " + *problem;
        }
        if (p->leader_recovery_state_ != leader_recovered &&
            p->leader_recovery_state_ != leader_recovering) {
            return name + ": leader recovery state " + std::to_string(p->leader_recovery_state_) +
                   " is not 0 or 1";
        }
    } else if (const auto* rm = std::get_if<RemoveTopicRecord>(&record)) {
        if (!names_by_id_.contains(rm->topic_id_)) {
            return std::string("RemoveTopicRecord: its topic id names no topic");
        }
    } else if (const auto* c = std::get_if<PartitionChangeRecord>(&record)) {
        return partition_change_inconsistency(*c);
    } else if (const auto* a = std::get_if<AccessControlEntryRecord>(&record)) {
        return security::acl_record_inconsistency(*acls_, security::AclRecord(*a));
    } else if (const auto* ra = std::get_if<RemoveAccessControlEntryRecord>(&record)) {
        return security::acl_record_inconsistency(*acls_, security::AclRecord(*ra));
    } else if (const auto* f = std::get_if<FeatureLevelRecord>(&record)) {
        if (f->feature_level_ < 0) {
            return "FeatureLevelRecord for '" + protocol::echo(f->name_) + "': a negative level";
        }
    } else if (const auto* u = std::get_if<UserScramCredentialRecord>(&record)) {
        const std::string name = "UserScramCredentialRecord for '" + protocol::echo(u->name_) + "'";
        const auto m = scram_mechanism_from_code(u->mechanism_);
        if (u->name_.empty() || !m) {
            return name + ": an empty user name or an unknown mechanism";
        }
        const security::ScramCredential credential{u->salt_, u->stored_key_, u->server_key_,
                                                   u->iterations_};
        if (auto ok = security::validate_scram_credential(*m, credential); !ok.ok()) {
            return name + ": " + ok.error();
        }
    } else if (const auto* q = std::get_if<ClientQuotaRecord>(&record)) {
        if (auto change = client_quota_change(*q); !change.ok()) {
            return "ClientQuotaRecord: " + change.error();
        }
    } else if (const auto* ru = std::get_if<RemoveUserScramCredentialRecord>(&record)) {
        const auto m = scram_mechanism_from_code(ru->mechanism_);
        if (!m || !scram_credentials_.contains(ScramKey(ru->name_, *m))) {
            return "RemoveUserScramCredentialRecord for '" + protocol::echo(ru->name_) +
                   "': no such credential";
        }
    } else {
        return broker_inconsistency(record);
    }
    return std::nullopt;
}

Result<ClientQuotaChange, std::string> client_quota_change(
    const protocol::records::ClientQuotaRecord& r) {
    ClientQuotaChange change;
    std::vector<security::QuotaEntityInput> input;
    for (const auto& e : r.entity_) {
        input.push_back({e.entity_type_, e.entity_name_ ? std::optional<std::string_view>(
                                                              *e.entity_name_)
                                                        : std::nullopt});
    }
    if (auto err = security::make_quota_entity(input, change.entity)) {
        return fail(*err);
    }
    const auto key = security::quota_key_from_string(r.key_);
    if (!key) {
        return fail("unknown quota key '" + protocol::echo(r.key_) + "'");
    }
    change.key = *key;
    if (!r.remove_) {
        if (auto err = security::quota_value_invalid(change.entity, *key, r.value_)) {
            return fail(*err);
        }
        change.value = r.value_;
    } else if (security::quota_value_invalid(change.entity, *key, 1.0)) {
        return fail("quota key " + r.key_ + " does not apply to " + change.entity.to_string());
    }
    return change;
}

protocol::records::ClientQuotaRecord client_quota_record(const ClientQuotaChange& change) {
    protocol::records::ClientQuotaRecord r;
    for (const auto& p : change.entity.parts) {
        protocol::records::ClientQuotaRecord::EntityData e;
        e.entity_type_ = std::string(security::to_string(p.type));
        e.entity_name_ = p.name;
        r.entity_.push_back(std::move(e));
    }
    r.key_ = std::string(security::to_string(change.key));
    r.value_ = change.value.value_or(0.0);
    r.remove_ = !change.value.has_value();
    return r;
}

std::optional<security::ScramMechanism> scram_mechanism_from_code(int8_t code) {
    switch (code) {
        case 1:
            return security::ScramMechanism::sha256;
        case 2:
            return security::ScramMechanism::sha512;
        default:
            return std::nullopt;
    }
}

int8_t scram_mechanism_code(security::ScramMechanism m) {
    switch (m) {
        case security::ScramMechanism::sha256:
            return 1;
        case security::ScramMechanism::sha512:
            return 2;
    }
    UNREACHABLE("ScramMechanism out of range");
}

std::optional<std::string> MetadataImage::broker_inconsistency(const MetadataRecord& record) const {
    using namespace protocol::records;
    if (const auto* r = std::get_if<RegisterBrokerRecord>(&record)) {
        if (r->broker_id_ < 0) {
            return broker_record_name(record) + ": a negative broker id";
        }
        if (r->broker_epoch_ < 0) {
            return broker_record_name(record) + ": a negative broker epoch";
        }
        // A broker epoch is the offset of the registration's record, so a re-registration always
        // has a larger one; a smaller one would let a stale Fence/Unfence match again.
        auto it = brokers_.find(r->broker_id_);
        if (it != brokers_.end() && r->broker_epoch_ <= it->second.epoch) {
            return broker_record_name(record) + ": broker epoch " +
                   std::to_string(r->broker_epoch_) + " does not grow past " +
                   std::to_string(it->second.epoch);
        }
        return std::nullopt;
    }
    const auto named = registration_named(record);
    if (!named) {
        return std::nullopt;  // ConfigRecord, ProducerIdsRecord, NoOpRecord: always acceptable
    }
    auto it = brokers_.find(named->first);
    if (it == brokers_.end()) {
        return broker_record_name(record) + ": no such broker is registered";
    }
    if (it->second.epoch != named->second) {
        return broker_record_name(record) + ": broker epoch " + std::to_string(named->second) +
               " is not the registered " + std::to_string(it->second.epoch);
    }
    if (const auto* c = std::get_if<BrokerRegistrationChangeRecord>(&record)) {
        // Kafka's encodings: fenced -1 unfence / 0 no change / 1 fence; in_controlled_shutdown
        // 0 no change / 1 entering controlled shutdown (leaving it takes a new registration).
        if (c->fenced_ < -1 || c->fenced_ > 1) {
            return broker_record_name(record) + ": fenced change " + std::to_string(c->fenced_) +
                   " is not -1, 0 or 1";
        }
        if (c->in_controlled_shutdown_ < 0 || c->in_controlled_shutdown_ > 1) {
            return broker_record_name(record) + ": in_controlled_shutdown change " +
                   std::to_string(c->in_controlled_shutdown_) + " is not 0 or 1";
        }
    }
    return std::nullopt;
}

std::optional<std::string> MetadataImage::partition_change_inconsistency(
    const protocol::records::PartitionChangeRecord& c) const {
    const std::string id = std::to_string(c.partition_id_);
    auto topic = names_by_id_.find(c.topic_id_);
    if (topic == names_by_id_.end()) {
        return "PartitionChangeRecord for partition " + id + ": its topic id names no topic";
    }
    const std::string name = "PartitionChangeRecord for " + topic->second + "-" + id;
    const PartitionState* ps = partition(c.topic_id_, c.partition_id_);
    if (ps == nullptr) {
        return name + ": no such partition";
    }
    if (c.leader_ < no_leader_change) {
        return name + ": leader " + std::to_string(c.leader_) + " is below -2";
    }
    if (c.replicas_ && c.replicas_->empty()) {
        return name + ": an empty replica set";
    }
    if (c.leader_recovery_state_ < no_leader_recovery_change ||
        c.leader_recovery_state_ > leader_recovering) {
        return name + ": leader recovery state " + std::to_string(c.leader_recovery_state_) +
               " is not -1, 0 or 1";
    }
    // Epochs are int32 on the wire; one at the maximum cannot be bumped.
    constexpr int32_t epoch_max = std::numeric_limits<int32_t>::max();
    if (ps->partition_epoch == epoch_max ||
        (c.leader_ != no_leader_change && ps->leader_epoch == epoch_max)) {
        return name + ": an epoch would overflow";
    }
    const auto& replicas = c.replicas_ ? *c.replicas_ : ps->replicas;
    const auto& isr = c.isr_ ? *c.isr_ : ps->isr;
    const int32_t leader = c.leader_ == no_leader_change ? ps->leader : c.leader_;
    if (auto problem = replica_set_problem(replicas, isr, leader)) {
        return name + ": " + *problem;
    }
    const auto& adding = c.adding_replicas_ ? *c.adding_replicas_ : ps->adding;
    const auto& removing = c.removing_replicas_ ? *c.removing_replicas_ : ps->removing;
    if (auto problem = reassignment_problem(replicas, adding, removing)) {
        return name + ": " + *problem;
    }
    return std::nullopt;
}

void MetadataImage::apply(const MetadataRecord& record) {
    using namespace protocol::records;
    ASSERT(!inconsistency(record), "a metadata record inconsistent with the image");
    if (const auto* t = std::get_if<TopicRecord>(&record)) {
        ASSERT(!topics_.contains(t->name_), "metadata log: topic created twice");
        ASSERT(!names_by_id_.contains(t->topic_id_), "metadata log: topic id reused");
        TopicState s;
        s.name = t->name_;
        s.id = t->topic_id_;
        topics_.emplace(t->name_, std::move(s));
        names_by_id_.emplace(t->topic_id_, t->name_);
        ASSERT(topics_.size() == names_by_id_.size(), "topics and their ids match one to one");
    } else if (const auto* p = std::get_if<PartitionRecord>(&record)) {
        auto it = names_by_id_.find(p->topic_id_);
        ASSERT(it != names_by_id_.end(), "metadata log: partition of an unknown topic");
        PartitionState ps;
        ps.partition = p->partition_id_;
        ps.replicas = p->replicas_;
        ps.isr = p->isr_;
        ps.leader = p->leader_;
        ps.leader_epoch = p->leader_epoch_;
        ps.partition_epoch = p->partition_epoch_;
        ps.leader_recovery_state = p->leader_recovery_state_;
        ps.adding = p->adding_replicas_;
        ps.removing = p->removing_replicas_;
        topics_[it->second].partitions[p->partition_id_] = std::move(ps);
    } else if (const auto* pc = std::get_if<PartitionChangeRecord>(&record)) {
        // PartitionRegistration.merge: absent fields keep their value; any change bumps the
        // partition epoch, a leader field other than -2 (even naming the same leader) bumps the
        // leader epoch. An ISR-only change (AlterPartition) keeps the leader epoch, so the
        // leader's fetchers and producers are not fenced by it.
        PartitionState* ps = mutable_partition(pc->topic_id_, pc->partition_id_);
        ASSERT(ps != nullptr, "metadata log: change of an unknown partition");
        const int32_t leader_epoch_before = ps->leader_epoch;
        const int32_t partition_epoch_before = ps->partition_epoch;
        if (pc->replicas_) {
            ps->replicas = *pc->replicas_;
        }
        if (pc->isr_) {
            ps->isr = *pc->isr_;
        }
        if (pc->adding_replicas_) {
            ps->adding = *pc->adding_replicas_;
        }
        if (pc->removing_replicas_) {
            ps->removing = *pc->removing_replicas_;
        }
        if (pc->leader_ != no_leader_change) {
            ps->leader = pc->leader_;
            ps->leader_epoch += 1;
        }
        if (pc->leader_recovery_state_ != no_leader_recovery_change) {
            ps->leader_recovery_state = pc->leader_recovery_state_;
        }
        ps->partition_epoch += 1;
        // inconsistency() refused epochs at their maximum: the image's epochs only grow.
        ASSERT(ps->partition_epoch > partition_epoch_before, "partition epochs grow");
        ASSERT(ps->leader_epoch >= leader_epoch_before, "leader epochs never go back");
        ASSERT(ps->leader == no_leader ||
                   std::find(ps->replicas.begin(), ps->replicas.end(), ps->leader) !=
                       ps->replicas.end(),
               "a partition's leader is one of its replicas");
    } else if (const auto* c = std::get_if<ConfigRecord>(&record)) {
        if (c->resource_type_ != config_resource_topic) {
            return;
        }
        auto it = topics_.find(c->resource_name_);
        if (it == topics_.end()) {
            return;  // config of a topic deleted since
        }
        if (c->value_) {
            it->second.configs[c->name_] = *c->value_;
        } else {
            it->second.configs.erase(c->name_);
        }
    } else if (const auto* rm = std::get_if<RemoveTopicRecord>(&record)) {
        auto it = names_by_id_.find(rm->topic_id_);
        ASSERT(it != names_by_id_.end(), "metadata log: removal of an unknown topic");
        topics_.erase(it->second);
        names_by_id_.erase(it);
        ASSERT(topics_.size() == names_by_id_.size(), "topics and their ids match one to one");
    } else if (const auto* ids = std::get_if<ProducerIdsRecord>(&record)) {
        // Blocks only move forward; a record that would hand out ids again is ignored.
        next_producer_id_ = std::max(next_producer_id_, ids->next_producer_id_);

    } else if (const auto* f = std::get_if<FeatureLevelRecord>(&record)) {
        if (f->feature_level_ == 0) {
            features_.erase(f->name_);  // level 0: the feature is not enabled
        } else {
            features_[f->name_] = f->feature_level_;
        }
    } else if (std::holds_alternative<NoOpRecord>(record)) {
        // KRaft writes these to advance the log (and the high watermark) with no change.
    } else if (const auto* u = std::get_if<UserScramCredentialRecord>(&record)) {
        scram_credentials_[ScramKey(u->name_, *scram_mechanism_from_code(u->mechanism_))] =
            security::ScramCredential{u->salt_, u->stored_key_, u->server_key_, u->iterations_};
    } else if (const auto* ru = std::get_if<RemoveUserScramCredentialRecord>(&record)) {
        scram_credentials_.erase(ScramKey(ru->name_, *scram_mechanism_from_code(ru->mechanism_)));
    } else if (const auto* q = std::get_if<ClientQuotaRecord>(&record)) {
        auto change = client_quota_change(*q);
        ASSERT(change.ok(), "apply() of an inconsistent ClientQuotaRecord");
        if (change->value) {
            client_quotas_.set(change->entity, change->key, *change->value);
        } else {
            client_quotas_.remove(change->entity, change->key);
        }
    } else if (std::holds_alternative<AccessControlEntryRecord>(record) ||
               std::holds_alternative<RemoveAccessControlEntryRecord>(record)) {
        // Copy on write: a set someone holds (a broker's authorizer source, a copied image)
        // stays as it was.
        if (acls_.use_count() > 2) {
            acls_ = std::make_shared<security::Authorizer>(*acls_);
            acls_view_ = acls_;
        }
        if (const auto* a = std::get_if<AccessControlEntryRecord>(&record)) {
            security::apply_acl_record(*acls_, security::AclRecord(*a));
        } else {
            security::apply_acl_record(
                *acls_, security::AclRecord(std::get<RemoveAccessControlEntryRecord>(record)));
        }
    } else {
        apply_broker(record);
    }
}

void MetadataImage::apply_broker(const MetadataRecord& record) {
    using namespace protocol::records;
    if (const auto* r = std::get_if<RegisterBrokerRecord>(&record)) {
        // A re-registration (a restarted broker, a new incarnation) replaces the old one whole.
        BrokerState b;
        b.id = r->broker_id_;
        b.incarnation_id = r->incarnation_id_;
        b.epoch = r->broker_epoch_;
        for (const auto& e : r->end_points_) {
            b.endpoints.push_back({e.name_, e.host_, e.port_, e.security_protocol_});
        }
        b.rack = r->rack_;
        b.fenced = r->fenced_;
        b.in_controlled_shutdown = r->in_controlled_shutdown_;
        brokers_[b.id] = std::move(b);
        return;
    }
    const auto named = registration_named(record);
    ASSERT(named.has_value(), "metadata image: a record kind apply() does not handle");
    auto it = brokers_.find(named->first);
    ASSERT(it != brokers_.end(),
           "metadata log: a change to a registration that is not the current one");
    ASSERT(it->second.epoch == named->second,
           "metadata log: a change to a registration that is not the current one");
    BrokerState& b = it->second;
    if (std::holds_alternative<UnregisterBrokerRecord>(record)) {
        brokers_.erase(it);
    } else if (std::holds_alternative<FenceBrokerRecord>(record)) {
        b.fenced = true;
    } else if (std::holds_alternative<UnfenceBrokerRecord>(record)) {
        b.fenced = false;
    } else if (const auto* c = std::get_if<BrokerRegistrationChangeRecord>(&record)) {
        if (c->fenced_ != 0) {
            b.fenced = c->fenced_ > 0;
        }
        if (c->in_controlled_shutdown_ == 1) {
            b.in_controlled_shutdown = true;
        }
    }
}

std::vector<MetadataRecord> MetadataImage::to_records() const {
    using namespace protocol::records;
    std::vector<MetadataRecord> out;
    for (const auto& [name, level] : features_) {
        FeatureLevelRecord f;
        f.name_ = name;
        f.feature_level_ = level;
        out.emplace_back(std::move(f));
    }
    for (const auto& [id, b] : brokers_) {
        RegisterBrokerRecord r;
        r.broker_id_ = id;
        r.incarnation_id_ = b.incarnation_id;
        r.broker_epoch_ = b.epoch;
        r.end_points_ = endpoint_records(b.endpoints);
        r.rack_ = b.rack;
        r.fenced_ = b.fenced;
        r.in_controlled_shutdown_ = b.in_controlled_shutdown;
        out.emplace_back(std::move(r));
    }
    for (const auto& [name, t] : topics_) {
        TopicRecord tr;
        tr.name_ = name;
        tr.topic_id_ = t.id;
        out.emplace_back(std::move(tr));
        for (const auto& [id, ps] : t.partitions) {
            PartitionRecord pr;
            pr.partition_id_ = id;
            pr.topic_id_ = t.id;
            pr.replicas_ = ps.replicas;
            pr.isr_ = ps.isr;
            pr.leader_ = ps.leader;
            pr.leader_epoch_ = ps.leader_epoch;
            pr.partition_epoch_ = ps.partition_epoch;
            pr.leader_recovery_state_ = ps.leader_recovery_state;
            pr.adding_replicas_ = ps.adding;
            pr.removing_replicas_ = ps.removing;
            out.emplace_back(std::move(pr));
        }
        for (const auto& [key, value] : t.configs) {
            ConfigRecord c;
            c.resource_type_ = config_resource_topic;
            c.resource_name_ = name;
            c.name_ = key;
            c.value_ = value;
            out.emplace_back(std::move(c));
        }
    }
    if (next_producer_id_ > 0) {
        ProducerIdsRecord ids;
        ids.next_producer_id_ = next_producer_id_;
        out.emplace_back(ids);
    }
    for (const auto& [key, c] : scram_credentials_) {
        UserScramCredentialRecord u;
        u.name_ = key.first;
        u.mechanism_ = scram_mechanism_code(key.second);
        u.salt_ = c.salt;
        u.stored_key_ = c.stored_key;
        u.server_key_ = c.server_key;
        u.iterations_ = c.iterations;
        out.emplace_back(std::move(u));
    }
    for (auto& acl : security::acl_snapshot_records(*acls_)) {
        out.emplace_back(std::move(acl));
    }
    for (const auto& [entity, values] : client_quotas_.entries()) {
        for (const auto& [key, value] : values) {
            out.emplace_back(client_quota_record(ClientQuotaChange{entity, key, value}));
        }
    }
    return out;
}

const TopicState* MetadataImage::topic(const std::string& name) const {
    auto it = topics_.find(name);
    return it == topics_.end() ? nullptr : &it->second;
}

const TopicState* MetadataImage::topic(const Uuid& id) const {
    auto it = names_by_id_.find(id);
    return it == names_by_id_.end() ? nullptr : topic(it->second);
}

const PartitionState* MetadataImage::partition(const Uuid& topic_id, int32_t partition) const {
    const TopicState* t = topic(topic_id);
    if (t == nullptr) {
        return nullptr;
    }
    auto it = t->partitions.find(partition);
    return it == t->partitions.end() ? nullptr : &it->second;
}

PartitionState* MetadataImage::mutable_partition(const Uuid& topic_id, int32_t partition) {
    return const_cast<PartitionState*>(std::as_const(*this).partition(topic_id, partition));
}

const BrokerState* MetadataImage::broker(int32_t id) const {
    auto it = brokers_.find(id);
    return it == brokers_.end() ? nullptr : &it->second;
}

std::vector<int32_t> MetadataImage::unfenced_brokers() const {
    std::vector<int32_t> out;
    for (const auto& [id, b] : brokers_) {
        if (!b.fenced) {
            out.push_back(id);
        }
    }
    return out;
}

std::vector<protocol::records::RegisterBrokerRecord::BrokerEndpoint> endpoint_records(
    const std::vector<BrokerEndpoint>& endpoints) {
    std::vector<protocol::records::RegisterBrokerRecord::BrokerEndpoint> out;
    for (const auto& e : endpoints) {
        protocol::records::RegisterBrokerRecord::BrokerEndpoint ep;
        ep.name_ = e.name;
        ep.host_ = e.host;
        ep.port_ = e.port;
        ep.security_protocol_ = e.security_protocol;
        out.push_back(std::move(ep));
    }
    return out;
}

Bytes encode_metadata_entry(const std::vector<MetadataRecord>& records) {
    ASSERT(records.size() <= limits::metadata_entry_records_max, "a metadata entry too large");
    Bytes out;
    protocol::Writer w(out);
    w.write_int32(static_cast<int32_t>(records.size()));
    for (const auto& r : records) {
        const Bytes one = encode_metadata_record(r);
        ASSERT(one.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
               "a metadata record too large");
        w.write_int32(static_cast<int32_t>(one.size()));
        w.write_raw(one);
    }
    return out;
}

Result<std::vector<MetadataRecord>, std::string> decode_metadata_entry(ByteSpan value) {
    protocol::Reader r(value);
    auto count = r.read_int32();
    if (!count.ok()) {
        return fail(std::string("metadata entry: no record count"));
    }
    // Each record takes at least its 4-byte length, which bounds the count by the input before
    // anything is reserved for it.
    if (*count < 0 || static_cast<uint32_t>(*count) > limits::metadata_entry_records_max ||
        static_cast<size_t>(*count) > r.remaining() / 4) {
        return fail("metadata entry: a record count of " + std::to_string(*count) +
                   " that the entry cannot hold");
    }
    std::vector<MetadataRecord> out;
    out.reserve(static_cast<size_t>(*count));
    for (int32_t i = 0; i < *count; ++i) {
        auto length = r.read_int32();
        if (!length.ok() || *length < 0 || static_cast<size_t>(*length) > r.remaining()) {
            return fail("metadata entry: record " + std::to_string(i) + " is truncated");
        }
        auto span = r.read_span(static_cast<size_t>(*length));
        ASSERT(span.ok(), "read_span of a length checked against remaining()");
        auto record = decode_metadata_record(*span);
        if (!record.ok()) {
            return fail("metadata entry: record " + std::to_string(i) + ": " +
                       protocol::to_string(record.error()));
        }
        if (record->has_value()) {
            out.push_back(std::move(**record));
        }
    }
    if (r.remaining() != 0) {
        return fail("metadata entry: " + std::to_string(r.remaining()) +
                   " bytes after the last record");
    }
    return out;
}

Bytes encode_image_snapshot(const MetadataImage& image) {
    return encode_metadata_entry(image.to_records());
}

Result<MetadataImage, std::string> decode_image_snapshot(ByteSpan value) {
    TRY_ASSIGN(std::vector<MetadataRecord> records, decode_metadata_entry(value));
    MetadataImage image;
    for (size_t i = 0; i < records.size(); ++i) {
        if (auto why = image.inconsistency(records[i])) {
            return fail("image snapshot: record " + std::to_string(i) + ": " + *why);
        }
        image.apply(records[i]);
    }
    return image;
}

}  // namespace eddy::controller
