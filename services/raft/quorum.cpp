// A KRaft-style quorum replica as a state machine (see quorum.h).
#include "services/raft/quorum.h"

#include <algorithm>
#include <limits>

#include "core/base/assert.h"

namespace eddy::raft {

const char* to_string(Role r) {
    switch (r) {
        case Role::unattached:
            return "unattached";
        case Role::voted:
            return "voted";
        case Role::prospective:
            return "prospective";
        case Role::candidate:
            return "candidate";
        case Role::leader:
            return "leader";
        case Role::resigned:
            return "resigned";
        case Role::follower:
            return "follower";
    }
    return "?";
}

void apply(const PersistDelta& delta, DurableState& state) {
    if (delta.log_start) {
        const int64_t start = state.snapshot.end_offset;
        const int64_t end = start + static_cast<int64_t>(state.log.size());
        ASSERT(delta.log_start->end_offset >= start, "the log start never moves back");
        const int64_t drop = std::min(end, delta.log_start->end_offset) - start;
        state.log.erase(state.log.begin(), state.log.begin() + static_cast<ptrdiff_t>(drop));
        state.snapshot = *delta.log_start;
    }
    const int64_t start = state.snapshot.end_offset;
    if (delta.truncate_to) {
        ASSERT(*delta.truncate_to >= start);
        state.log.resize(
            std::min(state.log.size(), static_cast<size_t>(*delta.truncate_to - start)));
    }
    if (!delta.appended.empty()) {
        ASSERT(delta.append_from == start + static_cast<int64_t>(state.log.size()),
               "appends continue the log");
        ASSERT(state.log.empty() || delta.appended.front().epoch >= state.log.back().epoch,
               "epochs never decrease along the log");
        state.log.insert(state.log.end(), delta.appended.begin(), delta.appended.end());
    }
    if (delta.hard_state) {
        ASSERT(delta.hard_state->epoch >= state.epoch, "the persisted epoch never decreases");
        ASSERT(delta.hard_state->epoch != state.epoch || !state.voted_for ||
                   delta.hard_state->voted_for == state.voted_for,
               "a persisted vote is never changed within its epoch");
        state.epoch = delta.hard_state->epoch;
        state.voted_for = delta.hard_state->voted_for;
        state.recovering_epoch = delta.hard_state->recovering_epoch;
        state.recovering_end = delta.hard_state->recovering_end;
    }
}

QuorumReplica::QuorumReplica(NodeId self, QuorumConfig config, DurableState durable, Random random,
                             Instant now, const SnapshotSource* snapshots, QuorumKnobs knobs)
    : self_(self),
      config_(std::move(config)),
      knobs_(knobs),
      random_(random),
      snapshots_(snapshots),
      is_voter_(std::find(config_.voters.begin(), config_.voters.end(), self) !=
                config_.voters.end()),
      state_(std::move(durable)) {
    ASSERT(!config_.voters.empty());
    ASSERT(config_.snapshot_chunk_bytes > 0);
    ASSERT(is_voter_ || !state_.voted_for, "an observer never votes");
    // A restart forgets the leader; the high watermark restarts at the snapshot, which holds
    // only committed entries. A vote cast in this epoch stands.
    role_ = state_.voted_for ? Role::voted : Role::unattached;
    high_watermark_ = log_start_offset();
    applied_ = log_start_offset();
    ASSERT(!state_.recovering_epoch || !past_lost_log(last_epoch(), end_offset()),
           "a recovering voter's log is behind the one it lost (the driver checks)");
    ASSERT(!state_.recovering_epoch || *state_.recovering_epoch <= state_.epoch);
    ASSERT(!state_.recovering_end || state_.recovering_epoch);
    persisted_hard_ = HardState{state_.epoch, state_.voted_for, state_.recovering_epoch,
                                state_.recovering_end};
    persisted_end_ = end_offset();
    next_fetch_at_ = now;
    reset_election_timer(now);
    if (is_voter_ && config_.voters.size() == 1) {
        election_deadline_ = now;  // a lone voter needs nobody: it elects itself at once
    }
    check_invariants();
}

const Entry& QuorumReplica::entry(int64_t offset) const {
    ASSERT(offset >= log_start_offset());
    ASSERT(offset < end_offset());
    return state_.log[static_cast<size_t>(offset - log_start_offset())];
}

bool QuorumReplica::voter(NodeId id) const {
    return std::find(config_.voters.begin(), config_.voters.end(), id) != config_.voters.end();
}

bool QuorumReplica::log_up_to_date(int32_t epoch, int64_t end) const {
    return (epoch > last_epoch() || (epoch == last_epoch() && end >= end_offset())) &&
           (knobs_.recovering_votes || past_lost_log(epoch, end));
}

bool QuorumReplica::past_lost_log(int32_t epoch, int64_t end) const {
    if (!state_.recovering_epoch) {
        return true;
    }
    return epoch > *state_.recovering_epoch ||
           (epoch == *state_.recovering_epoch && state_.recovering_end &&
            end >= *state_.recovering_end);
}

void QuorumReplica::reset_election_timer(Instant now) {
    const int64_t base = config_.election_timeout.to_micros();
    election_deadline_ =
        now +
        Duration::micros(base + static_cast<int64_t>(random_.below(static_cast<uint64_t>(base))));
}

std::optional<DivergingEpoch> QuorumReplica::end_of_epoch(int32_t epoch) const {
    // Epochs never decrease along the log: the entries of epochs <= `epoch` are a prefix.
    const auto end = std::upper_bound(state_.log.begin(), state_.log.end(), epoch,
                                      [](int32_t e, const Entry& x) { return e < x.epoch; });
    const auto n = end - state_.log.begin();
    if (n > 0) {
        ASSERT(state_.log[static_cast<size_t>(n - 1)].epoch <= epoch);
        return DivergingEpoch{state_.log[static_cast<size_t>(n - 1)].epoch, log_start_offset() + n};
    }
    if (epoch < state_.snapshot.epoch) {
        return std::nullopt;  // that epoch ended inside the snapshot: we cannot say where
    }
    return DivergingEpoch{state_.snapshot.epoch, log_start_offset()};
}

void QuorumReplica::set_epoch(int32_t epoch) {
    ASSERT(epoch > state_.epoch, "the epoch never decreases");
    state_.epoch = epoch;
    state_.voted_for.reset();
}

void QuorumReplica::vote_for(NodeId candidate) {
    ASSERT(is_voter_);
    ASSERT(candidate != self_ || may_stand(), "a voter recovering from a damaged log never stands");
    ASSERT(!state_.voted_for || *state_.voted_for == candidate, "one vote per epoch");
    state_.voted_for = candidate;
}

void QuorumReplica::append(Entry e) {
    ASSERT(e.epoch <= state_.epoch);
    ASSERT(e.epoch >= last_epoch());
    dirty_from_ = std::min(dirty_from_.value_or(end_offset()), end_offset());
    state_.log.push_back(std::move(e));
}

void QuorumReplica::truncate(int64_t to) {
    ASSERT(to >= high_watermark_, "committed entries are never truncated");
    ASSERT(to >= log_start_offset());
    if (to >= end_offset()) {
        return;
    }
    state_.log.resize(static_cast<size_t>(to - log_start_offset()));
    dirty_from_ = std::min(dirty_from_.value_or(to), to);
}

void QuorumReplica::install(Download d) {
    // Only a follower whose log ends before the leader's log start downloads a snapshot, and it
    // does not fetch entries meanwhile: the snapshot replaces its whole log.
    ASSERT(d.id.end_offset > end_offset());
    ASSERT(d.id.end_offset >= high_watermark_);
    ASSERT(role_ == Role::follower, "only a follower installs a snapshot");
    dirty_from_ = std::min(dirty_from_.value_or(d.id.end_offset), d.id.end_offset);
    state_.log.clear();
    state_.snapshot = d.id;
    high_watermark_ = d.id.end_offset;  // a leader snapshots only committed entries
    applied_ = std::max(applied_, d.id.end_offset);
    pending_log_start_ = d.id;
    pending_install_ = InstalledSnapshot{d.id, std::move(d.image)};
    ASSERT(log_start_offset() == high_watermark_,
           "an installed snapshot is the whole log, all committed");
    ASSERT(end_offset() == high_watermark_,
           "an installed snapshot is the whole log, all committed");
}

void QuorumReplica::snapshot_taken(int64_t end_offset) {
    ASSERT(end_offset <= applied_, "a snapshot holds only entries the application was handed");
    ASSERT(end_offset <= high_watermark_, "a snapshot holds only committed entries");
    if (end_offset <= log_start_offset()) {
        return;
    }
    const int32_t epoch = entry(end_offset - 1).epoch;
    ASSERT(epoch >= state_.snapshot.epoch, "snapshot ids increase");
    state_.log.erase(state_.log.begin(),
                     state_.log.begin() + static_cast<ptrdiff_t>(end_offset - log_start_offset()));
    state_.snapshot = SnapshotId{end_offset, epoch};
    pending_log_start_ = state_.snapshot;
    check_invariants();
}

PersistDelta QuorumReplica::take_persist() {
    PersistDelta d;
    const HardState hard{state_.epoch, state_.voted_for, state_.recovering_epoch,
                         state_.recovering_end};
    if (hard != persisted_hard_) {
        d.hard_state = hard;
        persisted_hard_ = hard;
    }
    d.snapshot_installed = std::move(pending_install_);
    d.log_start = pending_log_start_;
    pending_install_.reset();
    pending_log_start_.reset();
    // Once the log start is applied, the durable log ends at the larger of the two.
    const int64_t durable_end = std::max(persisted_end_, log_start_offset());
    const int64_t from = std::max(dirty_from_.value_or(end_offset()), log_start_offset());
    if (from < durable_end) {
        d.truncate_to = from;
    }
    ASSERT(from >= log_start_offset());
    ASSERT(from <= end_offset());
    ASSERT(!d.truncate_to || !d.snapshot_installed, "an install replaces the log; nothing to cut");
    d.append_from = from;
    for (int64_t o = from; o < end_offset(); ++o) {
        d.appended.push_back(entry(o));
    }
    persisted_end_ = end_offset();
    dirty_from_.reset();
    return d;
}

CommittedEntries QuorumReplica::take_committed() {
    ASSERT(applied_ >= log_start_offset(), "a snapshot install moves the application with it");
    CommittedEntries c;
    c.base_offset = applied_;
    for (; applied_ < high_watermark_; ++applied_) {
        c.entries.push_back(entry(applied_));
    }
    ASSERT(applied_ == high_watermark_, "the application is handed everything committed");
    return c;
}

void QuorumReplica::observe_epoch(int32_t epoch, std::optional<NodeId> leader, Instant now) {
    if (leader && *leader == self_ && (role_ != Role::leader || epoch != state_.epoch)) {
        // A stale hint that we lead, or a forged one naming us for another epoch (raft_wire.h
        // refuses requests from our own id; this holds whatever the transport): we know better.
        leader.reset();
    }
    if (epoch > state_.epoch) {
        set_epoch(epoch);
        if (leader) {
            become_follower(*leader, now);
        } else {
            become_unattached(now);
        }
        return;
    }
    if (epoch == state_.epoch && leader && !leading() &&
        (role_ != Role::follower || leader_ != leader)) {
        become_follower(*leader, now);
    }
}

void QuorumReplica::become_unattached(Instant now) {
    role_ = state_.voted_for ? Role::voted : Role::unattached;
    leader_.reset();
    leader_heard_at_.reset();
    download_.reset();
    votes_.clear();
    voter_progress_.clear();
    observer_progress_.clear();
    fetch_in_flight_ = false;
    next_fetch_at_ = now;
    reset_election_timer(now);
}

void QuorumReplica::become_follower(NodeId leader, Instant now) {
    ASSERT(leader != self_);
    ASSERT(voter(leader), "only a voter leads");
    become_unattached(now);
    role_ = Role::follower;
    leader_ = leader;
    last_leader_contact_ = now;
}

void QuorumReplica::become_prospective(Instant now, std::vector<Message>& out) {
    ASSERT(is_voter_);
    ASSERT(may_stand(), "a voter recovering from a damaged log never stands");
    become_unattached(now);
    role_ = Role::prospective;
    request_votes(now, out);
}

void QuorumReplica::become_candidate(Instant now, std::vector<Message>& out) {
    ASSERT(state_.epoch < std::numeric_limits<int32_t>::max(),
           "epochs taken from messages are at most limits::epoch_max");
    set_epoch(state_.epoch + 1);
    vote_for(self_);
    ASSERT(state_.voted_for == self_, "a candidate votes for itself");
    become_unattached(now);
    role_ = Role::candidate;
    request_votes(now, out);
}

void QuorumReplica::request_votes(Instant now, std::vector<Message>& out) {
    const bool pre_vote = role_ == Role::prospective;
    votes_ = {self_};
    if (votes_.size() >= majority()) {
        pre_vote ? become_candidate(now, out) : become_leader(now, out);
        return;
    }
    // A pre-vote asks about the epoch a real election would move to.
    const int32_t epoch = pre_vote ? state_.epoch + 1 : state_.epoch;
    for (NodeId v : config_.voters) {
        if (v != self_) {
            out.push_back({self_, v, VoteRequest{epoch, last_epoch(), end_offset(), pre_vote}});
        }
    }
}

void QuorumReplica::become_leader(Instant now, std::vector<Message>& out) {
    ASSERT(is_voter_, "only a candidate is elected");
    ASSERT(role_ == Role::candidate, "only a candidate is elected");
    ASSERT(votes_.size() >= majority(), "a leader has a majority of votes");
    ASSERT(state_.voted_for == self_, "a leader voted for itself in its epoch");
    ASSERT(end_offset() >= high_watermark_, "a leader's log holds everything it knows committed");
    role_ = Role::leader;
    leader_ = self_;
    leader_since_ = now;
    voter_progress_.clear();
    observer_progress_.clear();
    for (NodeId v : config_.voters) {
        if (v != self_) {
            voter_progress_[v].begin_sent_at = now;
            out.push_back({self_, v, BeginQuorumEpoch{state_.epoch}});
        }
    }
    // Raft commits entries of an older epoch only through one of the leader's own.
    epoch_start_offset_ = end_offset();
    append(Entry{state_.epoch, {}});
    ASSERT(last_epoch() == state_.epoch, "a new leader's log ends in its own epoch");
    advance_high_watermark();
}

bool QuorumReplica::resign(Instant now, std::vector<Message>& out) {
    if (role_ != Role::leader) {
        return false;
    }
    role_ = Role::resigned;
    // The furthest fetched first: the likeliest to win, so the first to try (KIP-595).
    std::vector<std::pair<int64_t, NodeId>> by_offset;
    for (const auto& [v, p] : voter_progress_) {
        by_offset.emplace_back(p.end_offset.value_or(-1), v);
    }
    std::sort(by_offset.begin(), by_offset.end(), [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    successors_.clear();
    for (const auto& [end, v] : by_offset) {
        successors_.push_back(v);
    }
    end_sent_at_ = now;
    for (NodeId v : successors_) {
        out.push_back({self_, v, EndQuorumEpoch{state_.epoch, successors_}});
    }
    // Should the driver not stop us, we stand again like any voter without a leader.
    reset_election_timer(now);
    check_invariants();
    return true;
}

void QuorumReplica::send_fetch(NodeId to, Instant now, std::vector<Message>& out) {
    if (download_) {
        out.push_back({self_, to,
                       FetchSnapshotRequest{state_.epoch, download_->id,
                                            static_cast<int64_t>(download_->image.size())}});
    } else {
        out.push_back({self_, to, FetchRequest{state_.epoch, end_offset(), last_epoch()}});
    }
    fetch_in_flight_ = true;
    fetch_sent_at_ = now;
}

bool QuorumReplica::heard_from_leader(Instant now) const {
    return role_ == Role::leader || (role_ == Role::follower && leader_heard_at_ &&
                                     now - *leader_heard_at_ < config_.fetch_timeout);
}

void QuorumReplica::tick(Instant now, std::vector<Message>& out) {
    switch (role_) {
        case Role::leader:
        case Role::resigned:
            tick_leader(now, out);
            break;
        case Role::follower:
            if (now - last_leader_contact_ >= config_.fetch_timeout) {
                if (may_stand()) {
                    become_prospective(now, out);
                } else {
                    become_unattached(now);  // look for the leader again
                }
            } else {
                tick_fetcher(now, out);
            }
            break;
        case Role::unattached:
        case Role::voted:
        case Role::prospective:
        case Role::candidate:
            if (!may_stand()) {
                // An observer, or a recovering voter: ask the voters in turn who leads.
                tick_fetcher(now, out);
            } else if (now >= election_deadline_) {
                // A candidate that did not win goes back to pre-vote (KIP-996): a failed
                // election must not keep raising the epoch.
                become_prospective(now, out);
            }
            break;
    }
    check_invariants();
}

void QuorumReplica::tick_fetcher(Instant now, std::vector<Message>& out) {
    if (fetch_in_flight_ && now - fetch_sent_at_ >= config_.request_timeout) {
        fetch_in_flight_ = false;
    }
    if (fetch_in_flight_ || now < next_fetch_at_) {
        return;
    }
    if (role_ == Role::follower) {
        send_fetch(*leader_, now, out);
        return;
    }
    NodeId to = config_.voters[discovery_next_++ % config_.voters.size()];
    if (to == self_) {  // a recovering voter asks the others
        to = config_.voters[discovery_next_++ % config_.voters.size()];
    }
    send_fetch(to, now, out);
    next_fetch_at_ = now + config_.request_timeout;
}

void QuorumReplica::tick_leader(Instant now, std::vector<Message>& out) {
    std::erase_if(observer_progress_, [&](const auto& kv) {
        return kv.second.last_fetch && now - *kv.second.last_fetch >= config_.observer_expiry;
    });
    if (role_ == Role::resigned) {
        if (now >= election_deadline_ && may_stand()) {
            become_prospective(now, out);
        } else if (now - end_sent_at_ >= config_.request_timeout) {
            end_sent_at_ = now;  // EndQuorumEpoch may be lost; voters ignore repeats
            for (NodeId v : successors_) {
                out.push_back({self_, v, EndQuorumEpoch{state_.epoch, successors_}});
            }
        }
        return;
    }
    size_t heard = 1;  // itself
    for (auto& [v, p] : voter_progress_) {
        const Instant seen = std::max(p.last_fetch.value_or(leader_since_), leader_since_);
        heard += now - seen < config_.fetch_timeout ? size_t{1} : size_t{0};
        // A voter silent for a request timeout may have missed BeginQuorumEpoch or restarted
        // (a restart forgets the leader): tell it again rather than let it stand for election.
        if (now - std::max(seen, p.begin_sent_at) >= config_.request_timeout) {
            p.begin_sent_at = now;
            out.push_back({self_, v, BeginQuorumEpoch{state_.epoch}});
        }
    }
    if (heard < majority() && !knobs_.check_quorum_disabled) {
        become_unattached(now);  // check quorum: a leader cut off from a majority steps down
    }
}

std::optional<int64_t> QuorumReplica::propose(Bytes data, Instant now, std::vector<Message>& out) {
    (void)now;
    (void)out;
    if (role_ != Role::leader) {
        return std::nullopt;
    }
    ASSERT(last_epoch() == state_.epoch, "a leader appends only in its own epoch");
    append(Entry{state_.epoch, std::move(data)});
    advance_high_watermark();
    check_invariants();
    return end_offset() - 1;
}

void QuorumReplica::receive(const Message& m, Instant now, std::vector<Message>& out) {
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, VoteRequest>) {
                on_vote_request(m.from, body, now, out);
            } else if constexpr (std::is_same_v<T, VoteResponse>) {
                on_vote_response(m.from, body, now, out);
            } else if constexpr (std::is_same_v<T, BeginQuorumEpoch>) {
                if (body.epoch >= state_.epoch && voter(m.from)) {
                    observe_epoch(body.epoch, m.from, now);
                    if (role_ == Role::follower && leader_ == m.from) {
                        leader_heard_at_ = now;
                    }
                }
            } else if constexpr (std::is_same_v<T, EndQuorumEpoch>) {
                on_end_quorum_epoch(m.from, body, now);
            } else if constexpr (std::is_same_v<T, FetchRequest>) {
                on_fetch_request(m.from, body, now, out);
            } else if constexpr (std::is_same_v<T, FetchResponse>) {
                on_fetch_response(m.from, body, now);
            } else if constexpr (std::is_same_v<T, FetchSnapshotRequest>) {
                on_fetch_snapshot_request(m.from, body, now, out);
            } else {
                static_assert(std::is_same_v<T, FetchSnapshotResponse>);
                on_fetch_snapshot_response(m.from, body, now);
            }
        },
        m.body);
    check_invariants();
}

