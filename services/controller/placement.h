// Replica placement for CreateTopics and CreatePartitions, in the manner of KRaft's
// StripedReplicaPlacer: the usable brokers (unfenced, not in controlled shutdown) are put in
// rack-alternating order (the first broker of each rack, then the second of each, …); partition p's
// first replica, its preferred leader, is the broker at (start_offset + p) in that order, so
// leaders spread evenly (counts differ by at most one) and the racks alternate too. The other
// replicas walk the order from a shift that changes every lap, taking a broker of a rack the
// partition does not use yet while there is one, so each partition spans as many racks as exist.
//
// Deterministic: the same brokers (in any input order), counts and start offset give the same
// placement; the only randomness is the start offset drawn from a seeded Random. Brokers with no
// rack count as one rack of their own, as Kafka's Optional.empty() rack does.
//
// Errors are Kafka outcomes (INVALID_REPLICATION_FACTOR with Kafka's messages), not asserts: the
// counts come from a request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "services/controller/api_error.h"
#include "services/controller/metadata_image.h"

namespace eddy::controller {

struct UsableBroker {
    int32_t id = -1;
    std::optional<std::string> rack;
};

struct Placement {
    ApiError error;
    // One entry per new partition (start_partition, start_partition + 1, …): its replicas, the
    // preferred leader first. Empty when error is set.
    std::vector<std::vector<int32_t>> replicas;
};

// The brokers that may receive new replicas: unfenced and not in controlled shutdown, by id.
std::vector<UsableBroker> usable_brokers(const MetadataImage& image);

// Places `partitions` new partitions numbered from start_partition (0 for a new topic, the
// current count for CreatePartitions, so leadership continues the rotation) with
// `replication_factor` replicas each on distinct brokers. `brokers` must have distinct ids.
Placement place_replicas(const std::vector<UsableBroker>& brokers, int32_t partitions,
                         int16_t replication_factor, int32_t start_partition,
                         uint64_t start_offset);
// The same with the start offset drawn from `random` (as Kafka starts at a random broker, so
// topics created one after another do not all lead on the same broker).
Placement place_replicas(const std::vector<UsableBroker>& brokers, int32_t partitions,
                         int16_t replication_factor, int32_t start_partition, Random& random);

}  // namespace eddy::controller
