// QuorumReplica: one replica of a KRaft-style Raft quorum (KIP-595, pre-vote KIP-996, snapshots
// KIP-630), as a plain state machine — messages and the time in, messages out — with no fibers,
// no I/O and no clock, in the style of the group coordinator (services/group). A driver owns the
// network and the disk.
//
// The driver's contract, after every call (`receive`, `tick`, `propose`, `resign`,
// `snapshot_taken`):
//   1. `take_persist()` and make that delta durable (write, fsync) — a vote, a new epoch, the log
//      changes, an installed snapshot. Only then
//   2. send the messages the call appended to `out` (a vote granted or an entry acknowledged by a
//      fetch must survive a crash once its sender has told anyone), and
//   3. `take_committed()` and apply those entries (a snapshot installed in step 1 first replaces
//      the application's state).
// On restart it builds the replica from what it persisted (`DurableState`). `durable()` is the
// same state in memory; `apply(delta, state)` below is the reference for applying a delta.
//
// KRaft's protocol, reduced to its core:
// - Epochs (Raft terms). A message from a higher epoch moves this replica to that epoch; one from
//   a lower epoch is answered with ours, so its sender catches up. Responses name the leader they
//   know, which is how a replica that missed BeginQuorumEpoch, and every observer, finds it.
// - Pre-vote (KIP-996): a voter that lost its leader (fetch timeout) or has none (election
//   timeout) first asks Vote(pre_vote, epoch + 1) without changing its epoch or vote. A voter
//   answers a pre-vote without persisting anything and refuses it when it has heard from a leader
//   within fetch_timeout or when the log check fails. Only a majority of pre-votes makes a real
//   candidate, so a replica cut off from the quorum does not bump epochs and depose a healthy
//   leader when it comes back.
// - Election: a candidate bumps the epoch, votes for itself and sends Vote(epoch, last epoch, end
//   offset). A voter grants one vote per epoch, and only to a candidate whose log is at least as
//   up to date as its own (last epoch, then end offset). A majority makes a leader, which
//   appends a leader-change entry in its epoch and announces itself (BeginQuorumEpoch, resent to
//   voters that have not fetched yet).
// - Replication is pulled: followers and observers Fetch(offset, last fetched epoch). If the
//   follower's log diverges from the leader's, the leader answers with the diverging epoch and
//   where it ends, and the follower truncates there (never below its high watermark) and fetches
//   again. A fetch below the leader's log start, or diverging below it, is answered with the
//   leader's snapshot id; the follower downloads it with FetchSnapshot, in chunks the leader reads
//   from a `SnapshotSource`, and installs it.
// - The high watermark is the largest offset a majority of voters has fetched past, counted only
//   once an entry of the leader's own epoch is there (Raft's commit rule); observers do not count.
//   Followers learn it from fetch responses. It never moves back on a leader.
// - Timers: see pre-vote; a candidate that does not win within its randomized election timeout
//   goes back to pre-vote; a leader that has not heard fetches from a majority for fetch_timeout
//   resigns (check quorum). An observer that loses its leader asks the voters in turn.
// - Graceful shutdown: `resign` sends EndQuorumEpoch with the other voters ordered by how far
//   they fetched; each starts its pre-vote after a backoff scaled by its place in that list.
// - Snapshots: the log may start after a snapshot (`DurableState::snapshot`). The application
//   reports snapshots of its applied state (`snapshot_taken`) and the log start moves up to them.
//
// Invariants (asserted, always on): the epoch never decreases; at most one vote per epoch; log
// start <= high watermark <= end offset; a leader's high watermark never moves back; nothing at
// or below the high watermark is ever truncated; the log's epochs never exceed the current one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/ids.h"
#include "core/base/random.h"
#include "core/base/time.h"