void QuorumReplica::on_vote_request(NodeId from, const VoteRequest& r, Instant now,
                                    std::vector<Message>& out) {
    const bool log_ok = log_up_to_date(r.last_epoch, r.end_offset) || knobs_.vote_ignores_log;
    if (!is_voter_ || !voter(from)) {
        out.push_back({self_, from, VoteResponse{state_.epoch, false, r.pre_vote, NodeId(-1)}});
        return;
    }
    if (r.pre_vote) {
        // Answered from what we know, changing nothing (KIP-996): no epoch, no vote to persist.
        const bool grant =
            r.epoch >= state_.epoch && log_ok && !heard_from_leader(now);
        out.push_back({self_, from, VoteResponse{state_.epoch, grant, true, leader_hint(now)}});
        return;
    }
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, std::nullopt, now);
    }
    const bool free =
        (role_ == Role::unattached || role_ == Role::voted || role_ == Role::prospective) &&
        (!state_.voted_for || *state_.voted_for == from);
    const bool grant = r.epoch == state_.epoch && free && log_ok;
    if (grant) {
        ASSERT(!leading(), "a candidate or leader votes only for itself");
        ASSERT(role_ != Role::candidate, "a candidate or leader votes only for itself");
        vote_for(from);
        ASSERT(state_.voted_for == from);
        role_ = Role::voted;
        votes_.clear();
        reset_election_timer(now);
    }
    out.push_back({self_, from, VoteResponse{state_.epoch, grant, false, leader_hint(now)}});
}

