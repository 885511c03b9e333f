// Small builders shared by the controller tests: topic ids, broker registrations, topics and
// partitions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/controller/metadata_image.h"

namespace eddy::controller::testing {

// A topic or incarnation id with every byte `b`.
inline Uuid id_of(uint8_t b) {
    Uuid u{};
    u.bytes_.fill(b);
    return u;
}

// A registration of broker `id` with one PLAINTEXT listener host<id>:9092, fenced (as the
// controller writes them).
inline protocol::records::RegisterBrokerRecord registration(
    int32_t id, int64_t epoch, std::optional<std::string> rack = std::nullopt) {
    protocol::records::RegisterBrokerRecord r;
    r.broker_id_ = id;
    r.broker_epoch_ = epoch;
    r.incarnation_id_ = id_of(static_cast<uint8_t>(100 + id));
    protocol::records::RegisterBrokerRecord::BrokerEndpoint ep;
    ep.name_ = "PLAINTEXT";
    ep.host_ = "host" + std::to_string(id);
    ep.port_ = 9092;
    r.end_points_.push_back(ep);
    r.rack_ = std::move(rack);
    return r;
}

// A TopicRecord for `name` with id `id`.
inline protocol::records::TopicRecord topic_record(std::string name, Uuid id) {
    protocol::records::TopicRecord t;
    t.name_ = std::move(name);
    t.topic_id_ = id;
    return t;
}

// A PartitionRecord of `topic`'s partition `partition`.
inline protocol::records::PartitionRecord partition_record(Uuid topic, int32_t partition,
                                                           std::vector<int32_t> replicas,
                                                           std::vector<int32_t> isr, int32_t leader,
                                                           int32_t leader_epoch,
                                                           int32_t partition_epoch) {
    protocol::records::PartitionRecord p;
    p.partition_id_ = partition;
    p.topic_id_ = topic;
    p.replicas_ = std::move(replicas);
    p.isr_ = std::move(isr);
    p.leader_ = leader;
    p.leader_epoch_ = leader_epoch;
    p.partition_epoch_ = partition_epoch;
    return p;
}

// Brokers 1..4 registered with broker epochs 11..14; 1..3 unfenced, 4 fenced.
inline MetadataImage three_unfenced_one_fenced() {
    MetadataImage image;
    for (int32_t b = 1; b <= 4; ++b) {
        image.apply(registration(b, 10 + b));
    }
    for (int32_t b = 1; b <= 3; ++b) {
        image.apply(protocol::records::UnfenceBrokerRecord{b, 10 + b});
    }
    return image;
}

}  // namespace eddy::controller::testing
