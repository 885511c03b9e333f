// AlterPartition (API key 56, KIP-497): the controller's side of ISR changes. A partition's leader
// asks the active controller to change the partition's ISR (and, after an unclean election, to mark
// its leader recovered); the controller checks the request against the MetadataImage and answers
// with the PartitionChangeRecord to commit, or with an error. Pure functions, no I/O: the
// Controller commits the records and answers from the image (controller.h).
//
// The rules are Kafka's (ReplicationControlManager.alterPartition and validateAlterPartitionData),
// in Kafka's order, so a request meets the error Kafka would answer first:
//   the sender is registered with that broker epoch      else STALE_BROKER_EPOCH (whole request)
//   the topic exists (by name before v2, by id from v2)   else UNKNOWN_TOPIC_OR_PARTITION /
//                                                              UNKNOWN_TOPIC_ID (v2+)
//   the partition exists                                  else UNKNOWN_TOPIC_OR_PARTITION
//   leader and partition epochs not ahead of the image    else NOT_CONTROLLER (the sender has seen
//                                                              a newer controller's metadata)
//   leader epoch current                                  else FENCED_LEADER_EPOCH
//   the sender leads the partition                        else INVALID_REQUEST
//   partition epoch current                               else INVALID_UPDATE_VERSION
//   the new ISR: distinct replicas, including the leader  else INVALID_REQUEST
//   leader recovery state 0 or 1, RECOVERING only with an ISR of one, never RECOVERED→RECOVERING
//                                                         else INVALID_REQUEST
//   every new ISR member registered, unfenced, not in controlled shutdown and (v3, KIP-903) with
//   the broker epoch the request names, unless that is -1 (KIP-841)
//                                                         else INELIGIBLE_REPLICA (v2+) /
//                                                              OPERATION_NOT_ATTEMPTED (v0-1)
// A request that changes neither ISR nor recovery state commits nothing; it is answered with the
// current state. Beyond Kafka: a partition named twice in one request is INVALID_REQUEST after its
// first occurrence (each would be checked against the state before the other), and a change the
// image would refuse (an epoch at its int32 maximum, which only a hostile log can put there) is
// UNKNOWN_SERVER_ERROR.
//
// A valid change carries only the ISR (and the recovery state when it changes), so applying it
// bumps the partition epoch and keeps the leader epoch, except when the new ISR holds every
// replica a reassignment is adding: then the same change completes the reassignment
// (reassignment.h), and moves leadership if the leader was being removed. It keeps the image's
// invariants: the leader is in the ISR, the ISR is a non-empty set of replicas.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "services/controller/api_error.h"
#include "services/controller/metadata_image.h"

namespace eddy::controller {

// Who sends an AlterPartition request, in which version (it picks how topics are named and which
// error an ineligible replica gets).
struct IsrChangeSender {
    int32_t broker = -1;
    int64_t broker_epoch = -1;
    int16_t version = 3;
};

// One member of a proposed ISR. broker_epoch is -1 when not checked (before v3, or a v3 sender
// that does not know it).
struct IsrMember {
    int32_t broker = -1;
    int64_t broker_epoch = -1;
};

// One partition of an AlterPartition request.
struct IsrChange {
    std::string topic_name;  // versions 0-1
    Uuid topic_id;           // versions 2+
    int32_t partition = -1;
    int32_t leader_epoch = -1;
    int32_t partition_epoch = -1;
    std::vector<IsrMember> new_isr;
    int8_t leader_recovery_state = leader_recovered;
};

// STALE_BROKER_EPOCH unless `sender` is registered with its broker epoch (Kafka's
// checkBrokerEpoch: an unknown broker id is a stale epoch too).
ApiError check_isr_change_sender(const MetadataImage& image, const IsrChangeSender& sender);

// The topic `change` names: by name before v2, by id from v2 (the zero id names none); nullptr
// when there is none.
const TopicState* isr_change_topic(const MetadataImage& image, const IsrChangeSender& sender,
                                   const IsrChange& change);

// One partition's change checked against `image`: the record to commit, nullopt when the request
// changes nothing (answer the current state), or the error for this partition.
Result<std::optional<protocol::records::PartitionChangeRecord>, ApiError> decide_isr_change(
    const MetadataImage& image, const IsrChangeSender& sender, const IsrChange& change);

// A whole request decided: a top-level error (STALE_BROKER_EPOCH, and nothing else is decided),
// or one outcome per change, in request order, and the records to commit together.
struct AlterPartitionDecision {
    ApiError error;
    std::vector<ApiError> outcomes;
    std::vector<protocol::records::PartitionChangeRecord> records;
};
AlterPartitionDecision decide_alter_partition(const MetadataImage& image,
                                              const IsrChangeSender& sender,
                                              const std::vector<IsrChange>& changes);

}  // namespace eddy::controller