void QuorumReplica::on_vote_response(NodeId from, const VoteResponse& r, Instant now,
                                     std::vector<Message>& out) {
    if (r.leader.value() >= 0 && r.epoch >= state_.epoch && voter(r.leader)) {
        observe_epoch(r.epoch, r.leader, now);  // there is a leader: follow it
        return;
    }
    if (r.epoch > state_.epoch && !(r.pre_vote && r.granted)) {
        observe_epoch(r.epoch, std::nullopt, now);
        return;
    }
    const Role round = r.pre_vote ? Role::prospective : Role::candidate;
    if (role_ != round || !r.granted || (!r.pre_vote && r.epoch != state_.epoch)) {
        return;
    }
    if (!voter(from)) {
        return;  // only voters' votes count (a correct observer never grants one)
    }
    votes_.insert(from);
    ASSERT(votes_.size() <= config_.voters.size(), "votes come from distinct voters");
    if (votes_.size() < majority()) {
        return;
    }
    if (r.pre_vote) {
        become_candidate(now, out);
    } else {
        become_leader(now, out);
    }
}

void QuorumReplica::on_end_quorum_epoch(NodeId from, const EndQuorumEpoch& r, Instant now) {
    if (r.epoch < state_.epoch || !voter(from)) {
        return;
    }
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, std::nullopt, now);
    } else if (role_ != Role::follower || leader_ != from) {
        return;  // a repeat, or news we already acted on
    }
    become_unattached(now);
    if (!is_voter_) {
        return;  // an observer looks for the next leader
    }
    const auto at = std::find(r.preferred_successors.begin(), r.preferred_successors.end(), self_);
    election_deadline_ = now + config_.election_backoff * (at - r.preferred_successors.begin());
}

