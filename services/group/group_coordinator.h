// GroupCoordinator: the classic consumer-group protocol (JoinGroup/SyncGroup/Heartbeat/
// LeaveGroup, KIP-62 rebalance timeouts, KIP-345 static membership, KIP-394 MEMBER_ID_REQUIRED)
// and committed offsets, for all the groups of one `__consumer_offsets` partition, as a plain
// state machine: each call takes a request, the time (`Now`) and returns a response, plus Effects
// (records to append and deferred responses now ready). No fibers, no I/O, no clock: timers come
// out as `next_deadline()`, which the caller arms and answers with `tick()`.
//
// Nothing here suspends a fiber: every method is synchronous and touches only this object.
//
// Requests and responses are the generated protocol structs (core/protocol/generated), with the
// request's API version passed alongside, so the broker decodes, calls, encodes; the version
// rules (v4+ MEMBER_ID_REQUIRED, v3+ batch leave, v8+ multi-group OffsetFetch) live here.
//
// Deferred responses: join_group and sync_group never return their response; it comes out in
// Effects::replies with the caller's token, in the same call or a later one. Every token gets
// exactly one reply. Before any reply or response of a call is sent, the caller must make that
// call's Effects::records durable; if it cannot, it must drop this coordinator and `load()` it
// again from the log (the in-memory state may be ahead of the log; see README.md).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/protocol/generated/delete_groups.h"
#include "core/protocol/generated/describe_groups.h"
#include "core/protocol/generated/heartbeat.h"
#include "core/protocol/generated/join_group.h"
#include "core/protocol/generated/leave_group.h"
#include "core/protocol/generated/list_groups.h"
#include "core/protocol/generated/offset_commit.h"
#include "core/protocol/generated/offset_delete.h"
#include "core/protocol/generated/offset_fetch.h"
#include "core/protocol/generated/sync_group.h"
#include "services/group/group.h"
#include "services/group/group_errors.h"

namespace eddy::group {

namespace proto = eddy::protocol;

class GroupCoordinator {
public:
    explicit GroupCoordinator(GroupConfig config);

    // Rebuilds the state from a replay of the partition's records, oldest first. Groups with
    // members come back Stable (their members' sessions restart at `now`), others Empty. Records
    // this coordinator does not use are skipped; an undecodable record fails the load.
    static Result<GroupCoordinator, RecordError> load(GroupConfig config,
                                                      std::span<const GroupRecord> records,
                                                      Now now);

    // --- Group membership (the response of join/sync comes in Effects::replies) ---
    void join_group(Token token, const proto::JoinGroupRequest& req, int16_t version,
                    const ClientInfo& client, Now now, Effects& fx);
    void sync_group(Token token, const proto::SyncGroupRequest& req, int16_t version, Now now,
                    Effects& fx);
    proto::HeartbeatResponse heartbeat(const proto::HeartbeatRequest& req, int16_t version, Now now,
                                       Effects& fx);
    proto::LeaveGroupResponse leave_group(const proto::LeaveGroupRequest& req, int16_t version,
                                          Now now, Effects& fx);

    // --- Offsets ---
    proto::OffsetCommitResponse offset_commit(const proto::OffsetCommitRequest& req,
                                              int16_t version, Now now, Effects& fx);
    proto::OffsetFetchResponse offset_fetch(const proto::OffsetFetchRequest& req,
                                            int16_t version) const;
    proto::OffsetDeleteResponse offset_delete(const proto::OffsetDeleteRequest& req,
                                              int16_t version, Now now, Effects& fx);

    // --- Administration ---
    proto::DescribeGroupsResponse describe_groups(const proto::DescribeGroupsRequest& req,
                                                  int16_t version) const;
    proto::ListGroupsResponse list_groups(const proto::ListGroupsRequest& req,
                                          int16_t version) const;
    proto::DeleteGroupsResponse delete_groups(const proto::DeleteGroupsRequest& req,
                                              int16_t version, Now now, Effects& fx);

    // --- Transactions (the hook OffsetFetch RequireStable needs; TxnOffsetCommit is not wired
    // yet): an offset staged by an open transaction makes RequireStable fetches of that partition
    // answer UNSTABLE_OFFSET_COMMIT until the transaction ends. ---
    void stage_transactional_offset(const std::string& group_id, const std::string& topic,
                                    int32_t partition);
    void end_transactional_offset(const std::string& group_id, const std::string& topic,
                                  int32_t partition);

    // --- Timers ---
    // The earliest instant at which tick() has work (session expiry, join/sync phase end,
    // pending-member expiry, the offsets retention check), or none.
    std::optional<Instant> next_deadline() const;
    // Fires every timer due at `now`. Every mutating call does this first as well, so a late
    // timer never lets an expired member act.
    void tick(Now now, Effects& fx);

    // --- Inspection (tests, CLI) ---
    const Group* find_group(std::string_view group_id) const;
    const std::map<std::string, Group>& groups() const { return groups_; }
    // ASSERTs the invariants listed in group.h for every group.
    void check_invariants() const;

private:
    Group& get_or_create(const std::string& group_id, Now now);
    std::string new_member_id(const Group& g, const std::string& prefix);
    Errc validate_member(const Group& g, const std::string& member_id,
                         const std::optional<std::string>& instance_id) const;

    // Rebalance machinery (group_coordinator.cpp).
    void join_new_member(Group& g, Token token, const proto::JoinGroupRequest& req, int16_t version,
                         const ClientInfo& client, const std::string& member_id, Now now,
                         Effects& fx);
    void join_existing_member(Group& g, Token token, const proto::JoinGroupRequest& req,
                              int16_t version, Now now, Effects& fx);
    void replace_static_member(Group& g, Token token, const proto::JoinGroupRequest& req,
                               int16_t version, const std::string& old_id, Now now, Effects& fx);
    void prepare_rebalance(Group& g, Now now, Effects& fx);
    void try_complete_join(Group& g, Now now, Effects& fx);
    void complete_join(Group& g, Now now, Effects& fx);
    void on_join_deadline(Group& g, Now now, Effects& fx);
    void on_sync_deadline(Group& g, Now now, Effects& fx);
    void erase_member(Group& g, const std::string& member_id, Errc pending_error, Effects& fx);
    void remove_member(Group& g, const std::string& member_id, Errc pending_error, Now now,
                       Effects& fx);
    void transition(Group& g, GroupState to, Now now);
    std::string select_protocol(const Group& g) const;
    proto::JoinGroupResponse join_response(const Group& g, const Member& m, int16_t version,
                                           bool with_members) const;
    void persist_group(const Group& g, Effects& fx) const;
    void expire_offsets(Now now, Effects& fx);
    void fire_group_timers(Group& g, Now now, Effects& fx);

    GroupConfig config_;
    std::map<std::string, Group> groups_;
    uint64_t member_id_counter_ = 0;
    Instant next_retention_check_;
    bool retention_armed_ = false;
};

// Helpers shared by the coordinator's files.
void reply_join_error(Effects& fx, Token token, int16_t version, Errc e,
                      const std::string& member_id);
void reply_sync_error(Effects& fx, Token token, int16_t version, Errc e);

}  // namespace eddy::group
