// Group coordinator offsets and administration: OffsetCommit fencing (incl. generation -1 for
// assign() users), OffsetFetch v1/v7/v8 and RequireStable, DescribeGroups, ListGroups,
// DeleteGroups, OffsetDelete, offsets retention and reload from the written records.
#include "tests/unit/group/group_test_util.h"

using namespace eddy;
using namespace eddy::group;
using namespace eddy::group::test;

namespace {

const std::vector<std::pair<std::string, Bytes>> range{{"range", sub({"t"})}};

// One member, Stable at generation 1; returns the member id.
std::string stable_group(Rig& rig, const std::string& group) {
    auto [a, ta] = rig.join_new(group, range);
    rig.sync(group, a, 1, {{a, to_bytes("A")}});
    REQUIRE(rig.state(group) == GroupState::stable);
    return a;
}

}  // namespace

TEST_SUITE_BEGIN("group");
TEST_CASE("group commit: generation -1 is for groups without members") {
    Rig rig;
    CHECK(rig.commit("solo", "", -1, "t", 0, 10) == 0);
    CHECK(rig.fetch("solo", "t", 0) == 10);
    CHECK(rig.state("solo") == GroupState::empty);
    CHECK(rig.commit("solo", "", -1, "t", 0, 4, std::nullopt, 0) == 0);  // v0, and backwards
    CHECK(rig.fetch("solo", "t", 0) == 4);
    CHECK(rig.commit("unknown", "m", 3, "t", 0, 1) == code(Errc::illegal_generation));

    const std::string a = stable_group(rig, "g");
    CHECK(rig.commit("g", "", -1, "t", 0, 1) == code(Errc::unknown_member_id));
    CHECK(rig.commit("g", a, 0, "t", 0, 1) == code(Errc::illegal_generation));
    CHECK(rig.commit("g", "x", 1, "t", 0, 1) == code(Errc::unknown_member_id));
    CHECK(rig.commit("g", a, 1, "t", 0, 7) == 0);
    CHECK(rig.commit("g", a, 1, "t", 0, 8, std::nullopt, 7, std::string(5000, 'x')) ==
          code(Errc::offset_metadata_too_large));
    CHECK(rig.fetch("g", "t", 0) == 7);
    CHECK(rig.fetch("g", "t", 1) == -1);
    CHECK(rig.fetch("none", "t", 0) == -1);

    // During PreparingRebalance the current generation may still commit (revocation);
    // during CompletingRebalance nobody may.
    auto [b, tb] = rig.join_new("g", range);
    CHECK(rig.commit("g", a, 1, "t", 0, 9) == 0);
    rig.join("g", a, range);
    CHECK(rig.state("g") == GroupState::completing_rebalance);
    CHECK(rig.commit("g", a, 2, "t", 0, 10) == code(Errc::rebalance_in_progress));
    CHECK(rig.fetch("g", "t", 0) == 9);
}

TEST_CASE("group fetch: all topics, v8 multi-group, RequireStable") {
    Rig rig;
    rig.commit("g", "", -1, "a", 0, 1);
    rig.commit("g", "", -1, "a", 1, 2);
    rig.commit("g", "", -1, "b", 0, 3);
    proto::OffsetFetchRequest all;
    all.group_id_ = "g";
    all.topics_ = std::nullopt;
    auto r = rig.gc().offset_fetch(all, 7);
    REQUIRE(r.topics_.size() == 2);
    CHECK(r.topics_[0].name_ == "a");
    CHECK(r.topics_[0].partitions_.size() == 2);
    CHECK(r.topics_[1].partitions_[0].committed_offset_ == 3);

    rig.gc().stage_transactional_offset("g", "a", 1);
    proto::OffsetFetchRequest v8;
    v8.require_stable_ = true;
    proto::OffsetFetchRequest::OffsetFetchRequestGroup g1, g2;
    g1.group_id_ = "g";
    proto::OffsetFetchRequest::OffsetFetchRequestTopics t;
    t.name_ = "a";
    t.partition_indexes_ = {0, 1};
    g1.topics_ = std::vector{t};
    g2.group_id_ = "other";
    g2.topics_ = std::nullopt;
    v8.groups_ = {g1, g2};
    auto r8 = rig.gc().offset_fetch(v8, 8);
    REQUIRE(r8.groups_.size() == 2);
    CHECK(r8.groups_[0].topics_[0].partitions_[0].committed_offset_ == 1);
    CHECK(r8.groups_[0].topics_[0].partitions_[1].error_code_ ==
          code(Errc::unstable_offset_commit));
    CHECK(r8.groups_[1].topics_.empty());
    rig.gc().end_transactional_offset("g", "a", 1);
    r8 = rig.gc().offset_fetch(v8, 8);
    CHECK(r8.groups_[0].topics_[0].partitions_[1].committed_offset_ == 2);
}

