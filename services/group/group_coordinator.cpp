// GroupCoordinator, part 1: group membership and the rebalance protocol (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, the join/sync/session timers). Offsets, administration and loading are in
// group_offsets.cpp and group_load.cpp. Behaviour follows Kafka's GroupCoordinator.scala /
// GroupMetadataManager.java (classic groups); departures are listed in README.md.
#include "services/group/group_coordinator.h"

#include <algorithm>
#include <cstdio>

#include "core/base/assert.h"
#include "core/protocol/wire.h"

namespace eddy::group {

namespace {

using Protocols = std::vector<std::pair<std::string, Bytes>>;

Protocols protocols_of(const proto::JoinGroupRequest& req) {
    Protocols out;
    for (const auto& p : req.protocols_) {
        out.emplace_back(p.name_, p.metadata_);
    }
    return out;
}

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::optional<std::string> instance_id_of(const proto::JoinGroupRequest& req, int16_t version) {
    return version >= 5 ? req.group_instance_id_ : std::nullopt;
}

}  // namespace

const char* state_name(GroupState s) {
    switch (s) {
        case GroupState::empty:
            return "Empty";
        case GroupState::preparing_rebalance:
            return "PreparingRebalance";
        case GroupState::completing_rebalance:
            return "CompletingRebalance";
        case GroupState::stable:
            return "Stable";
        case GroupState::dead:
            return "Dead";
    }
    return "?";
}

const Bytes* Member::metadata_for(const std::string& protocol) const {
    for (const auto& [name, metadata] : protocols) {
        if (name == protocol) {
            return &metadata;
        }
    }
    return nullptr;
}

Duration Group::rebalance_timeout() const {
    Duration out = Duration::zero();
    for (const auto& [id, m] : members) {
        out = std::max(out, m.rebalance_timeout);
    }
    return out;
}

void reply_join_error(Effects& fx, Token token, int16_t version, Errc e,
                      const std::string& member_id) {
    proto::JoinGroupResponse r;
    r.error_code_ = code(e);
    r.generation_id_ = -1;
    r.protocol_name_ = std::nullopt;
    r.member_id_ = member_id;
    fx.replies.push_back(Reply{token, version, std::move(r)});
}

void reply_sync_error(Effects& fx, Token token, int16_t version, Errc e) {
    proto::SyncGroupResponse r;
    r.error_code_ = code(e);
    fx.replies.push_back(Reply{token, version, std::move(r)});
}

GroupCoordinator::GroupCoordinator(GroupConfig config) : config_(config) {
    ASSERT(config_.session_timeout_min <= config_.session_timeout_max);
    ASSERT(config_.offsets_retention_check_interval > Duration::zero());
}

Group& GroupCoordinator::get_or_create(const std::string& group_id, Now now) {
    auto [it, inserted] = groups_.try_emplace(group_id);
    if (inserted) {
        it->second.group_id = group_id;
        it->second.state_timestamp = now.wall;
    }
    return it->second;
}

std::string GroupCoordinator::new_member_id(const Group& g, const std::string& prefix) {
    for (;;) {
        const uint64_t x = splitmix64(config_.member_id_seed ^ splitmix64(++member_id_counter_));
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(x));
        // Kafka's member id is "<client id>-<uuid>"; the client id part is bounded (echo) so an
        // id never outgrows a Kafka string, however long the client id a request carried.
        std::string id = protocol::echo(prefix);
        id += '-';
        id += hex;
        if (!g.members.contains(id) && !g.pending_members.contains(id)) {
            return id;
        }
    }
}

Errc GroupCoordinator::validate_member(const Group& g, const std::string& member_id,
                                       const std::optional<std::string>& instance_id) const {
    if (instance_id) {
        auto it = g.static_members.find(*instance_id);
        if (it == g.static_members.end()) {
            return Errc::unknown_member_id;
        }
        if (it->second != member_id) {
            return Errc::fenced_instance_id;
        }
        return Errc::none;
    }
    return g.members.contains(member_id) ? Errc::none : Errc::unknown_member_id;
}

