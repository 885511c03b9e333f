// Group coordinator membership paths: JoinGroup (MEMBER_ID_REQUIRED, leader election, protocol
// selection, errors), SyncGroup, Heartbeat, LeaveGroup, session/rebalance/sync timeouts, the
// initial rebalance delay and static membership.
#include "tests/unit/group/group_test_util.h"

using namespace eddy;
using namespace eddy::group;
using namespace eddy::group::test;

namespace {
const std::vector<std::pair<std::string, Bytes>> range{{"range", sub({"t"})}};
}

TEST_SUITE_BEGIN("group");
TEST_CASE("group join: MEMBER_ID_REQUIRED, leader election, sync and Stable") {
    Rig rig;
    auto [a, ta] = rig.join_new("g", range);
    // A single member completes the join at once (initial delay 0 in this rig).
    const auto& ja = rig.join_reply(ta);
    CHECK(ja.error_code_ == 0);
    CHECK(ja.generation_id_ == 1);
    CHECK(ja.leader_ == a);
    CHECK(ja.member_id_ == a);
    CHECK(ja.protocol_name_ == "range");
    CHECK(ja.members_.size() == 1);
    CHECK(rig.state("g") == GroupState::completing_rebalance);

    // A second member: the group rebalances; the first must rejoin.
    auto [b, tb] = rig.join_new("g", range);
    CHECK(!rig.replies.contains(tb));
    CHECK(rig.state("g") == GroupState::preparing_rebalance);
    CHECK(rig.heartbeat("g", a, 1) == code(Errc::rebalance_in_progress));
    const Token ta2 = rig.join("g", a, range);
    const auto& j2 = rig.join_reply(ta2);
    const auto& jb = rig.join_reply(tb);
    CHECK(j2.generation_id_ == 2);
    CHECK(j2.leader_ == a);  // the leader stays the leader
    CHECK(j2.members_.size() == 2);
    CHECK(jb.members_.empty());  // followers get no member list

    // The follower's SyncGroup waits for the leader's.
    const Token sb = rig.sync("g", b, 2);
    CHECK(!rig.replies.contains(sb));
    const Token sa = rig.sync("g", a, 2, {{a, to_bytes("A")}, {b, to_bytes("B")}});
    CHECK(rig.sync_reply(sa).assignment_ == to_bytes("A"));
    CHECK(rig.sync_reply(sb).assignment_ == to_bytes("B"));
    CHECK(rig.state("g") == GroupState::stable);
    CHECK(rig.heartbeat("g", b, 2) == 0);
    // A SyncGroup in Stable answers at once with the current assignment.
    CHECK(rig.sync_reply(rig.sync("g", b, 2)).assignment_ == to_bytes("B"));
    CHECK(!rig.log.empty());  // the GroupMetadata record of generation 2
}

TEST_CASE("group join: v0-3 joins without MEMBER_ID_REQUIRED; errors") {
    Rig rig;
    const Token t = rig.join("g", "", range, 3);
    CHECK(rig.join_reply(t).error_code_ == 0);
    CHECK(rig.join_reply(t).generation_id_ == 1);
    const std::string a = rig.join_reply(t).member_id_;
    CHECK(a.rfind("client-", 0) == 0);

    CHECK(rig.join_reply(rig.join("", "", range)).error_code_ == code(Errc::invalid_group_id));
    CHECK(rig.join_reply(rig.join("g", "", range, 5, std::nullopt, Duration::seconds(1)))
              .error_code_ == code(Errc::invalid_session_timeout));
    CHECK(rig.join_reply(rig.join("nope", "m-1", range)).error_code_ ==
          code(Errc::unknown_member_id));
    CHECK(rig.join_reply(rig.join("g", "m-1", range)).error_code_ == code(Errc::unknown_member_id));
    // No protocol in common with the group, or another protocol type.
    CHECK(rig.join_reply(rig.join("g", "", {{"roundrobin", {}}}, 3)).error_code_ ==
          code(Errc::inconsistent_group_protocol));
    CHECK(rig.join_reply(rig.join("g", "", range, 3, std::nullopt, Duration::seconds(10),
                                  Duration::seconds(30), "connect"))
              .error_code_ == code(Errc::inconsistent_group_protocol));
    CHECK(rig.join_reply(rig.join("g2", "", {}, 3)).error_code_ ==
          code(Errc::inconsistent_group_protocol));
}