QuorumReplica::Progress* QuorumReplica::note_fetch(NodeId from, Instant now) {
    if (from == self_) {
        return nullptr;
    }
    auto& progress = voter(from) ? voter_progress_ : observer_progress_;
    Progress& p = progress[from];
    p.previous_fetch = p.last_fetch;
    p.last_fetch = now;
    return &p;
}

void QuorumReplica::on_fetch_request(NodeId from, const FetchRequest& r, Instant now,
                                     std::vector<Message>& out) {
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, std::nullopt, now);
    }
    FetchResponse resp;
    resp.epoch = state_.epoch;
    resp.high_watermark = high_watermark_;
    resp.log_start_offset = log_start_offset();
    resp.base_offset = r.fetch_offset;
    resp.leader = leader_hint(now);
    resp.error = !leading()               ? FetchError::not_leader
                 : r.epoch < state_.epoch ? FetchError::fenced_leader_epoch
                 : r.epoch > state_.epoch ? FetchError::unknown_leader_epoch
                                          : FetchError::none;
    if (resp.error != FetchError::none) {
        out.push_back({self_, from, std::move(resp)});
        return;
    }
    resp.leader = self_;  // resigned too: its followers may still catch up in this epoch
    Progress* p = note_fetch(from, now);
    const std::optional<DivergingEpoch> known = end_of_epoch(r.last_fetched_epoch);
    if (r.fetch_offset < log_start_offset() || !known) {
        // What it lacks, or where it diverges, is inside our snapshot.
        resp.snapshot_id = state_.snapshot;
        out.push_back({self_, from, std::move(resp)});
        return;
    }
    if (known->epoch != r.last_fetched_epoch || r.fetch_offset > known->end_offset) {
        resp.diverging = known;
        out.push_back({self_, from, std::move(resp)});
        return;
    }
    if (p) {
        // Caught up (Kafka's DescribeQuorum): at our end now, or at the end we had when it
        // fetched before, as of then.
        if (r.fetch_offset >= end_offset()) {
            p->last_caught_up = now;
        } else if (p->previous_fetch && r.fetch_offset >= p->leader_end_at_last_fetch) {
            p->last_caught_up =
                std::max(p->last_caught_up.value_or(*p->previous_fetch), *p->previous_fetch);
        }
        p->end_offset = r.fetch_offset;
        p->leader_end_at_last_fetch = end_offset();
        if (voter(from)) {
            advance_high_watermark();
            resp.high_watermark = high_watermark_;
        }
    }
    ASSERT(r.fetch_offset >= log_start_offset(),
           "a fetch served entries lies within the leader's log");
    ASSERT(r.fetch_offset <= end_offset(), "a fetch served entries lies within the leader's log");
    const int64_t last =
        std::min(end_offset(), r.fetch_offset + static_cast<int64_t>(config_.fetch_entries_max));
    for (int64_t o = r.fetch_offset; o < last; ++o) {
        resp.entries.push_back(entry(o));
    }
    out.push_back({self_, from, std::move(resp)});
}