void GroupCoordinator::transition(Group& g, GroupState to, Now now) {
    // Kafka's GroupState.validPreviousStates (Dead is never entered here: dead groups are erased).
    switch (to) {
        case GroupState::preparing_rebalance:
            ASSERT(g.state == GroupState::stable || g.state == GroupState::completing_rebalance ||
                       g.state == GroupState::empty,
                   "PreparingRebalance follows Stable, CompletingRebalance or Empty");
            break;
        case GroupState::completing_rebalance:
            ASSERT(g.state == GroupState::preparing_rebalance,
                   "CompletingRebalance follows PreparingRebalance");
            break;
        case GroupState::stable:
            ASSERT(g.state == GroupState::completing_rebalance, "Stable follows CompletingRebalance");
            break;
        case GroupState::empty:
            ASSERT(g.state == GroupState::preparing_rebalance, "Empty follows PreparingRebalance");
            break;
        case GroupState::dead:
            UNREACHABLE("dead groups are erased, never transitioned to");
    }
    g.state = to;
    g.state_timestamp = now.wall;
}

// Kafka's supportsProtocols: an empty group takes any non-empty type and protocol list; otherwise
// the type must match and one of the protocols must be supported by every member.
static bool supports_protocols(const Group& g, const proto::JoinGroupRequest& req) {
    if (req.protocol_type_.empty() || req.protocols_.empty()) {
        return false;
    }
    if (g.members.empty()) {
        return true;
    }
    if (g.protocol_type != req.protocol_type_) {
        return false;
    }
    for (const auto& p : req.protocols_) {
        bool all = true;
        for (const auto& [id, m] : g.members) {
            all = all && m.metadata_for(p.name_) != nullptr;
        }
        if (all) {
            return true;
        }
    }
    return false;
}

void GroupCoordinator::join_group(Token token, const proto::JoinGroupRequest& req, int16_t version,
                                  const ClientInfo& client, Now now, Effects& fx) {
    tick(now, fx);
    const auto instance_id = instance_id_of(req, version);
    const Duration session = Duration::millis(req.session_timeout_ms_);
    if (req.group_id_.empty()) {
        return reply_join_error(fx, token, version, Errc::invalid_group_id, req.member_id_);
    }
    if (session < config_.session_timeout_min || session > config_.session_timeout_max) {
        return reply_join_error(fx, token, version, Errc::invalid_session_timeout, req.member_id_);
    }
    auto it = groups_.find(req.group_id_);
    if (it == groups_.end() && !req.member_id_.empty()) {
        return reply_join_error(fx, token, version, Errc::unknown_member_id, req.member_id_);
    }
    // Checked before the group is created, so a refused join leaves nothing behind.
    static const Group no_members;
    if (!supports_protocols(it == groups_.end() ? no_members : it->second, req)) {
        return reply_join_error(fx, token, version, Errc::inconsistent_group_protocol,
                                req.member_id_);
    }
    Group& g = get_or_create(req.group_id_, now);
    if (g.state == GroupState::dead) {
        return reply_join_error(fx, token, version, Errc::coordinator_not_available,
                                req.member_id_);
    }
    if (req.member_id_.empty()) {
        if (instance_id) {
            auto s = g.static_members.find(*instance_id);
            if (s != g.static_members.end()) {
                const std::string old_id = s->second;
                replace_static_member(g, token, req, version, old_id, now, fx);
                return check_invariants();
            }
        }
        if (g.members.size() + g.pending_members.size() >=
            static_cast<size_t>(config_.group_max_size)) {
            return reply_join_error(fx, token, version, Errc::group_max_size_reached, "");
        }
        const std::string id = new_member_id(g, instance_id ? *instance_id : client.client_id);
        if (!instance_id && version >= 4) {
            // KIP-394: hand out the id and make the client come back with it, so a client that
            // loses this response does not leave a ghost member behind.
            g.pending_members[id] = now.mono + session;
            return reply_join_error(fx, token, version, Errc::member_id_required, id);
        }
        join_new_member(g, token, req, version, client, id, now, fx);
        return check_invariants();
    }
    if (g.pending_members.erase(req.member_id_) > 0) {
        join_new_member(g, token, req, version, client, req.member_id_, now, fx);
        return check_invariants();
    }
    const Errc e = validate_member(g, req.member_id_, instance_id);
    if (e != Errc::none) {
        return reply_join_error(fx, token, version, e, req.member_id_);
    }
    join_existing_member(g, token, req, version, now, fx);
    check_invariants();
}