namespace eddy::raft {

namespace limits {
// The largest epoch a message may carry (raft_wire.h refuses larger ones). A replica moves at
// most one epoch past the largest it has seen per election, so this leaves about 2^31 - 2^30
// elections before int32 runs out; an epoch of 2^31-1 taken from a message would overflow at
// the next election.
inline constexpr int32_t epoch_max = int32_t{1} << 30;
}  // namespace limits

struct Entry {
    int32_t epoch = 0;
    Bytes data;  // empty: the leader-change entry a new leader appends
    bool operator==(const Entry&) const = default;
};

// A snapshot holds the state after applying every entry below `end_offset`; `epoch` is the epoch
// of the last of them (KIP-630's SnapshotId). {0, 0}: no snapshot, the log starts at 0.
struct SnapshotId {
    int64_t end_offset = 0;
    int32_t epoch = 0;
    auto operator<=>(const SnapshotId&) const = default;
};

struct VoteRequest {
    int32_t epoch = 0;  // a pre-vote asks for the epoch the sender would move to (its own + 1)
    int32_t last_epoch = 0;
    int64_t end_offset = 0;
    bool pre_vote = false;
};
struct VoteResponse {
    int32_t epoch = 0;  // the voter's epoch
    bool granted = false;
    bool pre_vote = false;
    NodeId leader{-1};  // the leader of `epoch` the voter knows, or -1
};
struct BeginQuorumEpoch {
    int32_t epoch = 0;
};
struct EndQuorumEpoch {
    int32_t epoch = 0;
    std::vector<NodeId> preferred_successors;  // the other voters, furthest fetched first
};
struct FetchRequest {
    int32_t epoch = 0;
    int64_t fetch_offset = 0;
    int32_t last_fetched_epoch = 0;
};
struct DivergingEpoch {
    int32_t epoch = 0;
    int64_t end_offset = 0;
};
// Kafka's fetch errors that matter here: anything but `none` means the leader checked nothing
// against the fetcher's log, so only the epoch and the leader in the response are news.
enum class FetchError : uint8_t {
    none,
    fenced_leader_epoch,   // the request's epoch is older than ours
    unknown_leader_epoch,  // newer than ours (we have just moved to it)
    not_leader,            // we do not lead this epoch
};

struct FetchResponse {
    FetchError error = FetchError::none;
    int32_t epoch = 0;
    NodeId leader{-1};  // the leader of `epoch` the sender knows; -1: none
    int64_t high_watermark = 0;
    int64_t log_start_offset = 0;
    int64_t base_offset = 0;
    std::vector<Entry> entries;
    std::optional<DivergingEpoch> diverging;
    std::optional<SnapshotId> snapshot_id;  // fetch this snapshot first (FetchSnapshot)
};
struct FetchSnapshotRequest {
    int32_t epoch = 0;
    SnapshotId snapshot_id;
    int64_t position = 0;
};
struct FetchSnapshotResponse {
    int32_t epoch = 0;
    NodeId leader{-1};
    SnapshotId snapshot_id;
    bool found = false;  // false: not the leader of `epoch`, or it no longer has that snapshot
    int64_t size = 0;
    int64_t position = 0;
    Bytes bytes;
};

using Body = std::variant<VoteRequest, VoteResponse, BeginQuorumEpoch, EndQuorumEpoch, FetchRequest,
                          FetchResponse, FetchSnapshotRequest, FetchSnapshotResponse>;

struct Message {
    NodeId from{-1};
    NodeId to{-1};
    Body body;
};

struct HardState {
    int32_t epoch = 0;
    std::optional<NodeId> voted_for;
    std::optional<int32_t> recovering_epoch;  // see DurableState
    std::optional<int64_t> recovering_end;
    bool operator==(const HardState&) const = default;
};

// What a replica restarts from: the hard state, the snapshot the log starts after and the
// entries since (the first at offset snapshot.end_offset).
//
// Recovery (protocol-aware): Raft's safety rests on voters keeping what they acknowledged. A
// voter that forgot an entry it helped commit, and compared candidates with what is left, could
// elect one that lacks it. The driver sets `recovering_epoch` when this voter's log lost entries
// it may have acknowledged (damage found at open, or synced entries missing; raft_log.h): to its
// epoch then, which is at least the epoch of every entry it acknowledged (quorum-state is
// written before a fetch acknowledging a newer epoch's entries is sent) and of every vote it
// cast; and `recovering_end` to the end its log had synced (nullopt: unknown, say the synced-end
// file was damaged too). Together they stand for the log it lost — at least as up to date as
// that log was. While set:
// - a vote or pre-vote is granted only to a candidate whose log is at least as up to date as
//   that (last epoch > recovering_epoch, or equal and end offset >= recovering_end) as well as
//   ours: exactly what Raft asks, against a log no less complete than the lost one;
// - it never stands (its own log may lack committed entries; its own vote would count them);
//   it finds the leader as an observer does and fetches;
// - it is cleared (persisted after the entries) once its own log reaches that point, or once it
//   has fetched everything the leader of its epoch has: that leader holds every entry committed
//   before its election, and every entry of its epoch this voter acknowledged came from it.
struct DurableState {
    int32_t epoch = 0;
    std::optional<NodeId> voted_for;
    std::optional<int32_t> recovering_epoch;
    std::optional<int64_t> recovering_end;
    SnapshotId snapshot;
    std::vector<Entry> log;
    bool operator==(const DurableState&) const = default;
};

struct InstalledSnapshot {
    SnapshotId id;
    Bytes image;  // the application state, as the leader's SnapshotSource served it
};

// What must be made durable before the messages of the calls since the last `take_persist` are
// sent. Apply it in this order (see `apply`): write the installed snapshot; move the log start
// (delete the entries below it; a log ending before it is empty from there); truncate; append;
// write the hard state; fsync.
struct PersistDelta {
    std::optional<HardState> hard_state;
    std::optional<InstalledSnapshot> snapshot_installed;  // implies log_start == its id
    std::optional<SnapshotId> log_start;                  // the log now starts after this snapshot
    std::optional<int64_t> truncate_to;                   // drop the entries from this offset
    int64_t append_from = 0;                              // the offset of appended[0]
    std::vector<Entry> appended;

