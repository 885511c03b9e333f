// GroupCoordinator, part 2: SyncGroup, Heartbeat, LeaveGroup and the timers (session expiry,
// join/sync phase deadlines, MEMBER_ID_REQUIRED expiry, the offsets retention check); member
// removal, protocol selection, the JoinGroup response and the GroupMetadata record.
#include <algorithm>

#include "core/base/assert.h"
#include "services/group/group_coordinator.h"

namespace eddy::group {

void GroupCoordinator::sync_group(Token token, const proto::SyncGroupRequest& req, int16_t version,
                                  Now now, Effects& fx) {
    tick(now, fx);
    const auto error = [&](Errc e) { reply_sync_error(fx, token, version, e); };
    if (req.group_id_.empty()) {
        return error(Errc::invalid_group_id);
    }
    auto it = groups_.find(req.group_id_);
    if (it == groups_.end()) {
        return error(Errc::unknown_member_id);
    }
    Group& g = it->second;
    if (g.state == GroupState::dead) {
        return error(Errc::coordinator_not_available);
    }
    const auto instance_id = version >= 3 ? req.group_instance_id_ : std::nullopt;
    const Errc e = validate_member(g, req.member_id_, instance_id);
    if (e != Errc::none) {
        return error(e);
    }
    if (req.generation_id_ != g.generation) {
        return error(Errc::illegal_generation);
    }
    if (version >= 5 && ((req.protocol_type_ && req.protocol_type_ != g.protocol_type) ||
                         (req.protocol_name_ && req.protocol_name_ != g.protocol_name))) {
        return error(Errc::inconsistent_group_protocol);
    }
    Member& m = g.members.at(req.member_id_);
    const auto respond = [&g](const Member& member, int16_t v) {
        proto::SyncGroupResponse r;
        r.protocol_type_ = g.protocol_type;
        r.protocol_name_ = g.protocol_name;
        r.assignment_ = member.assignment;
        (void)v;
        return r;
    };
    switch (g.state) {
        case GroupState::empty:
            return error(Errc::unknown_member_id);
        case GroupState::dead:
            return error(Errc::coordinator_not_available);
        case GroupState::preparing_rebalance:
            return error(Errc::rebalance_in_progress);
        case GroupState::stable:
            m.session_deadline = now.mono + m.session_timeout;
            fx.replies.push_back(Reply{token, version, respond(m, version)});
            return;
        case GroupState::completing_rebalance:
            break;
    }
    if (m.pending_sync) {
        reply_sync_error(fx, m.pending_sync->first, m.pending_sync->second,
                         Errc::rebalance_in_progress);
    }
    m.pending_sync = {token, version};
    m.session_deadline = now.mono + m.session_timeout;
    if (g.leader_id != m.member_id) {
        return check_invariants();  // followers wait for the leader's assignment
    }
    // The leader's assignment: members it does not mention get an empty one; ids that are not
    // members are ignored (as in Kafka); for a duplicated id the last one wins.
    for (auto& [id, member] : g.members) {
        member.assignment.clear();
    }
    for (const auto& a : req.assignments_) {
        auto target = g.members.find(a.member_id_);
        if (target != g.members.end()) {
            target->second.assignment = a.assignment_;
        }
    }
    ASSERT(g.state == GroupState::completing_rebalance,
           "only the leader's SyncGroup completes a rebalance");
    ASSERT(g.leader_id == m.member_id, "only the leader's SyncGroup completes a rebalance");
    ASSERT(m.pending_sync.has_value(), "the leader's own SyncGroup is answered with the rest");
    g.sync_deadline.reset();
    transition(g, GroupState::stable, now);
    persist_group(g, fx);
    for (auto& [id, member] : g.members) {
        if (member.pending_sync) {
            fx.replies.push_back(Reply{member.pending_sync->first, member.pending_sync->second,
                                       respond(member, member.pending_sync->second)});
            member.pending_sync.reset();
            member.session_deadline = now.mono + member.session_timeout;
        }
    }
    check_invariants();
}

proto::HeartbeatResponse GroupCoordinator::heartbeat(const proto::HeartbeatRequest& req,
                                                     int16_t version, Now now, Effects& fx) {
    tick(now, fx);
    proto::HeartbeatResponse r;
    const auto error = [&r](Errc e) {
        r.error_code_ = code(e);
        return r;
    };
    if (req.group_id_.empty()) {
        return error(Errc::invalid_group_id);
    }
    auto it = groups_.find(req.group_id_);
    if (it == groups_.end()) {
        return error(Errc::unknown_member_id);
    }
    Group& g = it->second;
    if (g.state == GroupState::dead) {
        return error(Errc::coordinator_not_available);
    }
    const auto instance_id = version >= 3 ? req.group_instance_id_ : std::nullopt;
    const Errc e = validate_member(g, req.member_id_, instance_id);
    if (e != Errc::none) {
        return error(e);
    }
    if (req.generation_id_ != g.generation) {
        return error(Errc::illegal_generation);
    }
    Member& m = g.members.at(req.member_id_);
    m.session_deadline = now.mono + m.session_timeout;
    switch (g.state) {
        case GroupState::preparing_rebalance:
            return error(Errc::rebalance_in_progress);  // the signal to rejoin
        case GroupState::completing_rebalance:
        case GroupState::stable:
            return error(Errc::none);
        case GroupState::empty:
        case GroupState::dead:
            UNREACHABLE("a member in a group without members");
    }
    return r;
}

proto::LeaveGroupResponse GroupCoordinator::leave_group(const proto::LeaveGroupRequest& req,
                                                        int16_t version, Now now, Effects& fx) {
    tick(now, fx);
    proto::LeaveGroupResponse r;
    std::vector<proto::LeaveGroupRequest::MemberIdentity> leaving;
    if (version >= 3) {
        leaving = req.members_;
    } else {
        proto::LeaveGroupRequest::MemberIdentity one;
        one.member_id_ = req.member_id_;
        leaving.push_back(std::move(one));
    }
    if (req.group_id_.empty()) {
        r.error_code_ = code(Errc::invalid_group_id);
        return r;
    }
    auto it = groups_.find(req.group_id_);
    if (it != groups_.end() && it->second.state == GroupState::dead) {
        r.error_code_ = code(Errc::coordinator_not_available);
        return r;
    }
    for (const auto& who : leaving) {
        Errc e = Errc::unknown_member_id;
        if (it != groups_.end()) {
            Group& g = it->second;
            std::string id = who.member_id_;
            if (id.empty() && who.group_instance_id_) {
                // KIP-345 admin removal by instance id alone.
                auto s = g.static_members.find(*who.group_instance_id_);
                id = s == g.static_members.end() ? std::string() : s->second;
            }
            if (!id.empty() && g.pending_members.erase(id) > 0) {
                e = Errc::none;
                try_complete_join(g, now, fx);
            } else if (!id.empty()) {
                e = validate_member(g, id, who.group_instance_id_);
                if (e == Errc::none) {
                    remove_member(g, id, Errc::unknown_member_id, now, fx);
                }
            }
        }
        proto::LeaveGroupResponse::MemberResponse mr;
        mr.member_id_ = who.member_id_;
        mr.group_instance_id_ = who.group_instance_id_;
        mr.error_code_ = code(e);
        r.members_.push_back(std::move(mr));
    }
    if (version < 3) {
        r.error_code_ = r.members_.front().error_code_;  // one member: its error is the answer
    }
    check_invariants();
    return r;
}

namespace {

// The earliest timer of a group, and which one it is.
enum class Timer : uint8_t { pending_member, join, sync, session };

std::optional<std::pair<Instant, Timer>> earliest_timer(const Group& g) {
    std::optional<std::pair<Instant, Timer>> out;
    const auto consider = [&out](Instant at, Timer t) {
        if (!out || at < out->first) {
            out = std::make_pair(at, t);
        }
    };
    for (const auto& [id, at] : g.pending_members) {
        consider(at, Timer::pending_member);
    }
    if (g.join_deadline) {
        consider(*g.join_deadline, Timer::join);
    }
    if (g.sync_deadline) {
        consider(*g.sync_deadline, Timer::sync);
    }
    for (const auto& [id, m] : g.members) {
        // A member waiting for its JoinGroup/SyncGroup response is kept alive; the join and sync
        // deadlines bound that wait instead.
        if (!m.pending_join && !m.pending_sync) {
            consider(m.session_deadline, Timer::session);
        }
    }
    return out;
}

}  // namespace

void GroupCoordinator::fire_group_timers(Group& g, Now now, Effects& fx) {
    // One timer at a time, earliest first: each firing removes a member or moves a deadline past
    // `now`, so the loop ends; the bound is a guard against a bug, not a limit.
    for (int round = 0; round < 1'000'000; ++round) {
        const auto t = earliest_timer(g);
        if (!t || t->first > now.mono) {
            return;
        }
        switch (t->second) {
            case Timer::pending_member:
                for (auto it = g.pending_members.begin(); it != g.pending_members.end(); ++it) {
                    if (it->second == t->first) {
                        g.pending_members.erase(it);
                        break;
                    }
                }
                try_complete_join(g, now, fx);
                break;
            case Timer::join:
                on_join_deadline(g, now, fx);
                break;
            case Timer::sync:
                on_sync_deadline(g, now, fx);
                break;
            case Timer::session:
                for (const auto& [id, m] : g.members) {
                    if (!m.pending_join && !m.pending_sync && m.session_deadline == t->first) {
                        const std::string gone = id;
                        remove_member(g, gone, Errc::unknown_member_id, now, fx);
                        break;
                    }
                }
                break;
        }
    }
    UNREACHABLE("group timers do not settle");
}

void GroupCoordinator::tick(Now now, Effects& fx) {
    for (auto& [id, g] : groups_) {
        fire_group_timers(g, now, fx);
    }
    if (!retention_armed_) {
        retention_armed_ = true;
        next_retention_check_ = now.mono + config_.offsets_retention_check_interval;
    }
    if (next_retention_check_ <= now.mono) {
        expire_offsets(now, fx);
        next_retention_check_ = now.mono + config_.offsets_retention_check_interval;
    }
    check_invariants();
}

std::optional<Instant> GroupCoordinator::next_deadline() const {
    std::optional<Instant> out;
    if (retention_armed_) {
        out = next_retention_check_;
    }
    for (const auto& [id, g] : groups_) {
        const auto t = earliest_timer(g);
        if (t && (!out || t->first < *out)) {
            out = t->first;
        }
    }
    return out;
}

void GroupCoordinator::erase_member(Group& g, const std::string& member_id, Errc pending_error,
                                    Effects& fx) {
    auto it = g.members.find(member_id);
    ASSERT(it != g.members.end());
    Member& m = it->second;
    if (m.pending_join) {
        reply_join_error(fx, m.pending_join->first, m.pending_join->second, pending_error,
                         member_id);
    }
    if (m.pending_sync) {
        reply_sync_error(fx, m.pending_sync->first, m.pending_sync->second, pending_error);
    }
    if (m.group_instance_id) {
        auto s = g.static_members.find(*m.group_instance_id);
        if (s != g.static_members.end() && s->second == member_id) {
            g.static_members.erase(s);
        }
    }
    g.members.erase(it);
    if (g.leader_id == member_id) {
        g.leader_id =
            g.members.empty() ? std::nullopt : std::optional<std::string>(g.members.begin()->first);
    }
    ASSERT(!g.members.contains(member_id), "an erased member is gone");
    ASSERT(!g.leader_id || g.members.contains(*g.leader_id), "the leader is a member");
}


void GroupCoordinator::remove_member(Group& g, const std::string& member_id, Errc pending_error,
                                     Now now, Effects& fx) {
    erase_member(g, member_id, pending_error, fx);
    switch (g.state) {
        case GroupState::stable:
        case GroupState::completing_rebalance:
            prepare_rebalance(g, now, fx);
            break;
        case GroupState::preparing_rebalance:
            try_complete_join(g, now, fx);
            break;
        case GroupState::empty:
        case GroupState::dead:
            break;
    }
}

std::string GroupCoordinator::select_protocol(const Group& g) const {
    ASSERT(!g.members.empty());
    // Candidates: the protocols every member supports. Each member votes for the first
    // candidate in its own preference order; the most votes win, ties go to the smallest name
    // (Kafka leaves ties to hash-map order).
    std::map<std::string, int> votes;
    for (const auto& [name, metadata] : g.members.begin()->second.protocols) {
        bool all = true;
        for (const auto& [id, m] : g.members) {
            all = all && m.metadata_for(name) != nullptr;
        }
        if (all) {
            votes[name] = 0;
        }
    }
    ASSERT(!votes.empty(), "members share no protocol");
    for (const auto& [id, m] : g.members) {
        for (const auto& [name, metadata] : m.protocols) {
            auto v = votes.find(name);
            if (v != votes.end()) {
                ++v->second;
                break;
            }
        }
    }
    auto best = votes.begin();
    for (auto v = votes.begin(); v != votes.end(); ++v) {
        if (v->second > best->second) {
            best = v;
        }
    }
    return best->first;
}

proto::JoinGroupResponse GroupCoordinator::join_response(const Group& g, const Member& m,
                                                         int16_t version, bool with_members) const {
    (void)version;
    proto::JoinGroupResponse r;
    r.generation_id_ = g.generation;
    r.protocol_type_ = g.protocol_type;
    r.protocol_name_ = g.protocol_name;
    r.leader_ = g.leader_id.value_or("");
    r.member_id_ = m.member_id;
    if (with_members) {
        for (const auto& [id, other] : g.members) {
            proto::JoinGroupResponse::JoinGroupResponseMember jm;
            jm.member_id_ = id;
            jm.group_instance_id_ = other.group_instance_id;
            const Bytes* metadata = other.metadata_for(*g.protocol_name);
            ASSERT(metadata != nullptr);
            jm.metadata_ = *metadata;
            r.members_.push_back(std::move(jm));
        }
    }
    return r;
}

void GroupCoordinator::persist_group(const Group& g, Effects& fx) const {
    rec::GroupMetadataValue v;
    v.protocol_type_ = g.protocol_type.value_or("");
    v.generation_ = g.generation;
    v.protocol_ = g.protocol_name;
    v.leader_ = g.leader_id;
    v.current_state_timestamp_ = g.state_timestamp ? g.state_timestamp->to_millis() : -1;
    for (const auto& [id, m] : g.members) {
        rec::GroupMetadataValue::MemberMetadata mm;
        mm.member_id_ = id;
        mm.group_instance_id_ = m.group_instance_id;
        mm.client_id_ = m.client_id;
        mm.client_host_ = m.client_host;
        mm.rebalance_timeout_ = static_cast<int32_t>(m.rebalance_timeout.to_millis());
        mm.session_timeout_ = static_cast<int32_t>(m.session_timeout.to_millis());
        const Bytes* metadata = g.protocol_name ? m.metadata_for(*g.protocol_name) : nullptr;
        if (metadata != nullptr) {
            mm.subscription_ = *metadata;
        }
        mm.assignment_ = m.assignment;
        v.members_.push_back(std::move(mm));
    }
    fx.records.push_back(
        make_group_metadata_record(g.group_id, v, record_version::group_metadata_value));
}

}  // namespace eddy::group