void GroupCoordinator::join_new_member(Group& g, Token token, const proto::JoinGroupRequest& req,
                                       int16_t version, const ClientInfo& client,
                                       const std::string& member_id, Now now, Effects& fx) {
    ASSERT(!g.members.contains(member_id));
    Member m;
    m.member_id = member_id;
    m.group_instance_id = instance_id_of(req, version);
    m.client_id = client.client_id;
    m.client_host = client.client_host;
    m.session_timeout = Duration::millis(req.session_timeout_ms_);
    // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout.
    m.rebalance_timeout =
        version >= 1 ? Duration::millis(req.rebalance_timeout_ms_) : m.session_timeout;
    m.protocols = protocols_of(req);
    m.session_deadline = now.mono + m.session_timeout;
    m.pending_join = {token, version};
    if (g.members.empty()) {
        g.protocol_type = req.protocol_type_;
    }
    if (m.group_instance_id) {
        g.static_members[*m.group_instance_id] = member_id;
    }
    g.members.emplace(member_id, std::move(m));
    if (!g.leader_id) {
        g.leader_id = member_id;
    }
    ASSERT(g.members.contains(*g.leader_id), "the leader is a member");
    g.new_member_added = true;
    switch (g.state) {
        case GroupState::empty:
        case GroupState::stable:
        case GroupState::completing_rebalance:
            prepare_rebalance(g, now, fx);
            break;
        case GroupState::preparing_rebalance:
            try_complete_join(g, now, fx);
            break;
        case GroupState::dead:
            UNREACHABLE("join of a dead group");
    }
}

void GroupCoordinator::join_existing_member(Group& g, Token token,
                                            const proto::JoinGroupRequest& req, int16_t version,
                                            Now now, Effects& fx) {
    Member& m = g.members.at(req.member_id_);
    const Protocols protocols = protocols_of(req);
    const bool changed = protocols != m.protocols;
    const auto update = [&] {
        m.protocols = protocols;
        m.session_timeout = Duration::millis(req.session_timeout_ms_);
        m.rebalance_timeout =
            version >= 1 ? Duration::millis(req.rebalance_timeout_ms_) : m.session_timeout;
        if (m.pending_join) {  // a retried JoinGroup supersedes the one still waiting
            reply_join_error(fx, m.pending_join->first, m.pending_join->second,
                             Errc::rebalance_in_progress, m.member_id);
        }
        m.pending_join = {token, version};
    };
    m.session_deadline = now.mono + m.session_timeout;
    switch (g.state) {
        case GroupState::preparing_rebalance:
            update();
            try_complete_join(g, now, fx);
            return;
        case GroupState::completing_rebalance:
            if (!changed) {  // the member lost its JoinGroup response: send it again
                const bool leader = g.leader_id == m.member_id;
                fx.replies.push_back(Reply{token, version, join_response(g, m, version, leader)});
                return;
            }
            update();
            prepare_rebalance(g, now, fx);
            return;
        case GroupState::stable:
            if (!changed && g.leader_id != m.member_id) {
                fx.replies.push_back(Reply{token, version, join_response(g, m, version, false)});
                return;
            }
            update();
            prepare_rebalance(g, now, fx);
            return;
        case GroupState::empty:
        case GroupState::dead:
            UNREACHABLE("a member in a group without members");
    }
}

