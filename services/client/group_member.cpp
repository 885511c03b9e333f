// A consumer's group membership (see group_member.h).
#include "services/client/group_member.h"

#include <algorithm>
#include <map>

#include "core/protocol/generated/heartbeat.h"
#include "core/protocol/generated/join_group.h"
#include "core/protocol/generated/leave_group.h"
#include "core/protocol/generated/offset_commit.h"
#include "core/protocol/generated/sync_group.h"
#include "services/client/assignor.h"

namespace eddy::client {

namespace {

// The subscription version we send: v1 (user data), what librdkafka 2.0 sends; the coordinator
// and other members read any version.
constexpr int16_t subscription_version = 1;
constexpr int16_t assignment_version = 1;

bool coordinator_gone(int16_t code) {
    return code == error_code::coordinator_load_in_progress ||
           code == error_code::coordinator_not_available || code == error_code::not_coordinator;
}

// Answers that mean this member's generation is over.
bool ends_generation(int16_t code) {
    return code == error_code::rebalance_in_progress || code == error_code::illegal_generation ||
           code == error_code::unknown_member_id || code == error_code::fenced_instance_id;
}

}  // namespace

GroupMember::GroupMember(Env& env, Client& client, GroupMemberOptions options)
    : env_(env), client_(client), options_(std::move(options)) {}

Instant GroupMember::call_deadline() const {
    return env_.scheduler.now() + options_.session_timeout;
}

void GroupMember::end_generation(int16_t code) {
    active_ = false;
    // REBALANCE_IN_PROGRESS keeps the generation: the eager protocol still commits in it before
    // joining again. The others end it; an unknown member also joins again without its id (the
    // Java consumer keeps the id after ILLEGAL_GENERATION, and so does this).
    if (code != error_code::rebalance_in_progress) {
        generation_ = -1;
    }
    if (code == error_code::unknown_member_id) {
        member_id_.clear();
    }
}

// What to do after a JoinGroup or SyncGroup error: join again at once (the coordinator told us
// how), after a backoff (it moved or is loading), or give up (`fatal` set).
GroupMember::Step GroupMember::on_join_error(int16_t code, ClientError& fatal) {
    if (code == error_code::member_id_required || code == error_code::rebalance_in_progress ||
        code == error_code::illegal_generation) {
        return Step::retry_now;
    }
    if (code == error_code::unknown_member_id) {
        member_id_.clear();
        return Step::retry_now;
    }
    if (coordinator_gone(code)) {
        client_.forget_coordinator(options_.group_id);
        return Step::retry_later;
    }
    if (is_retriable(code)) {
        return Step::retry_later;
    }
    fatal = ClientError{code, "group '" + options_.group_id + "'"};
    return Step::done;
}

Result<std::vector<protocol::SyncGroupRequest::SyncGroupRequestAssignment>, ClientError>
GroupMember::assign(const protocol::JoinGroupResponse& joined) {
    std::vector<MemberSubscription> members;
    std::set<std::string> topics;
    for (const auto& m : joined.members_) {
        auto subscribed = protocol::parse_subscribed_topics(m.metadata_);
        // A member whose metadata does not parse gets nothing, as in Kafka's leader.
        members.push_back({m.member_id_, subscribed.value_or(std::set<std::string>{})});
        if (subscribed) {
            topics.insert(subscribed->begin(), subscribed->end());
        }
    }
    TRY_ASSIGN(auto md, client_.metadata(std::vector<std::string>(topics.begin(), topics.end())));
    std::map<std::string, int32_t> partitions;
    for (const auto& t : md.topics) {
        if (t.error_code == error_code::none) {
            partitions[t.name] = static_cast<int32_t>(t.partitions.size());
        }
    }
    std::vector<protocol::SyncGroupRequest::SyncGroupRequestAssignment> out;
    for (const auto& [member, list] : range_assign(members, partitions)) {
        protocol::SyncGroupRequest::SyncGroupRequestAssignment a;
        a.member_id_ = member;
        a.assignment_ = protocol::encode_assignment(list, assignment_version);
        out.push_back(std::move(a));
    }
    return out;
}

template <typename Resp>
GroupMember::Step GroupMember::after_call(const Result<Resp, ClientError>& r, ClientError& fatal) {
    if (!r.ok()) {
        if (!is_retriable(r.error().code)) {
            fatal = r.error();
            return Step::done;
        }
        return Step::retry_later;
    }
    if (r->error_code_ == error_code::none) {
        return Step::proceed;
    }
    return on_join_error(r->error_code_, fatal);
}

GroupMember::Step GroupMember::join_once(Instant deadline, ClientError& fatal) {
    protocol::JoinGroupRequest req;
    req.group_id_ = options_.group_id;
    req.session_timeout_ms_ = static_cast<int32_t>(options_.session_timeout.to_millis());
    req.rebalance_timeout_ms_ = static_cast<int32_t>(options_.rebalance_timeout.to_millis());
    req.member_id_ = member_id_;
    req.group_instance_id_ = options_.group_instance_id;
    req.protocol_type_ = protocol::consumer_protocol_type;
    protocol::JoinGroupRequest::JoinGroupRequestProtocol p;
    p.name_ = range_assignor_name;
    p.metadata_ = protocol::encode_subscription(options_.topics, subscription_version);
    req.protocols_.push_back(std::move(p));
    // The coordinator holds a join until every member rejoined or the rebalance timeout.
    const Instant call_end =
        std::min(deadline, env_.scheduler.now() + options_.rebalance_timeout + Duration::seconds(5));
    auto joined =
        client_.call_coordinator<protocol::JoinGroupResponse>(options_.group_id, req, call_end);
    if (joined.ok() && joined->error_code_ == error_code::member_id_required) {
        member_id_ = joined->member_id_;  // KIP-394: join again with this id
    }
    if (const Step s = after_call(joined, fatal); s != Step::proceed) {
        return s;
    }
    member_id_ = joined->member_id_;
    generation_ = joined->generation_id_;
    leader_ = joined->leader_ == member_id_;

    protocol::SyncGroupRequest sync;
    sync.group_id_ = options_.group_id;
    sync.generation_id_ = generation_;
    sync.member_id_ = member_id_;
    sync.group_instance_id_ = options_.group_instance_id;
    sync.protocol_type_ = protocol::consumer_protocol_type;
    sync.protocol_name_ = joined->protocol_name_;
    if (leader_) {
        auto assignments = assign(*joined);
        if (!assignments.ok()) {
            return Step::retry_later;  // joining again starts a new generation
        }
        sync.assignments_ = std::move(assignments).value();
    }
    auto synced =
        client_.call_coordinator<protocol::SyncGroupResponse>(options_.group_id, sync, call_end);
    if (const Step s = after_call(synced, fatal); s != Step::proceed) {
        return s;
    }
    auto partitions = protocol::parse_assignment(synced->assignment_);
    if (!partitions) {
        fatal = ClientError{error_code::inconsistent_group_protocol,
                            "the group leader's assignment is not a consumer protocol assignment"};
        return Step::done;
    }
    assignment_ = std::move(*partitions);
    return Step::proceed;
}

Result<void, ClientError> GroupMember::join(Instant deadline) {
    active_ = false;
    assignment_.clear();
    while (true) {
        if (env_.scheduler.now() >= deadline) {
            return fail(ClientError{error_code::request_timed_out,
                                    "joining group '" + options_.group_id + "' timed out"});
        }
        ClientError fatal;
        switch (join_once(deadline, fatal)) {
            case Step::proceed:
                active_ = true;
                last_heartbeat_ = env_.scheduler.now();
                return {};
            case Step::done: return fail(fatal);
            case Step::retry_now: break;
            case Step::retry_later: env_.scheduler.sleep_for(options_.retry_backoff); break;
        }
    }
}

Result<void, ClientError> GroupMember::heartbeat_if_due() {
    if (!active_ || env_.scheduler.now() < last_heartbeat_ + options_.heartbeat_interval) {
        return {};
    }
    return heartbeat();
}

Result<void, ClientError> GroupMember::heartbeat() {
    protocol::HeartbeatRequest req;
    req.group_id_ = options_.group_id;
    req.generation_id_ = generation_;
    req.member_id_ = member_id_;
    req.group_instance_id_ = options_.group_instance_id;
    TRY_ASSIGN(auto resp, client_.call_coordinator<protocol::HeartbeatResponse>(
                              options_.group_id, req, call_deadline()));
    if (resp.error_code_ == error_code::none) {
        last_heartbeat_ = env_.scheduler.now();
        return {};
    }
    if (ends_generation(resp.error_code_)) {
        end_generation(resp.error_code_);
    } else if (coordinator_gone(resp.error_code_)) {
        client_.forget_coordinator(options_.group_id);
    }
    return fail(ClientError{resp.error_code_, "heartbeat"});
}

Result<void, ClientError> GroupMember::commit(const std::vector<CommittedOffset>& offsets) {
    if (generation_ < 0 || member_id_.empty()) {
        // As the Java consumer's CommitFailedException: a member that lost its generation must
        // not commit (generation -1 would be taken as an admin commit by an empty group).
        return fail(ClientError{error_code::illegal_generation,
                                "not a member of a generation of group '" + options_.group_id +
                                    "'"});
    }
    const protocol::OffsetCommitRequest req = offset_commit_request(
        options_.group_id, generation_, member_id_, options_.group_instance_id, offsets);
    TRY_ASSIGN(auto resp, client_.call_coordinator<protocol::OffsetCommitResponse>(
                              options_.group_id, req, call_deadline()));
    for (const auto& t : resp.topics_) {
        for (const auto& p : t.partitions_) {
            if (p.error_code_ == error_code::none) {
                continue;
            }
            if (ends_generation(p.error_code_)) {
                end_generation(p.error_code_);
            } else if (coordinator_gone(p.error_code_)) {
                client_.forget_coordinator(options_.group_id);
            }
            return fail(ClientError{p.error_code_, "commit of topic '" + t.name_ +
                                                       "' partition " +
                                                       std::to_string(p.partition_index_)});
        }
    }
    return {};
}

Result<void, ClientError> GroupMember::leave() {
    active_ = false;
    if (member_id_.empty() && !options_.group_instance_id) {
        return {};
    }
    protocol::LeaveGroupRequest req;
    req.group_id_ = options_.group_id;
    req.member_id_ = member_id_;  // v0-2
    protocol::LeaveGroupRequest::MemberIdentity me;  // v3+
    me.member_id_ = member_id_;
    me.group_instance_id_ = options_.group_instance_id;
    req.members_.push_back(me);
    TRY_ASSIGN(auto resp, client_.call_coordinator<protocol::LeaveGroupResponse>(
                              options_.group_id, req, call_deadline()));
    member_id_.clear();
    generation_ = -1;
    assignment_.clear();
    int16_t code = resp.error_code_;
    for (const auto& m : resp.members_) {
        if (code == error_code::none) {
            code = m.error_code_;
        }
    }
    if (code != error_code::none && code != error_code::unknown_member_id) {
        return fail(ClientError{code, "leaving group '" + options_.group_id + "'"});
    }
    return {};
}

}  // namespace eddy::client
