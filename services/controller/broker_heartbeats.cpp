#include "services/controller/broker_heartbeats.h"

#include <algorithm>

#include "core/base/assert.h"
#include "services/controller/partition_changes.h"

namespace eddy::controller {
namespace {

namespace e = kafka_error;
using namespace protocol::records;

template <typename Record>
void append_all(std::vector<MetadataRecord>& out, std::vector<Record> records) {
    for (auto& r : records) {
        out.emplace_back(std::move(r));
    }
}

}  // namespace

bool BrokerHeartbeats::session_live(int32_t broker, Instant now) const {
    auto it = last_contact_.find(broker);
    return it != last_contact_.end() && now - it->second < options_.session_timeout;
}

std::optional<Instant> BrokerHeartbeats::last_contact(int32_t broker) const {
    auto it = last_contact_.find(broker);
    return it == last_contact_.end() ? std::nullopt : std::optional<Instant>(it->second);
}

void BrokerHeartbeats::start_sessions(const MetadataImage& image, Instant now) {
    ASSERT(last_contact_.empty(), "sessions start once, when the controller becomes active");
    for (const auto& [id, b] : image.brokers()) {
        (void)b;
        last_contact_[id] = now;
    }
}

RegistrationOutcome BrokerHeartbeats::register_broker(const BrokerRegistration& request,
                                                      const MetadataImage& image,
                                                      int64_t record_offset, Instant now) {
    RegistrationOutcome out;
    if (request.broker_id < 0) {
        out.error = ApiError::of(e::invalid_request, "a negative broker id");
        return out;
    }
    const BrokerState* existing = image.broker(request.broker_id);
    if (existing != nullptr && existing->incarnation_id != request.incarnation_id &&
        session_live(request.broker_id, now)) {
        // Two processes configured with one node.id: the second waits for the first's session
        // to expire (Kafka's message).
        out.error = ApiError::of(e::duplicate_broker_registration,
                                 "Another broker is registered with that broker id.");
        return out;
    }
    // The epoch is the record's offset, so it grows with every registration; a log whose epochs
    // ran ahead of its offsets (hostile or foreign) still gets a growing one.
    out.broker_epoch =
        existing != nullptr ? std::max(record_offset, existing->epoch + 1) : record_offset;
    ASSERT(existing == nullptr || out.broker_epoch > existing->epoch,
           "broker epochs grow across registrations");
    RegisterBrokerRecord r;
    r.broker_id_ = request.broker_id;
    r.incarnation_id_ = request.incarnation_id;
    r.broker_epoch_ = out.broker_epoch;
    r.end_points_ = endpoint_records(request.listeners);
    r.rack_ = request.rack;
    r.fenced_ = true;
    r.in_controlled_shutdown_ = false;
    ASSERT(!image.inconsistency(r), "a registration inconsistent with the image");
    out.records.emplace_back(std::move(r));
    if (existing != nullptr) {
        append_all(out.records, remove_from_partitions(image, request.broker_id));
    }
    last_contact_[request.broker_id] = now;
    return out;
}

HeartbeatOutcome BrokerHeartbeats::heartbeat(const BrokerHeartbeat& request,
                                             const MetadataImage& image, Instant now,
                                             Offset committed_offset) {
    HeartbeatOutcome out;
    const BrokerState* b = image.broker(request.broker_id);
    if (b == nullptr) {
        out.error = e::broker_id_not_registered;
        return out;
    }
    if (b->epoch != request.broker_epoch) {
        out.error = e::stale_broker_epoch;
        return out;
    }
    last_contact_[request.broker_id] = now;
    const Offset offset = request.current_metadata_offset;
    out.is_caught_up =
        offset.value() >= b->epoch && committed_offset - offset <= options_.metadata_lag_max;
    const int32_t id = b->id;
    if (b->fenced) {
        out.is_fenced = true;
        if (request.want_shutdown) {
            // A fenced broker leads nothing and is in no ISR it could shrink: it may go now.
            out.should_shut_down = true;
        } else if (!request.want_fence && out.is_caught_up) {
            ASSERT(offset.value() >= b->epoch, "a broker is unfenced only once it has its registration");
            out.records.emplace_back(UnfenceBrokerRecord{id, b->epoch});
            append_all(out.records, elect_leaders(image, LeaderEligibility{std::nullopt, id}));
            out.is_fenced = false;
        }
        return out;
    }
    out.is_fenced = false;
    ASSERT(!b->fenced);
    ASSERT(b->epoch == request.broker_epoch);
    if (request.want_fence) {

        out.records.emplace_back(FenceBrokerRecord{id, b->epoch});
        append_all(out.records, remove_from_partitions(image, id));
        out.is_fenced = true;
        out.should_shut_down = request.want_shutdown;
        return out;
    }
    if (request.want_shutdown || b->in_controlled_shutdown) {
        if (!b->in_controlled_shutdown) {
            BrokerRegistrationChangeRecord c;
            c.broker_id_ = id;
            c.broker_epoch_ = b->epoch;
            c.in_controlled_shutdown_ = 1;
            out.records.emplace_back(c);
        }
        const auto changes = remove_from_partitions(image, id);
        size_t moved = 0;
        for (const auto& c : changes) {
            const PartitionState* p = image.partition(c.topic_id_, c.partition_id_);
            moved += p != nullptr && p->leader == id && c.leader_ != no_leader_change ? 1 : 0;
        }
        out.should_shut_down = request.want_shutdown && moved == partitions_led(image, id);
        append_all(out.records, changes);
    }
    return out;
}

std::vector<MetadataRecord> BrokerHeartbeats::expire(const MetadataImage& image, Instant now) {
    std::erase_if(last_contact_,
                  [&](const auto& entry) { return image.broker(entry.first) == nullptr; });
    std::vector<MetadataRecord> out;
    // The image as the records so far leave it: a second expiry must not elect the first broker,
    // and its changes must follow the first's. Copied only when something expires.
    std::optional<MetadataImage> after;
    for (const auto& [id, b] : image.brokers()) {
        auto [it, first_sight] = last_contact_.try_emplace(id, now);
        if (first_sight || b.fenced || now - it->second < options_.session_timeout) {
            continue;
        }
        if (!after) {
            after = image;
        }
        std::vector<MetadataRecord> records{FenceBrokerRecord{id, b.epoch}};
        append_all(records, remove_from_partitions(*after, id));
        for (const auto& r : records) {
            after->apply(r);
        }
        append_all(out, std::move(records));
    }
    return out;
}

}  // namespace eddy::controller