    bool empty() const {
        return !hard_state && !snapshot_installed && !log_start && !truncate_to && appended.empty();
    }
};

// Applies `delta` to `state` as a driver applies it to disk (the reference for drivers and tests).
void apply(const PersistDelta& delta, DurableState& state);

// Entries newly below the high watermark, for the application, in offset order.
struct CommittedEntries {
    int64_t base_offset = 0;
    std::vector<Entry> entries;
};

// The snapshots the application wrote, for a leader serving FetchSnapshot. Its methods must not
// suspend or fail: the driver keeps what it serves at hand (in memory, or read ahead).
class SnapshotSource {
public:
    virtual ~SnapshotSource() = default;
    // The size in bytes of snapshot `id`, or nullopt if there is no such snapshot.
    virtual std::optional<int64_t> size(SnapshotId id) const = 0;
    // Bytes [position, position + length) of snapshot `id`; the caller stays within size(id).
    virtual Bytes read(SnapshotId id, int64_t position, int64_t length) const = 0;
};

// DescribeQuorum (v1): the leader's view of every replica.
struct ReplicaStatus {
    NodeId id{-1};
    int64_t log_end_offset = -1;  // its last fetch offset; -1: none in this epoch
    std::optional<Instant> last_fetch;
    std::optional<Instant>
        last_caught_up;  // fetched up to the end the leader had at its previous fetch
};
struct QuorumStatus {
    int32_t epoch = 0;
    std::optional<NodeId> leader;
    int64_t high_watermark = 0;
    std::vector<ReplicaStatus> voters;     // empty unless this replica leads
    std::vector<ReplicaStatus> observers;  // likewise
};

struct QuorumConfig {
    std::vector<NodeId> voters;  // every voter; a replica not listed is an observer
    Duration election_timeout = Duration::millis(1000);  // quorum.election.timeout.ms (+ jitter)
    Duration fetch_timeout = Duration::millis(2000);     // quorum.fetch.timeout.ms
    Duration fetch_interval = Duration::millis(50);      // a follower's pause after an empty fetch
    Duration request_timeout = Duration::millis(500);    // a fetch or vote without an answer
    // After EndQuorumEpoch, the successor at place p of the preferred list waits p times this.
    Duration election_backoff = Duration::millis(100);
    Duration observer_expiry = Duration::minutes(5);  // a leader forgets a silent observer
    size_t fetch_entries_max = 64;
    int64_t snapshot_chunk_bytes = 64 * 1024;       // FetchSnapshot answer size
    int64_t snapshot_bytes_max = int64_t{1} << 30;  // a larger snapshot is refused
};

// Planted bugs (scenarios prove their checkers catch them). Never set in production.
struct QuorumKnobs {
    // Votes are granted without comparing logs: a replica missing committed entries can win.
    bool vote_ignores_log = false;
    // A leader keeps leading when it has not heard from a majority (no check quorum).
    bool check_quorum_disabled = false;
    // A voter recovering from a damaged log compares candidates with what is left of its log
    // (DurableState::recovering_epoch ignored), as if it had lost nothing.
    bool recovering_votes = false;
};

// prospective: asking for pre-votes; resigned: a leader after `resign`, still serving fetches.
enum class Role : uint8_t { unattached, voted, prospective, candidate, leader, resigned, follower };
const char* to_string(Role r);

class QuorumReplica {
public:
    // `snapshots` (may be null when snapshots are never taken) must outlive the replica.
    QuorumReplica(NodeId self, QuorumConfig config, DurableState durable, Random random,
                  Instant now, const SnapshotSource* snapshots = nullptr, QuorumKnobs knobs = {});

