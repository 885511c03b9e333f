// A KRaft-style quorum replica as a state machine (see quorum.h).
#include "services/raft/quorum.h"

#include <algorithm>

namespace eddy::raft {

const char* to_string(Role r) {
    switch (r) {
        case Role::unattached: return "unattached";
        case Role::voted: return "voted";
        case Role::candidate: return "candidate";
        case Role::leader: return "leader";
        case Role::follower: return "follower";
    }
    return "?";
}

QuorumReplica::QuorumReplica(NodeId self, QuorumConfig config, DurableState durable,
                             Random random, Instant now, QuorumKnobs knobs)
    : self_(self),
      config_(std::move(config)),
      knobs_(knobs),
      random_(random),
      state_(std::move(durable)) {
    // A restart forgets the leader and the high watermark; a vote cast in this epoch stands.
    role_ = state_.voted_for ? Role::voted : Role::unattached;
    reset_election_timer(now);
}

void QuorumReplica::reset_election_timer(Instant now) {
    const int64_t base = config_.election_timeout.to_micros();
    election_deadline_ =
        now + Duration::micros(base + static_cast<int64_t>(random_.below(static_cast<uint64_t>(base))));
}

DivergingEpoch QuorumReplica::end_of_epoch(int32_t epoch) const {
    // Epochs never decrease along the log: the entries of epochs <= `epoch` are a prefix.
    const auto end = std::upper_bound(state_.log.begin(), state_.log.end(), epoch,
                                      [](int32_t e, const Entry& x) { return e < x.epoch; });
    const auto n = static_cast<int64_t>(end - state_.log.begin());
    return DivergingEpoch{n > 0 ? state_.log[static_cast<size_t>(n - 1)].epoch : 0, n};
}

void QuorumReplica::observe_epoch(int32_t epoch, std::optional<NodeId> leader, Instant now) {
    if (epoch > state_.epoch) {
        state_.epoch = epoch;
        state_.voted_for.reset();
        if (leader) {
            become_follower(epoch, *leader, now);
        } else {
            become_unattached(epoch, now);
        }
        return;
    }
    if (epoch == state_.epoch && leader && role_ != Role::leader &&
        (role_ != Role::follower || leader_ != leader)) {
        become_follower(epoch, *leader, now);
    }
}

void QuorumReplica::become_unattached(int32_t epoch, Instant now) {
    (void)epoch;
    role_ = state_.voted_for ? Role::voted : Role::unattached;
    leader_.reset();
    reset_election_timer(now);
}

void QuorumReplica::become_follower(int32_t epoch, NodeId leader, Instant now) {
    (void)epoch;
    role_ = Role::follower;
    leader_ = leader;
    last_leader_contact_ = now;
    fetch_in_flight_ = false;
    next_fetch_at_ = now;
}

void QuorumReplica::become_candidate(Instant now, std::vector<Message>& out) {
    state_.epoch += 1;
    state_.voted_for = self_;
    role_ = Role::candidate;
    leader_.reset();
    votes_ = {self_};
    reset_election_timer(now);
    if (votes_.size() >= majority()) {
        become_leader(now, out);
        return;
    }
    for (NodeId v : config_.voters) {
        if (v != self_) {
            out.push_back({self_, v, VoteRequest{state_.epoch, last_epoch(), end_offset()}});
        }
    }
}

void QuorumReplica::become_leader(Instant now, std::vector<Message>& out) {
    role_ = Role::leader;
    leader_ = self_;
    follower_end_.clear();
    follower_seen_.clear();
    for (NodeId v : config_.voters) {
        if (v != self_) {
            follower_end_[v] = 0;
            follower_seen_[v] = now;
        }
    }
    // Raft commits entries of an older epoch only through one of the leader's own.
    epoch_start_offset_ = end_offset();
    state_.log.push_back(Entry{state_.epoch, {}});
    for (NodeId v : config_.voters) {
        if (v != self_) {
            out.push_back({self_, v, BeginQuorumEpoch{state_.epoch}});
        }
    }
    advance_high_watermark();
}

void QuorumReplica::send_fetch(Instant now, std::vector<Message>& out) {
    out.push_back({self_, *leader_, FetchRequest{state_.epoch, end_offset(), last_epoch()}});
    fetch_in_flight_ = true;
    fetch_sent_at_ = now;
}

void QuorumReplica::tick(Instant now, std::vector<Message>& out) {
    switch (role_) {
        case Role::leader: {
            size_t heard = 1;  // itself
            for (const auto& [v, seen] : follower_seen_) {
                heard += now - seen < config_.fetch_timeout ? size_t{1} : size_t{0};
            }
            if (heard < majority()) {
                become_unattached(state_.epoch, now);  // check quorum: resign
            }
            break;
        }
        case Role::follower:
            if (now - last_leader_contact_ >= config_.fetch_timeout) {
                become_candidate(now, out);
            } else if (fetch_in_flight_ && now - fetch_sent_at_ >= config_.request_timeout) {
                fetch_in_flight_ = false;
            } else if (!fetch_in_flight_ && now >= next_fetch_at_) {
                send_fetch(now, out);
            }
            break;
        case Role::unattached:
        case Role::voted:
        case Role::candidate:
            if (now >= election_deadline_) {
                become_candidate(now, out);
            }
            break;
    }
}

std::optional<int64_t> QuorumReplica::propose(Bytes data, Instant now, std::vector<Message>& out) {
    (void)now;
    (void)out;
    if (role_ != Role::leader) {
        return std::nullopt;
    }
    state_.log.push_back(Entry{state_.epoch, std::move(data)});
    advance_high_watermark();
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
                if (body.epoch >= state_.epoch) {
                    observe_epoch(body.epoch, m.from, now);
                }
            } else if constexpr (std::is_same_v<T, FetchRequest>) {
                on_fetch_request(m.from, body, now, out);
            } else {
                on_fetch_response(m.from, body, now, out);
            }
        },
        m.body);
}