void GroupCoordinator::replace_static_member(Group& g, Token token,
                                             const proto::JoinGroupRequest& req, int16_t version,
                                             const std::string& old_id, Now now, Effects& fx) {
    auto node = g.members.extract(old_id);
    ASSERT(!node.empty());
    Member m = std::move(node.mapped());
    if (m.pending_join) {
        reply_join_error(fx, m.pending_join->first, m.pending_join->second,
                         Errc::fenced_instance_id, old_id);
        m.pending_join.reset();
    }
    if (m.pending_sync) {
        reply_sync_error(fx, m.pending_sync->first, m.pending_sync->second,
                         Errc::fenced_instance_id);
        m.pending_sync.reset();
    }
    const std::string new_id = new_member_id(g, *m.group_instance_id);
    m.member_id = new_id;
    m.protocols = protocols_of(req);
    m.session_timeout = Duration::millis(req.session_timeout_ms_);
    m.rebalance_timeout = Duration::millis(req.rebalance_timeout_ms_);
    m.session_deadline = now.mono + m.session_timeout;
    g.static_members[*m.group_instance_id] = new_id;
    if (g.leader_id == old_id) {
        g.leader_id = new_id;
    }
    ASSERT(!g.members.contains(new_id), "a fresh member id is unused");
    Member& placed = g.members.emplace(new_id, std::move(m)).first->second;

    switch (g.state) {
        case GroupState::stable:
            // KIP-345: a static member coming back with a new member id takes over its
            // assignment without a rebalance, unless the group's protocol would change.
            if (select_protocol(g) == g.protocol_name) {
                persist_group(g, fx);
                const bool leader = g.leader_id == new_id && version >= 9;
                auto r = join_response(g, placed, version, leader);
                r.skip_assignment_ = leader;  // KIP-814: the leader keeps its old assignment
                fx.replies.push_back(Reply{token, version, std::move(r)});
                return;
            }
            placed.pending_join = {token, version};
            prepare_rebalance(g, now, fx);
            return;
        case GroupState::completing_rebalance:
            // The leader may be assigning to the old member id: start over.
            placed.pending_join = {token, version};
            prepare_rebalance(g, now, fx);
            return;
        case GroupState::preparing_rebalance:
            placed.pending_join = {token, version};
            try_complete_join(g, now, fx);
            return;
        case GroupState::empty:
        case GroupState::dead:
            UNREACHABLE("a static member in a group without members");
    }
}

void GroupCoordinator::prepare_rebalance(Group& g, Now now, Effects& fx) {
    if (g.state == GroupState::completing_rebalance) {
        for (auto& [id, m] : g.members) {
            m.assignment.clear();
            if (m.pending_sync) {
                reply_sync_error(fx, m.pending_sync->first, m.pending_sync->second,
                                 Errc::rebalance_in_progress);
                m.pending_sync.reset();
            }
        }
    }
    g.sync_deadline.reset();
    const Duration timeout = g.rebalance_timeout();
    if (g.state == GroupState::empty && config_.initial_rebalance_delay > Duration::zero()) {
        const Duration delay = std::min(config_.initial_rebalance_delay, timeout);
        g.initial_delay_remaining = timeout - delay;
        g.join_deadline = now.mono + delay;
    } else {
        g.initial_delay_remaining.reset();
        g.join_deadline = now.mono + timeout;
    }
    g.new_member_added = false;
    transition(g, GroupState::preparing_rebalance, now);
    try_complete_join(g, now, fx);
}

