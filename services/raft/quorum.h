// QuorumReplica: one voter of a KRaft-style Raft quorum (KIP-595), as a plain state machine —
// messages and the time in, messages out — with no fibers, no I/O and no clock, in the style of
// the group coordinator (services/group). A wrapper owns the network and the disk: it persists
// `durable()` after every call, before it sends what the call produced, and on restart builds the
// replica from what it persisted.
//
// KRaft's protocol, reduced to its core:
// - Epochs (Raft terms). A message from a higher epoch moves this replica to that epoch; one from
//   a lower epoch is answered with ours, so its sender catches up.
// - Election: a candidate bumps the epoch, votes for itself and sends Vote(epoch, last epoch, end
//   offset). A voter grants one vote per epoch, and only to a candidate whose log is at least as
//   up to date as its own (last epoch, then end offset). A majority makes a leader, which
//   appends a leader-change entry in its epoch and announces itself (BeginQuorumEpoch).
// - Replication is pulled: followers Fetch(offset, last fetched epoch). If the follower's log
//   diverges from the leader's, the leader answers with the diverging epoch and where it ends,
//   and the follower truncates there (never below its high watermark) and fetches again.
// - The high watermark is the largest offset a majority has fetched past, counted only once an
//   entry of the leader's own epoch is there (Raft's commit rule); followers learn it from fetch
//   responses. It never moves back on a leader.
// - Timers: a follower that hears nothing from its leader for fetch_timeout, or an unattached
//   voter after its election timeout, starts an election; a candidate retries after a
//   randomized election timeout; a leader that has not heard fetches from a majority for
//   fetch_timeout resigns (check quorum).
//
// Offsets index the log from 0 (no snapshots yet).
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

struct Entry {
    int32_t epoch = 0;
    Bytes data;  // empty: the leader-change entry a new leader appends
    bool operator==(const Entry&) const = default;
};

struct VoteRequest {
    int32_t epoch = 0;
    int32_t last_epoch = 0;
    int64_t end_offset = 0;
};
struct VoteResponse {
    int32_t epoch = 0;
    bool granted = false;
};
struct BeginQuorumEpoch {
    int32_t epoch = 0;
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
struct FetchResponse {
    int32_t epoch = 0;
    NodeId leader{-1};  // -1: this replica is not the leader of `epoch`
    int64_t high_watermark = 0;
    int64_t base_offset = 0;
    std::vector<Entry> entries;
    std::optional<DivergingEpoch> diverging;
};

using Body = std::variant<VoteRequest, VoteResponse, BeginQuorumEpoch, FetchRequest, FetchResponse>;

struct Message {
    NodeId from{-1};
    NodeId to{-1};
    Body body;
};

// What must be on disk before anything a call produced is sent.
struct DurableState {
    int32_t epoch = 0;
    std::optional<NodeId> voted_for;
    std::vector<Entry> log;
};

struct QuorumConfig {
    std::vector<NodeId> voters;  // every voter, this replica included
    Duration election_timeout = Duration::millis(1000);  // quorum.election.timeout.ms (+ jitter)
    Duration fetch_timeout = Duration::millis(2000);     // quorum.fetch.timeout.ms
    Duration fetch_interval = Duration::millis(50);      // a follower's pause after an empty fetch
    Duration request_timeout = Duration::millis(500);    // a fetch or vote without an answer
    size_t fetch_entries_max = 64;
};

// Planted bugs (scenarios prove their checkers catch them). Never set in production.
struct QuorumKnobs {
    // Votes are granted without comparing logs: a replica missing committed entries can win.
    bool vote_ignores_log = false;
};

enum class Role : uint8_t { unattached, voted, candidate, leader, follower };
const char* to_string(Role r);

class QuorumReplica {
public:
    QuorumReplica(NodeId self, QuorumConfig config, DurableState durable, Random random, Instant now,
                  QuorumKnobs knobs = {});

    // Messages to send are appended to `out`.
    void receive(const Message& m, Instant now, std::vector<Message>& out);
    void tick(Instant now, std::vector<Message>& out);
    // Leader only: appends `data` in the current epoch; its offset, or nullopt if not leader.
    std::optional<int64_t> propose(Bytes data, Instant now, std::vector<Message>& out);

    const DurableState& durable() const { return state_; }
    Role role() const { return role_; }
    int32_t epoch() const { return state_.epoch; }
    std::optional<NodeId> leader() const { return leader_; }
    int64_t high_watermark() const { return high_watermark_; }
    int64_t end_offset() const { return static_cast<int64_t>(state_.log.size()); }
    const std::vector<Entry>& log() const { return state_.log; }
    NodeId id() const { return self_; }

private:
    int32_t last_epoch() const { return state_.log.empty() ? 0 : state_.log.back().epoch; }
    size_t majority() const { return config_.voters.size() / 2 + 1; }
    // The end offset of `epoch` in our log (the start of the next higher epoch) and the largest
    // epoch <= `epoch` present, for divergence answers.
    DivergingEpoch end_of_epoch(int32_t epoch) const;
    void observe_epoch(int32_t epoch, std::optional<NodeId> leader, Instant now);
    void become_unattached(int32_t epoch, Instant now);
    void become_follower(int32_t epoch, NodeId leader, Instant now);
    void become_candidate(Instant now, std::vector<Message>& out);
    void become_leader(Instant now, std::vector<Message>& out);
    void reset_election_timer(Instant now);
    void send_fetch(Instant now, std::vector<Message>& out);
    void on_vote_request(NodeId from, const VoteRequest& r, Instant now, std::vector<Message>& out);
    void on_vote_response(NodeId from, const VoteResponse& r, Instant now,
                          std::vector<Message>& out);
    void on_fetch_request(NodeId from, const FetchRequest& r, Instant now,
                          std::vector<Message>& out);
    void on_fetch_response(NodeId from, const FetchResponse& r, Instant now,
                           std::vector<Message>& out);
    void advance_high_watermark();

    NodeId self_;
    QuorumConfig config_;
    QuorumKnobs knobs_;
    Random random_;
    DurableState state_;
    Role role_ = Role::unattached;
    std::optional<NodeId> leader_;
    int64_t high_watermark_ = 0;
    Instant election_deadline_;
    // Candidate
    std::set<NodeId> votes_;
    Instant vote_sent_at_;
    // Follower
    Instant last_leader_contact_;
    bool fetch_in_flight_ = false;
    Instant fetch_sent_at_;
    Instant next_fetch_at_;
    // Leader: each voter's fetch offset and when it last fetched.
    std::map<NodeId, int64_t> follower_end_;
    std::map<NodeId, Instant> follower_seen_;
    int64_t epoch_start_offset_ = 0;
};

}  // namespace eddy::raft