void QuorumReplica::on_vote_request(NodeId from, const VoteRequest& r, Instant now,
                                    std::vector<Message>& out) {
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, std::nullopt, now);
    }
    bool grant = r.epoch == state_.epoch && role_ != Role::leader && role_ != Role::candidate &&
                 role_ != Role::follower &&
                 (!state_.voted_for || *state_.voted_for == from);
    const bool log_ok = r.last_epoch > last_epoch() ||
                        (r.last_epoch == last_epoch() && r.end_offset >= end_offset());
    grant = grant && (log_ok || knobs_.vote_ignores_log);
    if (grant) {
        state_.voted_for = from;
        role_ = Role::voted;
        reset_election_timer(now);
    }
    out.push_back({self_, from, VoteResponse{state_.epoch, grant}});
}

void QuorumReplica::on_vote_response(NodeId from, const VoteResponse& r, Instant now,
                                     std::vector<Message>& out) {
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, std::nullopt, now);
        return;
    }
    if (role_ != Role::candidate || r.epoch != state_.epoch || !r.granted) {
        return;
    }
    votes_.insert(from);
    if (votes_.size() >= majority()) {
        become_leader(now, out);
    }
}

void QuorumReplica::on_fetch_request(NodeId from, const FetchRequest& r, Instant now,
                                     std::vector<Message>& out) {
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch, std::nullopt, now);
    }
    FetchResponse resp;
    resp.epoch = state_.epoch;
    resp.high_watermark = high_watermark_;
    if (role_ != Role::leader || r.epoch != state_.epoch) {
        resp.leader = leader_.value_or(NodeId(-1));
        resp.base_offset = r.fetch_offset;
        out.push_back({self_, from, resp});
        return;
    }
    resp.leader = self_;
    const DivergingEpoch known = end_of_epoch(r.last_fetched_epoch);
    if (known.epoch != r.last_fetched_epoch || r.fetch_offset > known.end_offset) {
        resp.diverging = known;
        resp.base_offset = r.fetch_offset;
        out.push_back({self_, from, resp});
        return;
    }
    if (follower_end_.contains(from)) {
        follower_end_[from] = r.fetch_offset;
        follower_seen_[from] = now;
        advance_high_watermark();
        resp.high_watermark = high_watermark_;
    }
    resp.base_offset = r.fetch_offset;
    const auto first = static_cast<size_t>(r.fetch_offset);
    const size_t last = std::min(state_.log.size(), first + config_.fetch_entries_max);
    resp.entries.assign(state_.log.begin() + static_cast<ptrdiff_t>(first),
                        state_.log.begin() + static_cast<ptrdiff_t>(last));
    out.push_back({self_, from, resp});
}

void QuorumReplica::on_fetch_response(NodeId from, const FetchResponse& r, Instant now,
                                      std::vector<Message>& out) {
    (void)out;
    if (r.epoch > state_.epoch) {
        observe_epoch(r.epoch,
                      r.leader.value() >= 0 ? std::optional<NodeId>(r.leader) : std::nullopt, now);
        return;
    }
    if (role_ != Role::follower || r.epoch != state_.epoch || leader_ != from ||
        r.leader != from) {
        return;
    }
    fetch_in_flight_ = false;
    last_leader_contact_ = now;
    if (r.diverging) {
        // Truncate to where the leader's diverging epoch ends, or where our own log leaves that
        // epoch if sooner: our entries after it belong to epochs the leader does not have.
        const int64_t to = std::min(r.diverging->end_offset,
                                    end_of_epoch(r.diverging->epoch).end_offset);
        state_.log.resize(static_cast<size_t>(to));
        high_watermark_ = std::min(high_watermark_, to);
        next_fetch_at_ = now;
        return;
    }
    if (r.base_offset != end_offset()) {
        next_fetch_at_ = now;  // an answer to an older fetch
        return;
    }
    state_.log.insert(state_.log.end(), r.entries.begin(), r.entries.end());
    high_watermark_ = std::max(high_watermark_, std::min(r.high_watermark, end_offset()));
    next_fetch_at_ = r.entries.empty() ? now + config_.fetch_interval : now;
}

void QuorumReplica::advance_high_watermark() {
    std::vector<int64_t> ends{end_offset()};
    for (const auto& [v, end] : follower_end_) {
        ends.push_back(end);
    }
    std::sort(ends.begin(), ends.end(), std::greater<>());
    const int64_t replicated = ends[majority() - 1];
    if (replicated > epoch_start_offset_ && replicated > high_watermark_) {
        high_watermark_ = replicated;
    }
}

}  // namespace eddy::raft
