// The consumer embedded protocol (see consumer_protocol.h).
#include "core/protocol/consumer_protocol.h"

#include <algorithm>

#include "core/base/assert.h"
#include "core/protocol/generated/records/consumer_protocol_assignment.h"
#include "core/protocol/generated/records/consumer_protocol_subscription.h"
#include "core/protocol/wire.h"

namespace eddy::protocol {

using records::ConsumerProtocolAssignment;
using records::ConsumerProtocolSubscription;

namespace {

// Reads the leading version; versions above the codec's newest are read as the newest.
template <typename T>
std::optional<T> decode_versioned(ByteSpan bytes) {
    Reader r(bytes);
    auto version = r.read_int16();
    if (!version.ok() || *version < 0) {
        return std::nullopt;
    }
    auto s = T::decode(r, std::min(*version, T::max_version));
    if (!s.ok()) {
        return std::nullopt;
    }
    return std::move(s).value();
}

template <typename T>
Bytes encode_versioned(const T& s, int16_t version) {
    ASSERT(version >= 0 && version <= T::max_version);
    Bytes out;
    Writer w(out);
    w.write_int16(version);
    s.encode(w, version);
    return out;
}

}  // namespace

std::optional<std::set<std::string>> parse_subscribed_topics(ByteSpan metadata) {
    auto s = decode_versioned<ConsumerProtocolSubscription>(metadata);
    if (!s) {
        return std::nullopt;
    }
    return std::set<std::string>(s->topics_.begin(), s->topics_.end());
}

Bytes encode_subscription(const std::set<std::string>& topics, int16_t version) {
    ConsumerProtocolSubscription s;
    s.topics_.assign(topics.begin(), topics.end());
    return encode_versioned(s, version);
}

std::optional<PartitionList> parse_assignment(ByteSpan assignment) {
    if (assignment.empty()) {
        return PartitionList{};
    }
    auto a = decode_versioned<ConsumerProtocolAssignment>(assignment);
    if (!a) {
        return std::nullopt;
    }
    PartitionList out;
    for (const auto& t : a->assigned_partitions_) {
        for (int32_t p : t.partitions_) {
            out.emplace_back(t.topic_, p);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

Bytes encode_assignment(const PartitionList& partitions, int16_t version) {
    ConsumerProtocolAssignment a;
    for (const auto& [topic, partition] : partitions) {
        if (a.assigned_partitions_.empty() || a.assigned_partitions_.back().topic_ != topic) {
            a.assigned_partitions_.emplace_back();
            a.assigned_partitions_.back().topic_ = topic;
        }
        a.assigned_partitions_.back().partitions_.push_back(partition);
    }
    return encode_versioned(a, version);
}

}  // namespace eddy::protocol