TEST_CASE("group join: protocol selection by votes among the common protocols") {
    Rig rig;
    const Token t1 = rig.join("g", "", {{"range", {}}, {"roundrobin", {}}, {"sticky", {}}}, 3);
    const std::string a = rig.join_reply(t1).member_id_;
    const Token t2 = rig.join("g", "", {{"roundrobin", {}}, {"range", {}}}, 3);
    const Token t3 = rig.join("g", "", {{"roundrobin", {}}, {"range", {}}}, 3);
    const Token r1 = rig.join("g", a, {{"range", {}}, {"roundrobin", {}}, {"sticky", {}}}, 3);
    CHECK(rig.join_reply(t2).generation_id_ == 2);
    (void)t2;
    (void)t3;
    CHECK(rig.join_reply(r1).protocol_name_ == "roundrobin");
}

TEST_CASE("group heartbeat and sync: fencing errors") {
    Rig rig;
    auto [a, ta] = rig.join_new("g", range);
    CHECK(rig.heartbeat("g", a, 0) == code(Errc::illegal_generation));
    CHECK(rig.heartbeat("g", "x", 1) == code(Errc::unknown_member_id));
    CHECK(rig.heartbeat("nope", a, 1) == code(Errc::unknown_member_id));
    CHECK(rig.heartbeat("", a, 1) == code(Errc::invalid_group_id));
    CHECK(rig.heartbeat("g", a, 1) == 0);  // CompletingRebalance: fine
    CHECK(rig.sync_reply(rig.sync("g", a, 0)).error_code_ == code(Errc::illegal_generation));
    CHECK(rig.sync_reply(rig.sync("g", "x", 1)).error_code_ == code(Errc::unknown_member_id));
    CHECK(rig.sync_reply(rig.sync("nope", a, 1)).error_code_ == code(Errc::unknown_member_id));
    proto::SyncGroupRequest r;
    r.group_id_ = "g";
    r.member_id_ = a;
    r.generation_id_ = 1;
    r.protocol_name_ = "roundrobin";
    Effects fx;
    rig.gc().sync_group(99, r, 5, rig.now(), fx);
    rig.absorb(fx);
    CHECK(rig.sync_reply(99).error_code_ == code(Errc::inconsistent_group_protocol));
}

TEST_CASE("group timeouts: session expiry removes a member and rebalances") {
    Rig rig;
    auto [a, ta] = rig.join_new("g", range);
    rig.sync("g", a, 1, {{a, to_bytes("A")}});
    auto [b, tb] = rig.join_new("g", range);
    rig.join("g", a, range);
    rig.sync("g", a, 2, {{a, {}}, {b, {}}});
    rig.sync("g", b, 2);
    CHECK(rig.state("g") == GroupState::stable);
    // b heartbeats, a goes silent.
    for (int i = 0; i < 2; ++i) {
        rig.advance(Duration::seconds(4));
        CHECK(rig.heartbeat("g", b, 2) == 0);
    }
    rig.advance(Duration::seconds(4));  // 12 s: a's 10 s session is over
    CHECK(rig.gc().find_group("g")->members.size() == 1);
    CHECK(rig.state("g") == GroupState::preparing_rebalance);
    CHECK(rig.heartbeat("g", a, 2) == code(Errc::unknown_member_id));
    CHECK(rig.heartbeat("g", b, 2) == code(Errc::rebalance_in_progress));
    const Token rb = rig.join("g", b, range);
    CHECK(rig.join_reply(rb).generation_id_ == 3);
    CHECK(rig.join_reply(rb).leader_ == b);
    REQUIRE(rig.gc().next_deadline());
}

TEST_CASE("group timeouts: a member that does not rejoin is dropped at the rebalance timeout") {
    Rig rig;
    auto [a, ta] = rig.join_new("g", range);
    rig.sync("g", a, 1, {});
    auto [b, tb] = rig.join_new("g", range);
    // a keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins.
    for (int i = 0; i < 10; ++i) {
        rig.advance(Duration::seconds(3));
        rig.heartbeat("g", a, 1);
        rig.heartbeat("g", b, 1);
    }
    const auto& jb = rig.join_reply(tb);
    CHECK(jb.generation_id_ == 2);
    CHECK(jb.leader_ == b);
    CHECK(jb.members_.size() == 1);
}

TEST_CASE("group timeouts: a leader that never syncs is removed at the sync deadline") {
    Rig rig;
    const Duration session = Duration::seconds(60);  // longer than the sync phase
    const Duration rebalance = Duration::seconds(30);
    const std::string a =
        rig.join_reply(rig.join("g", "", range, 3, std::nullopt, session, rebalance)).member_id_;
    rig.sync("g", a, 1, {});
    const Token tb = rig.join("g", "", range, 3, std::nullopt, session, rebalance);
    rig.join("g", a, range, 3, std::nullopt, session, rebalance);
    const std::string b = rig.join_reply(tb).member_id_;
    const Token sb = rig.sync("g", b, 2);
    rig.advance(Duration::seconds(31));
    CHECK(rig.sync_reply(sb).error_code_ == code(Errc::rebalance_in_progress));
    CHECK(!rig.gc().find_group("g")->members.contains(a));
    CHECK(rig.state("g") == GroupState::preparing_rebalance);
}

