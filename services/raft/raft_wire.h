// The controller quorum's wire format: conversions between QuorumReplica's messages (quorum.h)
// and Kafka's own Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot and DescribeQuorum
// requests and responses (core/protocol/generated/), for the topic `__cluster_metadata`
// partition 0, as KRaft sends them (KIP-595, pre-vote KIP-996, snapshots KIP-630). Pure
// functions: no I/O, no clock, nothing suspends.
//
// Node ids: a request names its sender (Vote's CandidateId, BeginQuorumEpoch's and
// EndQuorumEpoch's LeaderId, Fetch's and FetchSnapshot's ReplicaId) and its receiver is the local
// node (a request naming the local node as its sender is refused: no node sends itself one, so
// it is forged); a response comes from the peer the request went to. So requests decode with
// `self`, and
// responses with the peer, `self` and the request they answer (Kafka's responses do not repeat
// the fetch offset, nor whether a vote was a pre-vote).
//
// Entries travel in a Fetch response as record batches, one entry per batch exactly as RaftLog
// stores them (entry_batch.h), the first at the fetch offset.
//
// Decoding is of untrusted peer input: every count is bounded, batches' CRCs are checked, ids,
// epochs (at most limits::epoch_max, quorum.h), offsets and sizes must be in range, and anything
// else is a WireError, never an ASSERT.
// Kafka outcomes a response carries (a fenced epoch, a snapshot not found) are data.
//
// Versions: Vote 0-2 (a pre-vote needs v2: Vote v2 was taken from Kafka 4.0 ahead of the spec
// snapshot, tools/kafka-protocol-overlay/), BeginQuorumEpoch 0-1, EndQuorumEpoch 0-1, Fetch
// 12-17 (12 is the first with the Raft fields; 13+ names the topic by Kafka's metadata topic id),
// FetchSnapshot 0-1, DescribeQuorum 0-2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/base/result.h"
#include "core/base/time.h"
#include "core/protocol/generated/begin_quorum_epoch.h"
#include "core/protocol/generated/describe_quorum.h"
#include "core/protocol/generated/end_quorum_epoch.h"
#include "core/protocol/generated/fetch.h"
#include "core/protocol/generated/fetch_snapshot.h"
#include "core/protocol/generated/vote.h"
#include "services/raft/quorum.h"