void QuorumReplica::on_fetch_response(NodeId from, const FetchResponse& r, Instant now) {
    const bool hint = r.leader.value() >= 0 && voter(r.leader);
    if (r.epoch > state_.epoch) {
        // The answer to a fetch of an older epoch: the leader checked nothing against our log,
        // so only its epoch and leader are news (how an observer, or a lost voter, finds it).
        observe_epoch(r.epoch, hint ? std::optional<NodeId>(r.leader) : std::nullopt, now);
        return;
    }
    if (hint && r.epoch == state_.epoch) {
        observe_epoch(r.epoch, r.leader, now);
    }
    if (r.error != FetchError::none) {
        // Even in our epoch: it may answer a fetch we sent before we moved to it (the
        // raft-quorum scenario, seed 210, had an observer take a high watermark from one).
        return;
    }
    if (role_ != Role::follower || r.epoch != state_.epoch || leader_ != from || r.leader != from ||
        download_) {
        return;
    }
    fetch_in_flight_ = false;
    last_leader_contact_ = now;
    leader_heard_at_ = now;
    next_fetch_at_ = now;
    if (r.snapshot_id) {
        if (r.snapshot_id->end_offset > end_offset()) {
            download_ = Download{*r.snapshot_id, -1, {}};
        } else {
            // We are not behind but diverge inside the leader's snapshot: everything above our
            // high watermark is suspect. The next fetch, from there, is answered with the snapshot.
            truncate(high_watermark_);
        }
        return;
    }
    if (r.diverging) {
        // Truncate to where the leader's diverging epoch ends, or where our own log leaves that
        // epoch if sooner: our entries after it belong to epochs the leader does not have.
        const auto own = end_of_epoch(r.diverging->epoch);
        // Our snapshot holds committed entries only, which a correct leader has: it never names
        // an epoch that ended inside it, nor a point below our high watermark. The response comes
        // from a peer, so such an answer is refused, not asserted (nothing a peer sends may reach
        // an assertion); the next fetch asks again.
        if (!own || std::min(r.diverging->end_offset, own->end_offset) < high_watermark_) {
            ++refused_responses_;
            return;
        }
        truncate(std::min(r.diverging->end_offset, own->end_offset));
        ASSERT(end_offset() >= high_watermark_, "truncation keeps the committed entries");
        return;
    }
    if (r.base_offset != end_offset()) {
        return;  // an answer to an older fetch
    }
    // Entries of a future epoch, or epochs going back, cannot follow our log: refused whole.
    int32_t previous = last_epoch();
    for (const Entry& e : r.entries) {
        if (e.epoch > state_.epoch || e.epoch < previous) {
            ++refused_responses_;
            return;
        }
        previous = e.epoch;
    }
    const int64_t end_before = end_offset();
    for (const Entry& e : r.entries) {
        append(e);
    }
    ASSERT(end_offset() == end_before + static_cast<int64_t>(r.entries.size()));
    high_watermark_ = std::max(high_watermark_, std::min(r.high_watermark, end_offset()));
    end_recovery_if_caught_up(r.entries.empty());
    if (r.entries.empty()) {
        next_fetch_at_ = now + config_.fetch_interval;
    }
}