TEST_CASE("group timeouts: the initial rebalance delay waits for more members") {
    GroupConfig cfg;
    cfg.initial_rebalance_delay = Duration::seconds(3);
    Rig rig(cfg);
    auto [a, ta] = rig.join_new("g", range);
    rig.advance(Duration::seconds(2));
    auto [b, tb] = rig.join_new("g", range);
    rig.advance(Duration::seconds(2));  // 4s: past the first delay, but a member arrived
    CHECK(!rig.replies.contains(ta));
    rig.advance(Duration::seconds(2));
    CHECK(rig.join_reply(ta).generation_id_ == 1);
    CHECK(rig.join_reply(tb).generation_id_ == 1);
}

TEST_CASE("group leave: v0-2 single member, v3+ batch, by instance id, pending member") {
    Rig rig;
    auto [a, ta] = rig.join_new("g", range);
    rig.sync("g", a, 1, {});
    proto::LeaveGroupRequest r;
    r.group_id_ = "g";
    r.member_id_ = "nobody";
    Effects fx;
    CHECK(rig.gc().leave_group(r, 1, rig.now(), fx).error_code_ == code(Errc::unknown_member_id));

    const Token s = rig.join("g", "", range, 5, "inst-1");  // static member joins
    rig.join("g", a, range);
    const std::string st = rig.join_reply(s).member_id_;
    rig.sync("g", a, 2, {});
    proto::LeaveGroupRequest batch;
    batch.group_id_ = "g";
    proto::LeaveGroupRequest::MemberIdentity m1, m2, m3;
    m1.member_id_ = a;
    m2.member_id_ = "ghost";
    m3.group_instance_id_ = "inst-1";  // by instance id alone
    batch.members_ = {m1, m2, m3};
    auto resp = rig.gc().leave_group(batch, 3, rig.now(), fx);
    rig.absorb(fx);
    CHECK(resp.error_code_ == 0);
    REQUIRE(resp.members_.size() == 3);
    CHECK(resp.members_[0].error_code_ == 0);
    CHECK(resp.members_[1].error_code_ == code(Errc::unknown_member_id));
    CHECK(resp.members_[2].error_code_ == 0);
    CHECK(rig.state("g") == GroupState::empty);
    CHECK(rig.gc().find_group("g")->generation == 3);

    // A MEMBER_ID_REQUIRED member may leave before it ever joins.
    const std::string p = rig.join_reply(rig.join("g", "", range)).member_id_;
    proto::LeaveGroupRequest lp;
    lp.group_id_ = "g";
    lp.member_id_ = p;
    CHECK(rig.gc().leave_group(lp, 0, rig.now(), fx).error_code_ == 0);
    // Unknown group: the v3 answer is per member.
    batch.group_id_ = "none";
    auto none = rig.gc().leave_group(batch, 4, rig.now(), fx);
    CHECK(none.error_code_ == 0);
    CHECK(none.members_[0].error_code_ == code(Errc::unknown_member_id));
}

TEST_CASE("group static membership: a restart takes over without a rebalance") {
    GroupConfig cfg;
    cfg.initial_rebalance_delay = Duration::seconds(3);
    Rig rig(cfg);
    const Token t1 = rig.join("g", "", range, 5, "i1");
    const Token t2 = rig.join("g", "", range, 5, "i2");
    rig.advance(Duration::seconds(8));
    const std::string m1 = rig.join_reply(t1).member_id_;
    std::string m2 = rig.join_reply(t2).member_id_;
    CHECK(m1.rfind("i1-", 0) == 0);
    rig.sync("g", m2, 1, {}, "i2");
    rig.sync("g", m1, 1, {{m1, to_bytes("one")}, {m2, to_bytes("two")}}, "i1");
    REQUIRE(rig.state("g") == GroupState::stable);

    // i2 restarts: a new member id, the same generation, no rebalance.
    const Token r2 = rig.join("g", "", range, 5, "i2");
    const auto& j = rig.join_reply(r2);
    CHECK(j.error_code_ == 0);
    CHECK(j.generation_id_ == 1);
    CHECK(j.member_id_ != m2);
    CHECK(j.leader_ == m1);
    CHECK(rig.state("g") == GroupState::stable);
    // The old incarnation is fenced; the new one keeps the assignment.
    CHECK(rig.heartbeat("g", m2, 1, "i2") == code(Errc::fenced_instance_id));
    CHECK(rig.heartbeat("g", m2, 1) == code(Errc::unknown_member_id));
    CHECK(rig.commit("g", m2, 1, "t", 0, 5, "i2") == code(Errc::fenced_instance_id));
    m2 = j.member_id_;
    CHECK(rig.sync_reply(rig.sync("g", m2, 1, {}, "i2")).assignment_ == to_bytes("two"));
    CHECK(rig.heartbeat("g", m2, 1, "i2") == 0);
    // The GroupMetadata record now names the new member id.
    rig.reload();
    CHECK(rig.gc().find_group("g")->members.contains(m2));
    CHECK(rig.state("g") == GroupState::stable);

    // The leader restarting with v9 is told to skip the assignment (KIP-814).
    const Token r1 = rig.join("g", "", range, 9, "i1");
    CHECK(rig.join_reply(r1).skip_assignment_);
    CHECK(rig.join_reply(r1).members_.size() == 2);
    CHECK(rig.join_reply(r1).leader_ == rig.join_reply(r1).member_id_);
}