namespace eddy::raft {

namespace wire {
inline constexpr std::string_view metadata_topic = "__cluster_metadata";
inline constexpr int32_t metadata_partition = 0;
// Kafka's Uuid.METADATA_TOPIC_ID (0, 1): the topic's id in Fetch v13+.
protocol::Uuid metadata_topic_id();

// The versions this file converts (see the file comment).
struct Versions {
    int16_t min;
    int16_t max;
};
inline constexpr Versions vote_versions{0, 2};
inline constexpr int16_t vote_pre_vote_version_min = 2;
inline constexpr Versions begin_quorum_epoch_versions{0, 1};
inline constexpr Versions end_quorum_epoch_versions{0, 1};
inline constexpr Versions fetch_versions{12, 17};
inline constexpr Versions fetch_snapshot_versions{0, 1};
inline constexpr Versions describe_quorum_versions{0, 2};
}  // namespace wire

namespace limits {
// Entries in one Fetch response (QuorumConfig::fetch_entries_max is 64 by default).
inline constexpr size_t wire_fetch_entries_max = 4096;
// EndQuorumEpoch's preferred successors: the other voters.
inline constexpr size_t wire_successors_max = 256;
}  // namespace limits

enum class WireError : uint8_t {
    unsupported_version,  // a version outside the ranges above
    wrong_partition,      // not exactly one partition, __cluster_metadata-0
    invalid_field,        // an id, epoch, offset, size or position out of range
    invalid_records,      // a Fetch response's batches: framing, CRC, not one entry per batch, not
                          // consecutive from the fetch offset, too many
    too_many,             // a list longer than its limit
    error_response,       // the response carries only a top-level or unknown error code
};
const char* to_string(WireError e);

// ---- requests: the sender builds them, the receiver decodes them -------------------------------

using KafkaRequest = std::variant<protocol::VoteRequest, protocol::BeginQuorumEpochRequest,
                                  protocol::EndQuorumEpochRequest, protocol::FetchRequest,
                                  protocol::FetchSnapshotRequest>;

// True for the bodies that travel as requests (the others are their responses).
bool is_request(const Body& body);

// The Kafka request carrying `m`, whose body is a request (ASSERTed), from m.from to m.to. Every
// version's fields are filled; the encoder writes those of the version it speaks.
KafkaRequest request_to_kafka(const Message& m, const std::string& cluster_id);

// The message a request carries, addressed to `self`. The cluster id is not checked here
// (serve_quorum_request answers a mismatch).
Result<Message, WireError> request_from_kafka(const protocol::VoteRequest& r, int16_t version,
                                              NodeId self);
Result<Message, WireError> request_from_kafka(const protocol::BeginQuorumEpochRequest& r,
                                              int16_t version, NodeId self);
Result<Message, WireError> request_from_kafka(const protocol::EndQuorumEpochRequest& r,
                                              int16_t version, NodeId self);
Result<Message, WireError> request_from_kafka(const protocol::FetchRequest& r, int16_t version,
                                              NodeId self);
Result<Message, WireError> request_from_kafka(const protocol::FetchSnapshotRequest& r,
                                              int16_t version, NodeId self);

// DescribeQuorum asks about __cluster_metadata-0 and nothing else.
Result<void, WireError> check_request(const protocol::DescribeQuorumRequest& r, int16_t version);

// ---- responses: the receiver of the request builds them, its sender decodes them ---------------

protocol::VoteResponse response_to_kafka(const VoteResponse& b);
protocol::FetchResponse response_to_kafka(const FetchResponse& b);
// `sender`: the node answering (a snapshot it does not have, as leader, is SNAPSHOT_NOT_FOUND;
// otherwise NOT_LEADER_OR_FOLLOWER).
protocol::FetchSnapshotResponse response_to_kafka(const FetchSnapshotResponse& b, NodeId sender);
// BeginQuorumEpoch and EndQuorumEpoch answers carry only an error and the leader the answering
// node knows; the replica has no use for them (nothing is delivered for them).
protocol::BeginQuorumEpochResponse begin_quorum_epoch_response(int16_t error_code, int32_t epoch,
                                                               NodeId leader);
protocol::EndQuorumEpochResponse end_quorum_epoch_response(int16_t error_code, int32_t epoch,
                                                           NodeId leader);
// DescribeQuorum from the replica's status (v1 timestamps: the leader's wall clock in ms, the
// status' instants taken back from `now` to `wall_now`). A node that does not lead answers
// NOT_LEADER_OR_FOLLOWER with the leader it knows.
protocol::DescribeQuorumResponse describe_quorum_response(const QuorumStatus& s, NodeId self,
                                                          Instant now, WallTime wall_now);

// The message a response carries, from `peer` to `self`, given the request it answers.
Result<Message, WireError> response_from_kafka(const protocol::VoteResponse& r, int16_t version,
                                               const VoteRequest& request, NodeId peer,
                                               NodeId self);
Result<Message, WireError> response_from_kafka(const protocol::FetchResponse& r, int16_t version,
                                               const FetchRequest& request, NodeId peer,
                                               NodeId self);
Result<Message, WireError> response_from_kafka(const protocol::FetchSnapshotResponse& r,
                                               int16_t version, const FetchSnapshotRequest& request,
                                               NodeId peer, NodeId self);

// Kafka's Fetch error codes for FetchError, and back (nullopt: a code the replica does not know).
int16_t fetch_error_code(FetchError e);
std::optional<FetchError> fetch_error_from_code(int16_t code);

}  // namespace eddy::raft