void QuorumReplica::on_fetch_snapshot_request(NodeId from, const FetchSnapshotRequest& r,
                                              Instant now, std::vector<Message>& out) {
    FetchSnapshotResponse resp;
    resp.epoch = state_.epoch;
    resp.leader = leading() && r.epoch == state_.epoch ? self_ : leader_hint(now);
    resp.snapshot_id = r.snapshot_id;
    resp.position = r.position;
    if (leading() && r.epoch == state_.epoch) {
        note_fetch(from, now);  // a replica downloading a snapshot is in touch
        const std::optional<int64_t> size =
            snapshots_ ? snapshots_->size(r.snapshot_id) : std::nullopt;
        if (size && r.position >= 0 && r.position <= *size) {
            resp.found = true;
            resp.size = *size;
            const int64_t n = std::min(*size - r.position, config_.snapshot_chunk_bytes);
            resp.bytes = snapshots_->read(r.snapshot_id, r.position, n);
            ASSERT(static_cast<int64_t>(resp.bytes.size()) == n);
        }
    }
    out.push_back({self_, from, std::move(resp)});
}

void QuorumReplica::on_fetch_snapshot_response(NodeId from, const FetchSnapshotResponse& r,
                                               Instant now) {
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch,
                      r.leader.value() >= 0 && voter(r.leader) ? std::optional<NodeId>(r.leader)
                                                               : std::nullopt,
                      now);
        return;
    }
    if (role_ != Role::follower || r.epoch != state_.epoch || leader_ != from || !download_ ||
        r.snapshot_id != download_->id) {
        return;
    }
    fetch_in_flight_ = false;
    last_leader_contact_ = now;
    leader_heard_at_ = now;
    next_fetch_at_ = now;
    Download& d = *download_;
    const auto have = static_cast<int64_t>(d.image.size());
    const auto got = static_cast<int64_t>(r.bytes.size());
    if (!r.found || r.size < 0 || r.size > config_.snapshot_bytes_max ||
        (d.size >= 0 && r.size != d.size) || r.position + got > r.size) {
        download_.reset();  // gone or inconsistent: fetch again, which names the current one
        return;
    }
    if (r.position != have) {
        return;  // an answer to an older request
    }
    d.size = r.size;
    d.image.insert(d.image.end(), r.bytes.begin(), r.bytes.end());
    if (static_cast<int64_t>(d.image.size()) == d.size) {
        Download done = std::move(d);
        download_.reset();
        install(std::move(done));
        end_recovery_if_caught_up(false);
    }
}