    // Messages to send are appended to `out` (send them after `take_persist`).
    void receive(const Message& m, Instant now, std::vector<Message>& out);
    void tick(Instant now, std::vector<Message>& out);
    // Leader only: appends `data` in the current epoch; its offset, or nullopt if not leader.
    std::optional<int64_t> propose(Bytes data, Instant now, std::vector<Message>& out);
    // Leader only (false otherwise): stop leading for a graceful shutdown; EndQuorumEpoch goes to
    // the other voters. The replica keeps answering fetches in this epoch as `resigned`.
    bool resign(Instant now, std::vector<Message>& out);
    // The application has durably written a snapshot of its state after applying every entry
    // below `end_offset` (which it has been handed by take_committed). The log start moves there.
    void snapshot_taken(int64_t end_offset);

    // What to make durable before sending what the calls since the last take produced.
    PersistDelta take_persist();
    // Entries that became committed since the last take, from where the application is.
    CommittedEntries take_committed();
    QuorumStatus describe(Instant now) const;

    const DurableState& durable() const { return state_; }
    Role role() const { return role_; }
    // DurableState::recovering_epoch is set: votes only for candidates past the lost log, no
    // candidacy, until caught up.
    bool recovering() const { return state_.recovering_epoch.has_value(); }
    bool is_voter() const { return is_voter_; }
    int32_t epoch() const { return state_.epoch; }
    std::optional<NodeId> leader() const { return leader_; }
    int64_t high_watermark() const { return high_watermark_; }
    int64_t log_start_offset() const { return state_.snapshot.end_offset; }
    int64_t end_offset() const {
        return log_start_offset() + static_cast<int64_t>(state_.log.size());
    }
    // The entry at `offset`, which must be in [log_start_offset, end_offset).
    const Entry& entry(int64_t offset) const;
    NodeId id() const { return self_; }
    // Fetch responses refused because no correct leader sends them (a diverging point below our
    // high watermark or inside our snapshot, entries whose epochs cannot follow our log). Always
    // 0 among correct replicas: the scenarios check it.
    uint64_t refused_responses() const { return refused_responses_; }

private:
    // A replica this leader has heard fetch (voters other than itself, and observers).
    struct Progress {
        std::optional<int64_t> end_offset;
        std::optional<Instant> last_fetch;
        std::optional<Instant> previous_fetch;
        std::optional<Instant> last_caught_up;
        int64_t leader_end_at_last_fetch = 0;
        Instant begin_sent_at;  // the last BeginQuorumEpoch we sent it
    };
    struct Download {
        SnapshotId id;
        int64_t size = -1;  // unknown until the first chunk
        Bytes image;
    };

