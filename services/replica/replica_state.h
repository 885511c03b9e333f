// ReplicaState: one partition's replication state on one broker, the single place where the
// high-watermark and ISR rules live (Kafka's Partition + its follower states). Plain state: no I/O,
// no fibers; ReplicaManager feeds it the controller's decisions, the follower fetches and the
// leader's own progress, and carries out what it concludes (wake acks=all produces, send an
// AlterPartition).
//
// The rules (KIP-101/279 for epochs, KIP-497 for ISR changes, KIP-841 for who may join):
// - The leader's high watermark is the smallest end among the ISR members: the leader's own
//   acknowledgeable end (its durable offset with the default flush.messages=1, its log end in
//   page-cache mode) and each follower's last fetch offset. While an AlterPartition is in flight
//   the ISR used is the larger of the two ("maximal ISR"), so a shrink not yet committed never
//   lets the high watermark pass a member the controller still counts.
// - A follower's fetch offset says it has (and, in durable mode, has synced) everything below it:
//   followers append with a sync before they fetch again.
// - While leading, the high watermark never goes back.
// - A change in flight is dropped only when its outcome is known (Kafka's Partition): applied
//   (the answer for this leadership, or an image past the partition epoch it was based on), or
//   definitely not applied (INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED). Any other outcome —
//   no answer, an answer for a later leadership, a refusal saying this view is stale — may hide
//   a committed change (an ISR member the controller may now elect), so the change stays in
//   flight, its members counted, until the image says what happened; after no answer it is sent
//   again.
// - A follower leaves the ISR when it has not caught up with the leader's log end for
//   replica.lag.time.max.ms; one joins when its log end reaches the high watermark and the start
//   of the leader's epoch and the controller says it may (unfenced, not shutting down).
//
// Invariants (ASSERTed): the leader is in the ISR it leads with; ISR ⊆ replicas; leader epochs
// and partition epochs applied never go back; the high watermark never passes the leader's end.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "core/base/ids.h"
#include "core/base/result.h"
#include "core/base/time.h"

namespace eddy::replica {

// What the controller decided for the partition (the metadata image's PartitionState).
struct Assignment {
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    int32_t partition_epoch = 0;

    bool operator==(const Assignment&) const = default;
};

// The leader's view of one follower.
struct FollowerProgress {
    std::optional<Offset> log_end;  // unknown until its first fetch in this leader epoch
    Instant last_fetch;
    Offset leader_end_at_last_fetch{0};
    // The last time its log end had reached the leader's (the leader's end when it fetched, or
    // when it fetched before that): what replica.lag.time.max.ms is measured from.
    Instant last_caught_up;
};

enum class Role : uint8_t { none, leader, follower };

class ReplicaState {
public:
    explicit ReplicaState(int32_t self) : self_(self) {}

    // The controller's current decision. A new leader epoch resets the follower states (a new
    // leader knows nothing of its followers' logs yet); the ISR members start "caught up now" so
    // that none leaves before it had replica.lag.time.max.ms to fetch. `local_end` is this
    // replica's log end, `local_hw` the high watermark it had (a follower's, on promotion).
    // Returns true when this replica just became leader (or leads in a new epoch).
    bool apply(const Assignment& a, Offset local_end, Offset local_hw, Instant now);

    Role role() const { return role_; }
    bool is_leader() const { return role_ == Role::leader; }
    const Assignment& assignment() const { return assignment_; }
    int32_t leader_epoch() const { return assignment_.leader_epoch; }
    // The offset this replica's leadership began at (its log end when it became leader).
    Offset leader_epoch_start() const { return epoch_start_; }

    // Leader: `follower` fetched from `fetch_offset` while the leader's log ended at `leader_end`.
    // False when it is not one of the replicas (the caller answers an error).
    bool follower_fetched(int32_t follower, Offset fetch_offset, Offset leader_end, Instant now);
    // Leader: its own acknowledgeable end moved (durable offset, or log end in page-cache mode).
    void set_local_end(Offset end);
    // Leader: recomputes the high watermark from the ISR; true when it advanced.
    bool advance_high_watermark();
    Offset high_watermark() const { return high_watermark_; }
    // Follower: the leader's high watermark, bounded by what this replica has.
    void set_follower_high_watermark(Offset leader_hw, Offset local_end);

    // Leader: the ISR the controller should be asked for now: a change in flight whose request
    // got no answer (sent again), else the ISR wanted if it differs from the current one and no
    // change is in flight. `may_join(broker)` is the controller's KIP-841 rule.
    std::optional<std::vector<int32_t>> wanted_isr(Instant now, Duration lag_max,
                                                   const std::function<bool(int32_t)>& may_join)
        const;
    // An AlterPartition asking for `isr` was sent / answered: the committed state, or a Kafka
    // error code (the request's or the partition's; a lost request is an error too). The
    // committed state is applied when it belongs to this leadership; see the file comment for
    // when the change stays in flight.
    void isr_change_sent(std::vector<int32_t> isr);
    void isr_change_done(const Result<Assignment, int16_t>& answer);
    bool isr_change_in_flight() const { return pending_isr_.has_value(); }
    // The ISR the high watermark is computed over: the committed one, plus the members a change
    // in flight adds.
    std::vector<int32_t> maximal_isr() const;
    const std::map<int32_t, FollowerProgress>& followers() const { return followers_; }

private:
    void check() const;

    int32_t self_;
    Role role_ = Role::none;
    Assignment assignment_;
    bool applied_ = false;
    Offset epoch_start_{0};
    Offset local_end_{0};
    Offset high_watermark_{0};
    std::map<int32_t, FollowerProgress> followers_;
    std::optional<std::vector<int32_t>> pending_isr_;
    int32_t pending_base_epoch_ = 0;  // the partition epoch the change in flight was based on
    bool pending_resend_ = false;     // its request got no answer: send it again
};

// True when `v` holds `x`.
bool contains(const std::vector<int32_t>& v, int32_t x);

}  // namespace eddy::replica