void QuorumReplica::end_recovery_if_caught_up(bool at_leader_end) {
    if (!state_.recovering_epoch || (!at_leader_end && !past_lost_log(last_epoch(), end_offset()))) {
        return;
    }
    // Our log, copied from a leader, holds every committed entry the lost one did: it is as up
    // to date as that one (Raft's log comparison), or it is the whole log of the leader of our
    // epoch, which is at least recovering_epoch — that leader has every entry committed before
    // it was elected, and every entry of its epoch we acknowledged came from it. take_persist
    // writes the cleared flag after these entries.
    ASSERT(role_ == Role::follower, "a recovering voter catches up only from a leader");
    state_.recovering_epoch.reset();
    state_.recovering_end.reset();
}

void QuorumReplica::advance_high_watermark() {
    ASSERT(leading(), "only a leader counts fetches toward the high watermark");
    std::vector<int64_t> ends{end_offset()};
    for (NodeId v : config_.voters) {
        if (v != self_) {
            const auto it = voter_progress_.find(v);
            ends.push_back(it == voter_progress_.end() ? 0 : it->second.end_offset.value_or(0));
        }
    }
    std::sort(ends.begin(), ends.end(), std::greater<>());
    const int64_t replicated = ends[majority() - 1];
    if (replicated > epoch_start_offset_ && replicated > high_watermark_) {
        // Raft's commit rule: only through an entry of the leader's own epoch.
        ASSERT(replicated <= end_offset(), "a majority has only what the leader has");
        ASSERT(entry(replicated - 1).epoch == state_.epoch,
               "the high watermark advances over an entry of the leader's epoch");
        high_watermark_ = replicated;
    }
}

