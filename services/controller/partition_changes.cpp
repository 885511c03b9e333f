#include "services/controller/partition_changes.h"

#include <algorithm>

namespace eddy::controller {
namespace {

using protocol::records::PartitionChangeRecord;

bool contains(const std::vector<int32_t>& v, int32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// The first replica (preferred order) in `isr` that may lead, or -1.
int32_t choose_leader(const MetadataImage& image, const PartitionState& p,
                      const std::vector<int32_t>& isr, const LeaderEligibility& eligibility) {
    for (int32_t r : p.replicas) {
        if (contains(isr, r) && eligibility.may_lead(image, r)) {
            return r;
        }
    }
    return no_leader;
}

PartitionChangeRecord change_of(const TopicState& t, const PartitionState& p) {
    PartitionChangeRecord c;
    c.topic_id_ = t.id;
    c.partition_id_ = p.partition;
    return c;
}

// The changes built here keep the image's invariants by construction; what can still refuse one
// is an epoch at its int32 maximum, which only a hostile record can have put there. Such a
// partition is left as it is (never an ASSERT on record content).
bool consistent(const MetadataImage& image, const PartitionChangeRecord& c) {
    return !image.inconsistency(c).has_value();
}

}  // namespace

bool LeaderEligibility::may_lead(const MetadataImage& image, int32_t broker) const {
    if (gone == broker) {
        return false;
    }
    const BrokerState* b = image.broker(broker);
    if (b == nullptr || b->in_controlled_shutdown) {
        return false;
    }
    return !b->fenced || back == broker;
}

std::vector<PartitionChangeRecord> remove_from_partitions(const MetadataImage& image,
                                                          int32_t broker) {
    const LeaderEligibility eligibility{broker, std::nullopt};
    std::vector<PartitionChangeRecord> out;
    for (const auto& [name, t] : image.topics()) {
        for (const auto& [id, p] : t.partitions) {
            const bool in_isr = contains(p.isr, broker);
            if (!in_isr && p.leader != broker) {
                continue;
            }
            std::vector<int32_t> isr = p.isr;
            if (in_isr && isr.size() > 1) {
                isr.erase(std::find(isr.begin(), isr.end(), broker));
            }
            PartitionChangeRecord c = change_of(t, p);
            if (isr != p.isr) {
                c.isr_ = isr;
            }
            // A new leader when the broker led, or when the current leader may not lead either
            // (a leader fenced earlier that no change has moved yet).
            if (p.leader == broker ||
                (p.leader != no_leader && !eligibility.may_lead(image, p.leader))) {
                const int32_t leader = choose_leader(image, p, isr, eligibility);
                if (leader != p.leader) {
                    c.leader_ = leader;
                }
            }
            if ((c.isr_ || c.leader_ != no_leader_change) && consistent(image, c)) {
                out.push_back(std::move(c));
            }
        }
    }
    return out;
}

std::vector<PartitionChangeRecord> elect_leaders(const MetadataImage& image,
                                                 const LeaderEligibility& eligibility) {
    std::vector<PartitionChangeRecord> out;
    for (const auto& [name, t] : image.topics()) {
        for (const auto& [id, p] : t.partitions) {
            if (p.leader != no_leader) {
                continue;
            }
            const int32_t leader = choose_leader(image, p, p.isr, eligibility);
            if (leader == no_leader) {
                continue;
            }
            PartitionChangeRecord c = change_of(t, p);
            c.leader_ = leader;
            if (consistent(image, c)) {
                out.push_back(std::move(c));
            }
        }
    }
    return out;
}

size_t partitions_led(const MetadataImage& image, int32_t broker) {
    size_t n = 0;
    for (const auto& [name, t] : image.topics()) {
        for (const auto& [id, p] : t.partitions) {
            n += p.leader == broker ? 1 : 0;
        }
    }
    return n;
}

}  // namespace eddy::controller
