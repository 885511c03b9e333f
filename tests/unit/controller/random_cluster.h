// A metadata log in miniature for the controller's properties: an image, the next record's
// offset, BrokerHeartbeats, and random steps of the broker lifecycle (registrations, heartbeats
// that fence, shut down or unfence, session expiry) and topic creation, each committed as the
// controller would (every record must be consistent with the image: RC_ASSERT). Shared by the
// heartbeat and AlterPartition properties.
#pragma once

#include <rapidcheck.h>

#include <string>
#include <vector>

#include "core/base/random.h"
#include "services/controller/broker_heartbeats.h"
#include "services/controller/placement.h"
#include "tests/unit/controller/image_fixtures.h"

namespace eddy::controller::testing {

struct RandomCluster {
    explicit RandomCluster(BrokerHeartbeatOptions options) : heartbeats(options) {}

    MetadataImage image;
    int64_t log_end = 0;
    BrokerHeartbeats heartbeats;
    Instant now = Instant::from_nanos(0);
    int topics = 0;

    void commit(const std::vector<MetadataRecord>& records) {
        for (const auto& r : records) {
            RC_ASSERT(!image.inconsistency(r).has_value());
            image.apply(r);
            ++log_end;
        }
    }

    // Broker `id` registers as one of three incarnations, in one of two racks.
    void register_broker(Random& rng, int32_t id) {
        BrokerRegistration r;
        r.broker_id = id;
        r.incarnation_id = id_of(static_cast<uint8_t>(rng.below(3)));
        r.rack = "r" + std::to_string(rng.below(2));
        commit(heartbeats.register_broker(r, image, log_end, now).records);
    }

    // A heartbeat of broker `id`, mostly with its epoch, a little behind the log, sometimes
    // asking to be fenced or shut down.
    void heartbeat(Random& rng, int32_t id) {
        BrokerHeartbeat h;
        h.broker_id = id;
        const BrokerState* b = image.broker(id);
        h.broker_epoch = b != nullptr && rng.chance(0.95) ? b->epoch : 7;
        h.current_metadata_offset = Offset(log_end - static_cast<int64_t>(rng.below(8)));
        h.want_fence = rng.chance(0.1);
        h.want_shutdown = rng.chance(0.1);
        commit(heartbeats.heartbeat(h, image, now, Offset(log_end)).records);
    }

    // Up to five seconds pass; silent brokers are fenced.
    void expire(Random& rng) {
        now = now + Duration::seconds(static_cast<int64_t>(rng.below(6)));
        commit(heartbeats.expire(image, now));
    }

    // One of the three above for broker `id`: a registration, a heartbeat (twice as likely) or
    // expiry.
    void broker_step(Random& rng, int32_t id) {
        switch (rng.below(4)) {
            case 0:
                register_broker(rng, id);
                break;
            case 1:
            case 2:
                heartbeat(rng, id);
                break;
            default:
                expire(rng);
                break;
        }
    }

    // Topic "t<n>" (id 50 + n) with `partitions` partitions placed on the usable brokers at a
    // random replication factor, every replica in sync, as CreateTopics makes it; nothing when
    // no broker is usable or `topics_max` exist.
    void create_topic(Random& rng, int topics_max, int32_t partitions) {
        const auto usable = usable_brokers(image);
        if (usable.empty() || topics >= topics_max) {
            return;
        }
        const auto rf = static_cast<int16_t>(1 + rng.below(usable.size()));
        const Placement p = place_replicas(usable, partitions, rf, 0, rng);
        RC_ASSERT(p.error.ok());
        protocol::records::TopicRecord t;
        t.name_ = "t" + std::to_string(topics);
        t.topic_id_ = id_of(static_cast<uint8_t>(50 + topics));
        ++topics;
        std::vector<MetadataRecord> records{t};
        for (int32_t i = 0; i < partitions; ++i) {
            protocol::records::PartitionRecord pr;
            pr.topic_id_ = t.topic_id_;
            pr.partition_id_ = i;
            pr.replicas_ = p.replicas[static_cast<size_t>(i)];
            pr.isr_ = pr.replicas_;
            pr.leader_ = pr.replicas_.front();
            pr.leader_epoch_ = 0;
            pr.partition_epoch_ = 0;
            records.emplace_back(pr);
        }
        commit(records);
    }
};

}  // namespace eddy::controller::testing