    int32_t last_epoch() const {
        return state_.log.empty() ? state_.snapshot.epoch : state_.log.back().epoch;
    }
    size_t majority() const { return config_.voters.size() / 2 + 1; }
    bool voter(NodeId id) const;
    bool leading() const { return role_ == Role::leader || role_ == Role::resigned; }
    bool log_up_to_date(int32_t last_epoch, int64_t end_offset) const;
    // The end offset of `epoch` in our log (the start of the next higher epoch) and the largest
    // epoch <= `epoch` present, for divergence answers; nullopt if that lies below our log start.
    std::optional<DivergingEpoch> end_of_epoch(int32_t epoch) const;
    void set_epoch(int32_t epoch);
    void vote_for(NodeId candidate);
    void append(Entry e);
    void truncate(int64_t to);
    void install(Download d);
    // Clears the recovery once our log is as up to date as the lost one, or (`at_leader_end`)
    // the leader we follow has nothing more for us (see DurableState).
    void end_recovery_if_caught_up(bool at_leader_end);
    // A log ending at (last_epoch, end_offset) is at least as up to date as the one this voter
    // lost (true when not recovering).
    bool past_lost_log(int32_t last_epoch, int64_t end_offset) const;
    // A voter that may stand: not recovering (or the planted bug says it may).
    bool may_stand() const { return is_voter_ && (!recovering() || knobs_.recovering_votes); }
    void observe_epoch(int32_t epoch, std::optional<NodeId> leader, Instant now);
    void become_unattached(Instant now);
    void become_follower(NodeId leader, Instant now);
    void become_prospective(Instant now, std::vector<Message>& out);
    void become_candidate(Instant now, std::vector<Message>& out);
    // Prospective or candidate: counts our own vote and asks the other voters.
    void request_votes(Instant now, std::vector<Message>& out);
    void become_leader(Instant now, std::vector<Message>& out);
    void reset_election_timer(Instant now);
    void tick_leader(Instant now, std::vector<Message>& out);
    void tick_fetcher(Instant now, std::vector<Message>& out);
    void send_fetch(NodeId to, Instant now, std::vector<Message>& out);
    bool heard_from_leader(Instant now) const;
    void on_vote_request(NodeId from, const VoteRequest& r, Instant now, std::vector<Message>& out);
    void on_vote_response(NodeId from, const VoteResponse& r, Instant now,
                          std::vector<Message>& out);
    void on_end_quorum_epoch(NodeId from, const EndQuorumEpoch& r, Instant now);
    void on_fetch_request(NodeId from, const FetchRequest& r, Instant now,
                          std::vector<Message>& out);
    void on_fetch_response(NodeId from, const FetchResponse& r, Instant now);
    void on_fetch_snapshot_request(NodeId from, const FetchSnapshotRequest& r, Instant now,
                                   std::vector<Message>& out);
    void on_fetch_snapshot_response(NodeId from, const FetchSnapshotResponse& r, Instant now);
    // Leader: records a fetch (of any kind) from `from`; null for a replica we do not track.
    Progress* note_fetch(NodeId from, Instant now);
    void advance_high_watermark();
    void check_invariants();
    // The leader a response names: ourselves, or the one we hear from now; else -1. Never a
    // leader we only heard of: followers passing around the name of a dead leader would keep
    // each other following it (the raft-quorum scenario, seed 20, found that livelock).
    NodeId leader_hint(Instant now) const {
        return role_ == Role::leader ? self_ : heard_from_leader(now) ? *leader_ : NodeId(-1);
    }

    NodeId self_;
    QuorumConfig config_;
    QuorumKnobs knobs_;
    Random random_;
    const SnapshotSource* snapshots_;
    bool is_voter_;
    DurableState state_;
    Role role_ = Role::unattached;
    std::optional<NodeId> leader_;
    int64_t high_watermark_ = 0;
    int64_t high_watermark_checked_ = 0;
    Instant election_deadline_;
    // Prospective and candidate: who granted this round's (pre-)votes.
    std::set<NodeId> votes_;
    // Follower (and an observer looking for the leader): one fetch at a time.
    Instant last_leader_contact_;             // the fetch timer starts here
    std::optional<Instant> leader_heard_at_;  // the leader's own last message to us
    bool fetch_in_flight_ = false;
    Instant fetch_sent_at_;
    Instant next_fetch_at_;
    size_t discovery_next_ = 0;  // an observer without a leader asks voters[discovery_next_ % n]
    std::optional<Download> download_;
    // Leader
    std::map<NodeId, Progress> voter_progress_;
    std::map<NodeId, Progress> observer_progress_;
    Instant leader_since_;
    int64_t epoch_start_offset_ = 0;
    std::vector<NodeId> successors_;  // resigned: the EndQuorumEpoch list, resent until replaced
    Instant end_sent_at_;
    // What the driver has been given (take_persist, take_committed).
    HardState persisted_hard_;
    int64_t persisted_end_ = 0;
    std::optional<int64_t> dirty_from_;  // the lowest offset written since
    std::optional<InstalledSnapshot> pending_install_;
    std::optional<SnapshotId> pending_log_start_;
    int64_t applied_ = 0;  // the next offset take_committed hands out
    uint64_t refused_responses_ = 0;
};

}  // namespace eddy::raft
