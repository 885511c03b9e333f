// GroupMember: one consumer's membership in a consumer group, speaking the classic group protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit in a generation) to the group's
// coordinator, as Kafka's Java consumer and librdkafka do with the eager "range" protocol:
//
//   join()  JoinGroup (MEMBER_ID_REQUIRED answered by joining again with the given id), and if
//           this member is the leader, the range assignment of every member's subscription;
//           then SyncGroup, which hands out this member's partitions. Repeats until a
//           generation completes.
//   active() true from a completed join until a heartbeat or a commit learns that the
//           generation is over (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID):
//           the caller must then stop working on its partitions, commit what it processed
//           (accepted while the group is only preparing a rebalance) and join() again.
//
// Heartbeats are the caller's: heartbeat_if_due() from its poll loop. A member that does not
// call it for session_timeout is removed by the coordinator; its later commits are refused.
// That fencing is what keeps two members from owning one partition in a generation.
//
// Suspends the calling fiber (every call goes through Client); not safe for concurrent calls.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/protocol/consumer_protocol.h"
#include "core/protocol/generated/join_group.h"
#include "core/protocol/generated/sync_group.h"
#include "services/client/client.h"

namespace eddy::client {

struct GroupMemberOptions {
    std::string group_id;
    std::set<std::string> topics;                   // the subscription
    std::optional<std::string> group_instance_id;   // static membership (KIP-345)
    Duration session_timeout = Duration::seconds(45);     // session.timeout.ms
    Duration rebalance_timeout = Duration::minutes(5);    // max.poll.interval.ms
    Duration heartbeat_interval = Duration::seconds(3);   // heartbeat.interval.ms
    Duration retry_backoff = Duration::millis(100);
};

class GroupMember {
public:
    GroupMember(Env& env, Client& client, GroupMemberOptions options);

    // Joins (again) until this member holds the assignment of a completed generation. Fails
    // with a non-retriable group error (INVALID_SESSION_TIMEOUT, FENCED_INSTANCE_ID,
    // GROUP_AUTHORIZATION_FAILED, ...) or REQUEST_TIMED_OUT at the deadline.
    Result<void, ClientError> join(Instant deadline);

    bool active() const { return active_; }
    int32_t generation() const { return generation_; }
    const std::string& member_id() const { return member_id_; }
    bool leader() const { return leader_; }
    // This member's partitions in the current generation, sorted.
    const protocol::PartitionList& assignment() const { return assignment_; }

    // A heartbeat if heartbeat_interval has passed since the last one. A generation-ending
    // answer clears active() and is returned as the error; a coordinator that cannot be reached
    // is an error too but leaves active() alone (the session may outlive the outage).
    Result<void, ClientError> heartbeat_if_due();
    Result<void, ClientError> heartbeat();

    // OffsetCommit of `offsets` in this member's generation. A refusal that ends the generation
    // clears active(); the first refused partition fails the call with its code.
    Result<void, ClientError> commit(const std::vector<CommittedOffset>& offsets);

    // LeaveGroup, so the group rebalances now rather than after the session timeout. A static
    // member leaves too (what the Java consumer does only when asked to, at close with a
    // GroupMembershipOperation).
    Result<void, ClientError> leave();

private:
    // What follows one round of JoinGroup + SyncGroup.
    enum class Step : uint8_t { proceed, done, retry_now, retry_later };
    Step join_once(Instant deadline, ClientError& fatal);
    template <typename Resp>
    Step after_call(const Result<Resp, ClientError>& r, ClientError& fatal);
    Step on_join_error(int16_t code, ClientError& fatal);
    void end_generation(int16_t code);
    Result<std::vector<protocol::SyncGroupRequest::SyncGroupRequestAssignment>, ClientError>
    assign(const protocol::JoinGroupResponse& joined);
    Instant call_deadline() const;

    Env& env_;
    Client& client_;
    GroupMemberOptions options_;
    std::string member_id_;
    int32_t generation_ = -1;
    bool leader_ = false;
    bool active_ = false;
    protocol::PartitionList assignment_;
    Instant last_heartbeat_;
};

}  // namespace eddy::client