TEST_CASE("group admin: describe, list with filters, delete") {
    Rig rig;
    const std::string a = stable_group(rig, "g");
    rig.commit("simple", "", -1, "t", 0, 1);
    proto::DescribeGroupsRequest d;
    d.groups_ = {"g", "missing"};
    auto dr = rig.gc().describe_groups(d, 5);
    REQUIRE(dr.groups_.size() == 2);
    CHECK(dr.groups_[0].group_state_ == "Stable");
    CHECK(dr.groups_[0].protocol_type_ == "consumer");
    CHECK(dr.groups_[0].protocol_data_ == "range");
    REQUIRE(dr.groups_[0].members_.size() == 1);
    CHECK(dr.groups_[0].members_[0].member_id_ == a);
    CHECK(dr.groups_[0].members_[0].member_assignment_ == to_bytes("A"));
    CHECK(dr.groups_[0].members_[0].member_metadata_ == sub({"t"}));
    CHECK(dr.groups_[1].group_state_ == "Dead");
    CHECK(dr.groups_[1].error_code_ == 0);

    proto::ListGroupsRequest l;
    CHECK(rig.gc().list_groups(l, 4).groups_.size() == 2);
    l.states_filter_ = {"stable"};
    auto lr = rig.gc().list_groups(l, 4);
    REQUIRE(lr.groups_.size() == 1);
    CHECK(lr.groups_[0].group_id_ == "g");
    CHECK(rig.gc().list_groups(l, 3).groups_.size() == 2);  // no filter before v4
    l.states_filter_ = {};
    l.types_filter_ = {"consumer"};
    CHECK(rig.gc().list_groups(l, 5).groups_.empty());
    l.types_filter_ = {"Classic"};
    CHECK(rig.gc().list_groups(l, 5).groups_.size() == 2);

    proto::DeleteGroupsRequest del;
    del.groups_names_ = {"g", "simple", "missing"};
    Effects fx;
    auto delr = rig.gc().delete_groups(del, 2, rig.now(), fx);
    CHECK(delr.results_[0].error_code_ == code(Errc::non_empty_group));
    CHECK(delr.results_[1].error_code_ == 0);
    CHECK(delr.results_[2].error_code_ == code(Errc::group_id_not_found));
    CHECK(fx.records.size() == 2);  // the offset and the group tombstones
    rig.absorb(fx);
    CHECK(rig.gc().find_group("simple") == nullptr);
    rig.reload();
    CHECK(rig.gc().find_group("simple") == nullptr);
    CHECK(rig.gc().find_group("g") != nullptr);
}

TEST_CASE("group offset delete: subscribed topics are refused while the group is alive") {
    Rig rig;
    const std::string a = stable_group(rig, "g");  // subscribed to "t"
    CHECK(rig.commit("g", a, 1, "t", 0, 5) == 0);
    CHECK(rig.commit("g", a, 1, "old", 0, 6) == 0);
    proto::OffsetDeleteRequest r;
    r.group_id_ = "g";
    for (const char* name : {"t", "old"}) {
        proto::OffsetDeleteRequest::OffsetDeleteRequestTopic t;
        t.name_ = name;
        t.partitions_.resize(1);
        r.topics_.push_back(t);
    }
    Effects fx;
    auto resp = rig.gc().offset_delete(r, 0, rig.now(), fx);
    rig.absorb(fx);
    CHECK(resp.error_code_ == 0);
    CHECK(resp.topics_[0].partitions_[0].error_code_ == code(Errc::group_subscribed_to_topic));
    CHECK(resp.topics_[1].partitions_[0].error_code_ == 0);
    CHECK(rig.fetch("g", "t", 0) == 5);
    CHECK(rig.fetch("g", "old", 0) == -1);

    r.group_id_ = "missing";
    CHECK(rig.gc().offset_delete(r, 0, rig.now(), fx).error_code_ ==
          code(Errc::group_id_not_found));

    // A live group of another protocol type: NON_EMPTY_GROUP.
    const Token c = rig.join("conn", "", {{"x", {}}}, 3, std::nullopt, Duration::seconds(10),
                             Duration::seconds(30), "connect");
    (void)c;
    r.group_id_ = "conn";
    CHECK(rig.gc().offset_delete(r, 0, rig.now(), fx).error_code_ == code(Errc::non_empty_group));
}

