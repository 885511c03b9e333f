#include "services/controller/metadata_image.h"

#include <algorithm>

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
        if (p->partition_id_ < 0) {
            return "PartitionRecord " + std::to_string(p->partition_id_) + " of '" +
                   names_by_id_.at(p->topic_id_) + "': a negative partition id";
        }
    } else if (const auto* rm = std::get_if<RemoveTopicRecord>(&record)) {
        if (!names_by_id_.contains(rm->topic_id_)) {
            return std::string("RemoveTopicRecord: its topic id names no topic");
        }
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
        topics_[it->second].partitions[p->partition_id_] = std::move(ps);
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
    } else if (const auto* ids = std::get_if<ProducerIdsRecord>(&record)) {
        // Blocks only move forward; a record that would hand out ids again is ignored.
        next_producer_id_ = std::max(next_producer_id_, ids->next_producer_id_);
    }
}

std::vector<MetadataRecord> MetadataImage::to_records() const {
    using namespace protocol::records;
    std::vector<MetadataRecord> out;
    for (const auto& [name, t] : topics_) {
        TopicRecord tr;
        tr.name_ = name;
        tr.topic_id_ = t.id;
        out.emplace_back(std::move(tr));
        for (const auto& [index, ps] : t.partitions) {
            PartitionRecord pr;
            pr.partition_id_ = index;
            pr.topic_id_ = t.id;
            pr.replicas_ = ps.replicas;
            pr.isr_ = ps.isr;
            pr.leader_ = ps.leader;
            pr.leader_epoch_ = ps.leader_epoch;
            pr.partition_epoch_ = ps.partition_epoch;
            out.emplace_back(std::move(pr));
        }
        for (const auto& [key, value] : t.configs) {
            ConfigRecord cr;
            cr.resource_type_ = config_resource_topic;
            cr.resource_name_ = name;
            cr.name_ = key;
            cr.value_ = value;
            out.emplace_back(std::move(cr));
        }
    }
    if (next_producer_id_ > 0) {
        ProducerIdsRecord ids;
        ids.next_producer_id_ = next_producer_id_;
        out.emplace_back(ids);
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

}  // namespace eddy::controller
