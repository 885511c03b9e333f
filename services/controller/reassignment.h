// Partition reassignment (KIP-455), as KRaft's controller does it: AlterPartitionReassignments
// names a partition's target replicas T; the partition's replicas become T followed by the
// original replicas not in T, with adding = T minus the original and removing = the original
// minus T. The new replicas copy from the leader like any follower and join the ISR through
// AlterPartition; once every member of T is in the ISR the reassignment completes in the same
// change: replicas = T, the removing replicas leave the ISR, and leadership moves to the first
// replica of T in the ISR if the leader was leaving. Brokers no longer named delete their copy.
//
// Beyond Kafka's rules, chosen for durability:
// - a reassignment that replaces one in progress keeps the ISR members it still names (an
//   adding replica already in sync stays in sync) instead of reverting first;
// - a change that would leave the ISR empty (cancelling when only adding replicas are in sync)
//   is refused with INVALID_REPLICA_ASSIGNMENT rather than made unclean;
// - completion waits while the leader is leaving and no member of T that may lead is in the ISR.
// Cancelling (null target) returns the partition to its original replicas, as Kafka does: in the
// order they have in the merged list (the target's order first), so the preferred replica may
// differ from before; reassigning to the original list in its old order restores that too.
// Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "services/controller/api_error.h"
#include "services/controller/metadata_image.h"
#include "services/controller/partition_changes.h"

namespace eddy::controller {

// The original replicas of a partition: its replicas without those being added.
std::vector<int32_t> original_replicas(const PartitionState& p);
// The target of a partition's reassignment: its replicas without those being removed.
std::vector<int32_t> target_replicas(const PartitionState& p);

// One partition of AlterPartitionReassignments checked against `image`: the record to commit,
// nullopt when nothing changes (the partition already has these replicas, or is already being
// moved to them), or the partition's error: UNKNOWN_TOPIC_OR_PARTITION,
// INVALID_REPLICA_ASSIGNMENT (an empty target, a broker twice, an unregistered broker, no ISR
// member left), NO_REASSIGNMENT_IN_PROGRESS (cancelling none).
Result<std::optional<protocol::records::PartitionChangeRecord>, ApiError> decide_reassignment(
    const MetadataImage& image, const std::string& topic, int32_t partition,
    const std::optional<std::vector<int32_t>>& target);

// Completes the reassignment of the partition `change` applies to, when the ISR after `change`
// holds every target replica: `change` then also sets the replicas to the target, clears adding
// and removing, drops the leaving replicas from the ISR and moves leadership if the leader is
// leaving (to a broker `eligibility` lets lead). Leaves `change` alone otherwise.
void complete_reassignment(const MetadataImage& image,
                           protocol::records::PartitionChangeRecord& change,
                           const LeaderEligibility& eligibility = {});

}  // namespace eddy::controller