TEST_CASE(
    "group static membership: a static member that does not rejoin stays until its session "
    "expires") {
    Rig rig;
    const Token t1 = rig.join("g", "", range, 5, "i1", Duration::seconds(60));
    const std::string m1 = rig.join_reply(t1).member_id_;
    rig.sync("g", m1, 1, {}, "i1");
    auto [d, td] = rig.join_new("g", range);
    rig.advance(Duration::seconds(31));  // the rebalance timeout: i1 did not rejoin
    CHECK(rig.join_reply(td).generation_id_ == 2);
    CHECK(rig.join_reply(td).leader_ == d);
    CHECK(rig.gc().find_group("g")->members.contains(m1));
    rig.sync("g", d, 2, {});
    CHECK(rig.state("g") == GroupState::stable);
    for (int i = 0; i < 12; ++i) {  // d heartbeats; i1 stays silent past its 60 s session
        rig.advance(Duration::seconds(3));
        rig.heartbeat("g", d, rig.gc().find_group("g")->generation);
    }
    CHECK(!rig.gc().find_group("g")->members.contains(m1));
    CHECK(rig.state("g") == GroupState::preparing_rebalance);
}

TEST_CASE("group join: rejoins without a change, a lost response, group.max.size") {
    GroupConfig cfg = Rig::default_config();
    cfg.group_max_size = 2;
    Rig rig(cfg);
    auto [a, ta] = rig.join_new("g", range);
    // CompletingRebalance: the same join again is answered with the same generation.
    const Token again = rig.join("g", a, range);
    CHECK(rig.join_reply(again).generation_id_ == 1);
    CHECK(rig.join_reply(again).members_.size() == 1);  // a is the leader
    CHECK(rig.state("g") == GroupState::completing_rebalance);
    rig.sync("g", a, 1, {});
    auto [b, tb] = rig.join_new("g", range);
    rig.join("g", a, range);
    rig.sync("g", a, 2, {});
    rig.sync("g", b, 2);
    REQUIRE(rig.state("g") == GroupState::stable);
    // A follower rejoining with the same metadata: no rebalance.
    const Token fb = rig.join("g", b, range);
    CHECK(rig.join_reply(fb).generation_id_ == 2);
    CHECK(rig.state("g") == GroupState::stable);
    // The group is full: a third member is refused.
    CHECK(rig.join_reply(rig.join("g", "", range)).error_code_ ==
          code(Errc::group_max_size_reached));
    // New metadata (another subscription) makes the group rebalance.
    const Token cb = rig.join("g", b, {{"range", sub({"t", "u"})}});
    CHECK(!rig.replies.contains(cb));
    CHECK(rig.state("g") == GroupState::preparing_rebalance);
    // A retried JoinGroup supersedes the waiting one.
    const Token cb2 = rig.join("g", b, {{"range", sub({"t", "u"})}});
    CHECK(rig.join_reply(cb).error_code_ == code(Errc::rebalance_in_progress));
    rig.join("g", a, range);
    CHECK(rig.join_reply(cb2).generation_id_ == 3);
    // DescribeGroups outside Stable shows members without metadata or assignments.
    proto::DescribeGroupsRequest d;
    d.groups_ = {"g"};
    auto dr = rig.gc().describe_groups(d, 5);
    CHECK(dr.groups_[0].group_state_ == "CompletingRebalance");
    CHECK(dr.groups_[0].protocol_data_.empty());
    CHECK(dr.groups_[0].members_.size() == 2);
    CHECK(dr.groups_[0].members_[0].member_metadata_.empty());
}

TEST_SUITE_END();