QuorumStatus QuorumReplica::describe(Instant now) const {
    QuorumStatus s;
    s.epoch = state_.epoch;
    s.leader = leader_;
    s.high_watermark = high_watermark_;
    if (!leading()) {
        return s;
    }
    auto status = [](NodeId id, const Progress& p) {
        return ReplicaStatus{id, p.end_offset.value_or(-1), p.last_fetch, p.last_caught_up};
    };
    for (NodeId v : config_.voters) {
        if (v == self_) {
            s.voters.push_back(ReplicaStatus{v, end_offset(), now, now});
        } else {
            const auto it = voter_progress_.find(v);
            s.voters.push_back(it == voter_progress_.end()
                                   ? ReplicaStatus{v, -1, std::nullopt, std::nullopt}
                                   : status(v, it->second));
        }
    }
    for (const auto& [id, p] : observer_progress_) {
        s.observers.push_back(status(id, p));
    }
    return s;
}

void QuorumReplica::check_invariants() {
    ASSERT(log_start_offset() <= high_watermark_, "log start <= high watermark <= end offset");
    ASSERT(high_watermark_ <= end_offset(), "log start <= high watermark <= end offset");
    // Stronger than "on a leader": no replica's high watermark moves back while it runs.
    ASSERT(high_watermark_ >= high_watermark_checked_, "the high watermark never moves back");
    high_watermark_checked_ = high_watermark_;
    ASSERT(last_epoch() <= state_.epoch, "no entry from a future epoch");
    ASSERT(applied_ <= high_watermark_);
    ASSERT(is_voter_ || !state_.voted_for);
    ASSERT((role_ == Role::leader || role_ == Role::resigned) == (leader_ == self_));
    ASSERT(state_.epoch >= 0);
    ASSERT(state_.snapshot.end_offset >= 0);
    ASSERT(state_.snapshot.epoch <= state_.epoch, "no snapshot from a future epoch");
    ASSERT(!leading() || last_epoch() == state_.epoch, "a leader's log ends in its own epoch");
    ASSERT(!leading() || is_voter_, "only a voter leads");
    ASSERT(role_ != Role::voted || state_.voted_for.has_value(), "a voted replica has a vote");
    ASSERT(role_ != Role::candidate || state_.voted_for == self_, "a candidate voted for itself");
    ASSERT((role_ != Role::prospective && role_ != Role::candidate) || is_voter_,
           "only voters stand for election");
    ASSERT(role_ != Role::follower || (leader_ && *leader_ != self_), "a follower has a leader");
    ASSERT(!download_ || role_ == Role::follower, "only a follower downloads a snapshot");
    ASSERT(applied_ >= log_start_offset(), "the application is never behind the log start");
    ASSERT(!recovering() || is_voter_, "only a voter recovers its vote");
    ASSERT(!recovering() || knobs_.recovering_votes || !past_lost_log(last_epoch(), end_offset()),
           "a recovering voter stops recovering once its log is past the lost one");
    ASSERT(!state_.recovering_end || recovering());
    ASSERT(!recovering() || knobs_.recovering_votes ||
               (role_ != Role::prospective && role_ != Role::candidate && !leading()),
           "a recovering voter never stands");
}


}  // namespace eddy::raft