TEST_CASE("group retention: offsets of empty and member-less groups expire") {
    GroupConfig cfg = Rig::default_config();
    cfg.offsets_retention = Duration::hours(1);
    Rig rig(cfg);
    rig.advance(Duration::zero());  // arms the retention check
    rig.commit("solo", "", -1, "t", 0, 10);
    const std::string a = stable_group(rig, "g");
    rig.commit("g", a, 1, "t", 0, 5);
    rig.commit("g", a, 1, "gone", 0, 5);  // a topic nobody subscribes to
    for (int i = 0; i < 70 * 12; ++i) {   // 70 minutes; a stays alive
        rig.advance(Duration::seconds(5));
        rig.heartbeat("g", a, 1);
    }
    CHECK(rig.gc().find_group("solo") == nullptr);  // expired and removed
    CHECK(rig.fetch("g", "t", 0) == 5);             // subscribed: kept
    CHECK(rig.fetch("g", "gone", 0) == -1);         // unsubscribed: expired (KIP-496)

    // Once the group is empty, its offsets live for the retention after that.
    proto::LeaveGroupRequest l;
    l.group_id_ = "g";
    l.member_id_ = a;
    Effects fx;
    rig.gc().leave_group(l, 1, rig.now(), fx);
    rig.absorb(fx);
    CHECK(rig.state("g") == GroupState::empty);
    rig.advance(Duration::minutes(50));
    CHECK(rig.fetch("g", "t", 0) == 5);
    rig.advance(Duration::minutes(20));
    CHECK(rig.gc().find_group("g") == nullptr);
    rig.reload();
    CHECK(rig.gc().groups().empty());
}

TEST_CASE("group load: rebuilds offsets, generations and Stable/Empty groups from records") {
    Rig rig;
    const std::string a = stable_group(rig, "g");
    rig.commit("g", a, 1, "t", 0, 42);
    rig.commit("g", a, 1, "t", 1, 43);
    rig.commit("s", "", -1, "t", 0, 1);
    auto [e, te] = rig.join_new("e", range);
    proto::LeaveGroupRequest l;
    l.group_id_ = "e";
    l.member_id_ = e;
    Effects fx;
    rig.gc().leave_group(l, 1, rig.now(), fx);
    rig.absorb(fx);
    const int32_t e_generation = rig.gc().find_group("e")->generation;

    rig.reload();
    const Group* g = rig.gc().find_group("g");
    REQUIRE(g != nullptr);
    CHECK(g->state == GroupState::stable);
    CHECK(g->generation == 1);
    CHECK(g->leader_id == a);
    CHECK(g->members.at(a).assignment == to_bytes("A"));
    CHECK(rig.fetch("g", "t", 1) == 43);
    CHECK(rig.fetch("s", "t", 0) == 1);
    CHECK(rig.state("e") == GroupState::empty);
    CHECK(rig.gc().find_group("e")->generation == e_generation);
    // The reloaded member carries on: heartbeats, commits, and its session runs again.
    CHECK(rig.heartbeat("g", a, 1) == 0);
    CHECK(rig.commit("g", a, 1, "t", 0, 44) == 0);
    rig.advance(Duration::seconds(11));
    CHECK(rig.state("g") != GroupState::stable);

    // An undecodable record fails the load.
    std::vector<GroupRecord> bad{GroupRecord{to_bytes("\x00"), std::nullopt}};
    CHECK(!GroupCoordinator::load(rig.config, bad, rig.now()).ok());
}

TEST_SUITE_END();
