// The classic-protocol group and member state the coordinator keeps per group, plus its
// configuration and the inputs/outputs types of the state machine (GroupCoordinator).
//
// Invariants (asserted by GroupCoordinator::check_invariants):
//   * Empty ⇒ no members, no leader, no selected protocol; no members ⇒ Empty or (while
//     MEMBER_ID_REQUIRED joiners hold the join phase open) PreparingRebalance.
//   * CompletingRebalance/Stable have a leader that is a member and a selected protocol that
//     every member supports.
//   * static_members maps each group.instance.id to the member that holds it, and back.
//   * only PreparingRebalance has a join deadline; only CompletingRebalance a sync deadline.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/time.h"
#include "core/protocol/generated/join_group.h"
#include "core/protocol/generated/sync_group.h"
#include "services/group/group_records.h"

namespace eddy::group {

// Broker settings that shape the coordinator (Kafka's names and defaults).
// Planted bugs: each makes the coordinator break one invariant, so that scenarios can prove
// their checkers notice (sim_planted_bugs). All off in production.
struct GroupKnobs {
    // OffsetCommit skips the member and generation checks: a fenced (zombie) member's commit is
    // accepted and can move a committed offset back.
    bool accept_fenced_commits = false;
};

struct GroupConfig {
    Duration session_timeout_min = Duration::seconds(6);      // group.min.session.timeout.ms
    Duration session_timeout_max = Duration::minutes(30);     // group.max.session.timeout.ms
    Duration initial_rebalance_delay = Duration::seconds(3);  // group.initial.rebalance.delay.ms
    int32_t group_max_size = std::numeric_limits<int32_t>::max();  // group.max.size
    Duration offsets_retention = Duration::minutes(10080);         // offsets.retention.minutes
    Duration offsets_retention_check_interval = Duration::minutes(10);
    size_t offset_metadata_max_bytes = 4096;  // offset.metadata.max.bytes
    // Member ids are client_id + "-" + 16 hex digits drawn from this seed and a counter, where
    // Kafka uses a random UUID. The wiring passes a fresh random seed at each load so ids never
    // repeat across coordinator incarnations; collisions with live ids are skipped anyway.
    uint64_t member_id_seed = 0;
    GroupKnobs knobs;
};

// Time enters every call: the monotonic clock for session/rebalance timers, the wall clock for
// what Kafka stores in records (commit timestamps, state timestamps) and for offsets retention.
struct Now {
    Instant mono;
    WallTime wall;
};

// Millisecond values from records and requests are untrusted: clamped to ±4e12 ms (beyond the
// year 2096) before they become WallTime/Duration, so no conversion or sum can overflow.
inline constexpr int64_t untrusted_millis_max = 4'000'000'000'000;
inline int64_t clamp_millis(int64_t ms) {
    return ms < -untrusted_millis_max  ? -untrusted_millis_max
           : ms > untrusted_millis_max ? untrusted_millis_max
                                       : ms;
}
inline WallTime wall_from_millis(int64_t ms) { return WallTime::from_millis(clamp_millis(ms)); }
inline Duration duration_from_millis(int64_t ms) { return Duration::millis(clamp_millis(ms)); }

enum class GroupState : uint8_t { empty, preparing_rebalance, completing_rebalance, stable, dead };

// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
const char* state_name(GroupState s);

// The wiring's handle for a request whose response comes later (JoinGroup, SyncGroup).
using Token = uint64_t;

struct ClientInfo {
    std::string client_id;
    std::string client_host;
};

struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    Duration session_timeout;
    Duration rebalance_timeout;
    // (name, metadata) in the member's order of preference; metadata is opaque except for the
    // consumer protocol's subscribed topics (core/protocol/consumer_protocol.h).
    std::vector<std::pair<std::string, Bytes>> protocols;
    Bytes assignment;
    Instant session_deadline;
    // A JoinGroup/SyncGroup waiting for its response, with the request version.
    std::optional<std::pair<Token, int16_t>> pending_join;
    std::optional<std::pair<Token, int16_t>> pending_sync;

    const Bytes* metadata_for(const std::string& protocol) const;
};

struct CommittedOffset {
    int64_t offset = -1;
    int32_t leader_epoch = -1;
    std::string metadata;
    WallTime commit_timestamp;
    std::optional<WallTime> expire_timestamp;  // only from OffsetCommit v2-4 retention_time_ms
    bool operator==(const CommittedOffset&) const = default;
};

using TopicPartitionKey = std::pair<std::string, int32_t>;

struct Group {
    std::string group_id;
    GroupState state = GroupState::empty;
    int32_t generation = 0;
    std::optional<std::string> protocol_type;  // none for a group only used to store offsets
    std::optional<std::string> protocol_name;  // the selected protocol
    std::optional<std::string> leader_id;
    std::optional<WallTime> state_timestamp;  // none: loaded from a record older than v2
    std::map<std::string, Member> members;
    std::map<std::string, std::string> static_members;  // group.instance.id → member id
    std::map<std::string, Instant> pending_members;     // MEMBER_ID_REQUIRED ids → expiry
    std::map<TopicPartitionKey, CommittedOffset> offsets;
    // Offsets staged by a transaction not yet committed (OffsetFetch RequireStable).
    std::map<TopicPartitionKey, int32_t> pending_transactional_offsets;  // → count of producers

    // Timers: the join phase (PreparingRebalance) and the sync phase (CompletingRebalance).
    std::optional<Instant> join_deadline;
    std::optional<Instant> sync_deadline;
    // group.initial.rebalance.delay.ms: while set, the join phase of a group that was Empty is
    // extended while members keep arriving, up to the rebalance timeout (Kafka's
    // InitialDelayedJoin).
    std::optional<Duration> initial_delay_remaining;
    bool new_member_added = false;

    Duration rebalance_timeout() const;  // the largest of the members'
};

// A deferred JoinGroup/SyncGroup response, ready to send.
struct Reply {
    Token token = 0;
    int16_t version = 0;
    std::variant<protocol::JoinGroupResponse, protocol::SyncGroupResponse> response;
};

// What a call asks of its caller: records to append to the coordinator partition (in order, all
// before any reply of the same call is sent) and deferred responses now ready.
struct Effects {
    std::vector<GroupRecord> records;
    std::vector<Reply> replies;
};

}  // namespace eddy::group
