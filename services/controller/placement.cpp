#include "services/controller/placement.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/base/assert.h"

namespace eddy::controller {
namespace {

namespace e = kafka_error;

// Kafka's getRackAlternatedBrokerList: racks in name order (no rack first), brokers of a rack by
// id, then round-robin over the racks.
std::vector<UsableBroker> rack_alternated(const std::vector<UsableBroker>& brokers) {
    std::map<std::optional<std::string>, std::vector<UsableBroker>> by_rack;
    for (const auto& b : brokers) {
        by_rack[b.rack].push_back(b);
    }
    for (auto& [rack, list] : by_rack) {
        std::sort(list.begin(), list.end(),
                  [](const UsableBroker& a, const UsableBroker& b) { return a.id < b.id; });
    }
    std::vector<UsableBroker> out;
    for (size_t round = 0; out.size() < brokers.size(); ++round) {
        for (const auto& [rack, list] : by_rack) {
            if (round < list.size()) {
                out.push_back(list[round]);
            }
        }
    }
    return out;
}

bool distinct_ids(const std::vector<UsableBroker>& brokers) {
    std::set<int32_t> ids;
    for (const auto& b : brokers) {
        ids.insert(b.id);
    }
    return ids.size() == brokers.size();
}

}  // namespace

std::vector<UsableBroker> usable_brokers(const MetadataImage& image) {
    std::vector<UsableBroker> out;
    for (const auto& [id, b] : image.brokers()) {
        if (b.usable()) {
            out.push_back({id, b.rack});
        }
    }
    return out;
}

Placement place_replicas(const std::vector<UsableBroker>& brokers, int32_t partitions,
                         int16_t replication_factor, int32_t start_partition,
                         uint64_t start_offset) {
    ASSERT(distinct_ids(brokers), "placement: the usable brokers must have distinct ids");
    Placement out;
    if (replication_factor <= 0) {
        out.error =
            ApiError::of(e::invalid_replication_factor,
                         "Invalid replication factor " + std::to_string(replication_factor) +
                             ": the replication factor must be positive.");
        return out;
    }
    if (brokers.empty()) {
        out.error =
            ApiError::of(e::invalid_replication_factor, "All brokers are currently fenced.");
        return out;
    }
    if (static_cast<size_t>(replication_factor) > brokers.size()) {
        const std::string rf = std::to_string(replication_factor);
        out.error = ApiError::of(e::invalid_replication_factor,
                                 "Unable to replicate the partition " + rf +
                                     " time(s): The target replication factor of " + rf +
                                     " cannot be reached because only " +
                                     std::to_string(brokers.size()) + " broker(s) are registered.");
        return out;
    }
    if (partitions < 0 || start_partition < 0) {
        out.error = ApiError::of(e::invalid_partitions, "a negative partition count");
        return out;
    }
    const std::vector<UsableBroker> order = rack_alternated(brokers);
    ASSERT(order.size() == brokers.size(), "rack alternation reorders, never drops, brokers");
    const uint64_t n = order.size();
    const auto rf = static_cast<size_t>(replication_factor);
    out.replicas.reserve(static_cast<size_t>(partitions));
    for (int32_t i = 0; i < partitions; ++i) {
        const uint64_t slot =
            start_offset + static_cast<uint64_t>(start_partition) + static_cast<uint64_t>(i);
        const uint64_t first = slot % n;
        // The followers start `shift` places after the leader, a shift that changes every lap
        // (as Kafka's nextReplicaShift) so partitions with one leader get different followers.
        const uint64_t shift = n > 1 ? 1 + (slot / n) % (n - 1) : 0;
        std::vector<int32_t> replicas{order[first].id};
        std::set<size_t> chosen{first};
        std::set<std::optional<std::string>> racks_used{order[first].rack};
        while (replicas.size() < rf) {
            std::optional<size_t> pick;
            std::optional<size_t> pick_any_rack;
            for (uint64_t k = 0; k < n && !pick; ++k) {
                const auto pos = static_cast<size_t>((first + shift + k) % n);
                if (chosen.contains(pos)) {
                    continue;
                }
                if (!pick_any_rack) {
                    pick_any_rack = pos;
                }
                if (!racks_used.contains(order[pos].rack)) {
                    pick = pos;
                }
            }
            if (!pick) {
                // Every rack holds a replica already: start a new round of racks.
                ASSERT(pick_any_rack.has_value(), "placement: rf <= brokers, so one is left");
                pick = pick_any_rack;
                racks_used.clear();
            }
            chosen.insert(*pick);
            racks_used.insert(order[*pick].rack);
            replicas.push_back(order[*pick].id);
        }
        ASSERT(std::set<int32_t>(replicas.begin(), replicas.end()).size() == rf,
               "placement: a broker chosen twice for one partition");
        out.replicas.push_back(std::move(replicas));
    }
    ASSERT(out.replicas.size() == static_cast<size_t>(partitions), "one replica set per partition");
    return out;
}


Placement place_replicas(const std::vector<UsableBroker>& brokers, int32_t partitions,
                         int16_t replication_factor, int32_t start_partition, Random& random) {
    const uint64_t start_offset = brokers.empty() ? 0 : random.below(brokers.size());
    return place_replicas(brokers, partitions, replication_factor, start_partition, start_offset);
}

}  // namespace eddy::controller
