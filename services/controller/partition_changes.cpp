#include "services/controller/partition_changes.h"

#include <algorithm>
#include <map>

#include "core/base/assert.h"
#include "core/protocol/error_codes.h"
#include "services/controller/reassignment.h"

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
                ASSERT(leader == no_leader || (contains(isr, leader) && leader != broker),
                       "the new leader is an in-sync replica other than the one leaving");
                if (leader != p.leader) {
                    c.leader_ = leader;
                }
            }
            if (c.isr_ || c.leader_ != no_leader_change) {
                complete_reassignment(image, c, eligibility);
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
            ASSERT(contains(p.isr, leader), "a leader is elected from the ISR");
            ASSERT(contains(p.replicas, leader), "a leader is elected from the ISR");
            PartitionChangeRecord c = change_of(t, p);
            c.leader_ = leader;
            if (consistent(image, c)) {
                out.push_back(std::move(c));
            }
        }
    }
    return out;
}

Election elect_leader(const MetadataImage& image, const std::string& topic, int32_t partition,
                      ElectionType type) {
    namespace e = kafka_error;
    Election out;
    const TopicState* t = image.topic(topic);
    const auto it = t == nullptr ? decltype(t->partitions)::const_iterator{}
                                 : t->partitions.find(partition);
    if (t == nullptr || it == t->partitions.end()) {
        out.error = e::unknown_topic_or_partition;
        out.message = "no such partition";
        return out;
    }
    const PartitionState& p = it->second;
    const LeaderEligibility anyone;
    PartitionChangeRecord c = change_of(*t, p);
    if (type == ElectionType::preferred) {
        const int32_t preferred = p.replicas.empty() ? no_leader : p.replicas.front();
        if (p.leader == preferred) {
            out.error = e::election_not_needed;
            out.message = "the preferred replica already leads";
            return out;
        }
        if (preferred == no_leader || !contains(p.isr, preferred) ||
            !anyone.may_lead(image, preferred)) {
            out.error = e::preferred_leader_not_available;
            out.message = "the preferred replica " + std::to_string(preferred) +
                          " is not in the ISR or may not lead (fenced, shutting down)";
            return out;
        }
        c.leader_ = preferred;
    } else {
        if (p.leader != no_leader) {
            out.error = e::election_not_needed;
            out.message = "the partition has a leader";
            return out;
        }
        int32_t leader = choose_leader(image, p, p.isr, anyone);
        if (leader == no_leader) {
            // Unclean: the first replica that may lead, alone in the ISR.
            leader = choose_leader(image, p, p.replicas, anyone);
            if (leader != no_leader) {
                c.isr_ = std::vector<int32_t>{leader};
            }
        }
        if (leader == no_leader) {
            out.error = e::eligible_leaders_not_available;
            out.message = "no replica may lead (all fenced or shutting down)";
            return out;
        }
        ASSERT(contains(p.replicas, leader), "an unclean leader becomes the whole ISR");
        ASSERT((contains(p.isr, leader) || c.isr_), "an unclean leader becomes the whole ISR");
        c.leader_ = leader;
    }

    if (!consistent(image, c)) {
        out.error = e::unknown_server_error;
        out.message = "the partition's epochs are at their maximum";
        return out;
    }
    out.change = std::move(c);
    return out;
}

std::vector<PartitionChangeRecord> rebalance_leaders(const MetadataImage& image,
                                                     double max_imbalance) {
    // Per broker: the partitions it is the preferred replica of, and those led elsewhere.
    std::map<int32_t, std::pair<size_t, size_t>> counts;
    for (const auto& [name, t] : image.topics()) {
        for (const auto& [id, p] : t.partitions) {
            if (p.replicas.empty()) {
                continue;
            }
            auto& c = counts[p.replicas.front()];
            ++c.first;
            c.second += p.leader != p.replicas.front() ? 1U : 0U;
        }
    }
    std::vector<PartitionChangeRecord> out;
    for (const auto& [name, t] : image.topics()) {
        for (const auto& [id, p] : t.partitions) {
            if (p.replicas.empty() || p.leader == p.replicas.front()) {
                continue;
            }
            const auto& c = counts[p.replicas.front()];
            if (static_cast<double>(c.second) / static_cast<double>(c.first) <= max_imbalance) {
                continue;
            }
            auto e = elect_leader(image, name, id, ElectionType::preferred);
            if (e.change) {
                out.push_back(std::move(*e.change));
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