void GroupCoordinator::try_complete_join(Group& g, Now now, Effects& fx) {
    if (g.state != GroupState::preparing_rebalance || g.initial_delay_remaining ||
        !g.pending_members.empty()) {
        return;
    }
    for (const auto& [id, m] : g.members) {
        if (!m.pending_join) {
            return;
        }
    }
    complete_join(g, now, fx);
}

void GroupCoordinator::on_join_deadline(Group& g, Now now, Effects& fx) {
    if (g.initial_delay_remaining) {
        if (g.new_member_added && *g.initial_delay_remaining > Duration::zero()) {
            const Duration delay =
                std::min(config_.initial_rebalance_delay, *g.initial_delay_remaining);
            g.initial_delay_remaining = *g.initial_delay_remaining - delay;
            g.new_member_added = false;
            // From the deadline, not from `now`: a late tick must not stretch the delay.
            g.join_deadline = *g.join_deadline + delay;
            return;
        }
        g.initial_delay_remaining.reset();
    }
    complete_join(g, now, fx);
}

void GroupCoordinator::complete_join(Group& g, Now now, Effects& fx) {
    ASSERT(g.state == GroupState::preparing_rebalance);
    g.join_deadline.reset();
    g.initial_delay_remaining.reset();
    // Dynamic members that did not rejoin in time are out; static ones stay until their session
    // expires (KIP-345).
    std::vector<std::string> gone;
    for (const auto& [id, m] : g.members) {
        if (!m.pending_join && !m.group_instance_id) {
            gone.push_back(id);
        }
    }
    for (const auto& id : gone) {
        erase_member(g, id, Errc::unknown_member_id, fx);
    }
    const int32_t generation_before = g.generation;
    if (g.members.empty()) {
        ++g.generation;
        ASSERT(g.generation > generation_before, "generations only grow");
        g.protocol_name.reset();
        g.leader_id.reset();
        transition(g, GroupState::empty, now);
        persist_group(g, fx);
        return;
    }
    if (!g.members.at(*g.leader_id).pending_join) {
        const auto joined = std::find_if(g.members.begin(), g.members.end(),
                                         [](const auto& kv) { return kv.second.pending_join; });
        if (joined == g.members.end()) {
            // Only static members that have not rejoined: wait another round for them to come
            // back or for their sessions to expire.
            g.join_deadline = now.mono + std::max(g.rebalance_timeout(), Duration::millis(1));
            return;
        }
        g.leader_id = joined->first;
    }
    ASSERT(g.leader_id, "the new generation's leader is a member that rejoined");
    ASSERT(g.members.at(*g.leader_id).pending_join,
           "the new generation's leader is a member that rejoined");
    ++g.generation;
    ASSERT(g.generation > generation_before, "generations only grow");
    g.protocol_name = select_protocol(g);
    transition(g, GroupState::completing_rebalance, now);
    g.sync_deadline = now.mono + std::max(g.rebalance_timeout(), Duration::millis(1));
    for (auto& [id, m] : g.members) {
        if (m.pending_join) {
            fx.replies.push_back(
                Reply{m.pending_join->first, m.pending_join->second,
                      join_response(g, m, m.pending_join->second, g.leader_id == id)});
            m.pending_join.reset();
            m.session_deadline = now.mono + m.session_timeout;
        }
    }
}

void GroupCoordinator::on_sync_deadline(Group& g, Now now, Effects& fx) {
    ASSERT(g.state == GroupState::completing_rebalance);
    // The leader's assignment did not arrive within the rebalance timeout: the members that have
    // not sent SyncGroup (the leader among them) are removed and the group rebalances.
    std::vector<std::string> gone;
    for (const auto& [id, m] : g.members) {
        if (!m.pending_sync) {
            gone.push_back(id);
        }
    }
    ASSERT(!gone.empty(), "the leader has not synced");
    for (const auto& id : gone) {
        erase_member(g, id, Errc::unknown_member_id, fx);
    }
    prepare_rebalance(g, now, fx);
}

}  // namespace eddy::group
