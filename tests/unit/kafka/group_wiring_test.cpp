// The group coordinator wired into the broker (services/kafka/group_manager.h), under the
// simulator: JoinGroup/SyncGroup with deferred responses across two connections, Heartbeat,
// OffsetCommit/OffsetFetch, ListGroups/DescribeGroups, `__consumer_offsets` in Metadata, and
// committed offsets and the group surviving a crash and restart (reloaded from the log).
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

config::BrokerConfig group_config() {
    return test_config({{"offsets.topic.num.partitions", "4"},
                        {"group.initial.rebalance.delay.ms", "0"}});
}

// A consumer protocol subscription v0 to `topic` (what a Java/librdkafka consumer sends).
Bytes subscription(const std::string& topic) {
    Bytes b;
    Writer w(b);
    w.write_int16(0);
    w.write_int32(1);
    w.write_int16(static_cast<int16_t>(topic.size()));
    for (char ch : topic) {
        w.write_int8(static_cast<int8_t>(ch));
    }
    w.write_int32(-1);
    return b;
}

JoinGroupRequest join_request(const std::string& member_id, const std::string& topic) {
    JoinGroupRequest j;
    j.group_id_ = "g";
    j.session_timeout_ms_ = 10000;
    j.rebalance_timeout_ms_ = 10000;
    j.member_id_ = member_id;
    j.group_instance_id_ = std::nullopt;
    j.protocol_type_ = "consumer";
    JoinGroupRequest::JoinGroupRequestProtocol p;
    p.name_ = "range";
    p.metadata_ = subscription(topic);
    j.protocols_.push_back(p);
    return j;
}

// Joins (MEMBER_ID_REQUIRED first, then with the id): the join response.
JoinGroupResponse join(Client& c, const std::string& topic) {
    auto first = c.call<JoinGroupResponse>(join_request("", topic), 9);
    CHECK(first->error_code_ == 79);
    auto second = c.call<JoinGroupResponse>(join_request(first->member_id_, topic), 9);
    CHECK(second->error_code_ == 0);
    return *second;
}

SyncGroupResponse sync(Client& c, const JoinGroupResponse& j,
                       std::vector<std::pair<std::string, std::string>> assignments) {
    SyncGroupRequest s;
    s.group_id_ = "g";
    s.generation_id_ = j.generation_id_;
    s.member_id_ = j.member_id_;
    s.group_instance_id_ = std::nullopt;
    s.protocol_type_ = "consumer";
    s.protocol_name_ = "range";
    for (const auto& [m, a] : assignments) {
        SyncGroupRequest::SyncGroupRequestAssignment sa;
        sa.member_id_ = m;
        sa.assignment_ = to_bytes(a);
        s.assignments_.push_back(sa);
    }
    return *c.call<SyncGroupResponse>(s, 5);
}

OffsetCommitRequest commit_request(const std::string& topic, int32_t partition, int64_t offset,
                                   int32_t generation, const std::string& member) {
    OffsetCommitRequest r;
    r.group_id_ = "g";
    r.generation_id_or_member_epoch_ = generation;
    r.member_id_ = member;
    r.group_instance_id_ = std::nullopt;
    OffsetCommitRequest::OffsetCommitRequestTopic t;
    t.name_ = topic;
    OffsetCommitRequest::OffsetCommitRequestPartition p;
    p.partition_index_ = partition;
    p.committed_offset_ = offset;
    t.partitions_.push_back(p);
    r.topics_.push_back(t);
    return r;
}

int64_t fetch_offset(Client& c, const std::string& topic, int32_t partition) {
    OffsetFetchRequest r;
    r.group_id_ = "g";
    OffsetFetchRequest::OffsetFetchRequestTopic t;
    t.name_ = topic;
    t.partition_indexes_ = {partition};
    r.topics_ = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{t};
    auto resp = c.call<OffsetFetchResponse>(r, 7);
    CHECK(resp->error_code_ == 0);
    return resp->topics_.at(0).partitions_.at(0).committed_offset_;
}

}  // namespace

TEST_CASE("kafka groups: two members join, sync, heartbeat, commit, fetch through the broker") {
    sim::SimWorld w(11, quiet_world());
    BrokerNode bn{group_config()};
    w.add_node("broker", bn.boot());
    bool a_done = false;
    bool b_done = false;
    bool b_go = false;
    w.add_node("a", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 2), 5)->topics_.at(0)
                  .error_code_ == 0);
        // Alone: leader of generation 1.
        auto j1 = join(c, "t");
        CHECK(j1.leader_ == j1.member_id_);
        CHECK(j1.generation_id_ == 1);
        CHECK(j1.members_.size() == 1);
        auto s1 = sync(c, j1, {{j1.member_id_, "all"}});
        CHECK(s1.error_code_ == 0);
        CHECK(std::string(as_chars(s1.assignment_)) == "all");
        HeartbeatRequest hb;
        hb.group_id_ = "g";
        hb.generation_id_ = j1.generation_id_;
        hb.member_id_ = j1.member_id_;
        hb.group_instance_id_ = std::nullopt;
        CHECK(c.call<HeartbeatResponse>(hb, 4)->error_code_ == 0);
        // Commit and fetch; an unknown topic is refused per partition.
        auto cr = c.call<OffsetCommitResponse>(
            commit_request("t", 1, 42, j1.generation_id_, j1.member_id_), 8);
        CHECK(cr->topics_.at(0).partitions_.at(0).error_code_ == 0);
        CHECK(fetch_offset(c, "t", 1) == 42);
        CHECK(fetch_offset(c, "t", 0) == -1);
        auto unknown = c.call<OffsetCommitResponse>(
            commit_request("nope", 0, 1, j1.generation_id_, j1.member_id_), 8);
        CHECK(unknown->topics_.at(0).partitions_.at(0).error_code_ == 3);
        // A second member joins: a's heartbeat says rebalance; a rejoins; both get generation 2.
        b_go = true;
        HeartbeatResponse hr;
        for (int i = 0; i < 100; ++i) {
            hr = *c.call<HeartbeatResponse>(hb, 4);
            if (hr.error_code_ != 0) {
                break;
            }
            env.scheduler.sleep_for(Duration::millis(100));
        }
        CHECK(hr.error_code_ == 27);
        auto j2 = *c.call<JoinGroupResponse>(join_request(j1.member_id_, "t"), 9);
        CHECK(j2.error_code_ == 0);
        CHECK(j2.generation_id_ == 2);
        CHECK(j2.leader_ == j1.member_id_);
        CHECK(j2.members_.size() == 2);
        std::vector<std::pair<std::string, std::string>> assign;
        for (const auto& m : j2.members_) {
            assign.emplace_back(m.member_id_, m.member_id_ == j1.member_id_ ? "p0" : "p1");
        }
        auto s2 = sync(c, j2, assign);
        CHECK(s2.error_code_ == 0);
        CHECK(std::string(as_chars(s2.assignment_)) == "p0");
        // The old generation is fenced.
        auto stale = c.call<OffsetCommitResponse>(commit_request("t", 0, 7, 1, j1.member_id_), 8);
        CHECK(stale->topics_.at(0).partitions_.at(0).error_code_ == 22);
        while (!b_done) {
            env.scheduler.sleep_for(Duration::millis(10));
        }
        // The group as ListGroups/DescribeGroups and Metadata see it.
        auto lg = c.call<ListGroupsResponse>(ListGroupsRequest{}, 4);
        CHECK(lg->groups_.size() == 1);
        CHECK(lg->groups_.at(0).group_id_ == "g");
        CHECK(lg->groups_.at(0).group_state_ == "Stable");
        DescribeGroupsRequest dg;
        dg.groups_ = {"g"};
        auto d = c.call<DescribeGroupsResponse>(dg, 5);
        CHECK(d->groups_.at(0).members_.size() == 2);
        CHECK(d->groups_.at(0).protocol_data_ == "range");
        MetadataRequest mreq;
        MetadataRequest::MetadataRequestTopic mt;
        mt.name_ = "__consumer_offsets";
        mreq.topics_ = std::vector<MetadataRequest::MetadataRequestTopic>{mt};
        auto md = c.call<MetadataResponse>(mreq, 9);
        CHECK(md->topics_.at(0).error_code_ == 0);
        CHECK(md->topics_.at(0).is_internal_);
        CHECK(md->topics_.at(0).partitions_.size() == 4);
        CHECK(bn.broker->controller().image().topic("__consumer_offsets")->configs.at(
                  "cleanup.policy") == "compact");
        a_done = true;
    });
    w.add_node("b", [&](Env& env) {
        while (!b_go) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        // Deferred: answered only when a rejoins (another connection's request).
        auto j = join(c, "t");
        CHECK(j.generation_id_ == 2);
        CHECK(j.leader_ != j.member_id_);
        CHECK(j.members_.empty());
        // Deferred until the leader's SyncGroup.
        auto s = sync(c, j, {});
        CHECK(s.error_code_ == 0);
        CHECK(std::string(as_chars(s.assignment_)) == "p1");
        auto cr = c.call<OffsetCommitResponse>(
            commit_request("t", 1, 50, j.generation_id_, j.member_id_), 8);
        CHECK(cr->topics_.at(0).partitions_.at(0).error_code_ == 0);
        CHECK(fetch_offset(c, "t", 1) == 50);
        b_done = true;
    });
    w.start(w.node("broker"));
    w.start(w.node("a"));
    w.start(w.node("b"));
    w.run([&] { return a_done; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));
    CHECK(a_done);
    CHECK(b_done);
    bn.stop->set();
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(200).to_nanos()));
    CHECK(bn.stopped);
}

TEST_CASE("kafka groups: committed offsets and the group survive a crash and restart") {
    sim::SimWorld w(12, quiet_world());
    BrokerNode bn{group_config()};
    w.add_node("broker", bn.boot());
    int phase = 0;
    std::string member;
    w.add_node("client", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 3), 5)->topics_.at(0)
                  .error_code_ == 0);
        auto j = join(c, "t");
        member = j.member_id_;
        CHECK(sync(c, j, {{j.member_id_, "x"}}).error_code_ == 0);
        for (int32_t p = 0; p < 3; ++p) {
            auto cr = c.call<OffsetCommitResponse>(
                commit_request("t", p, 100 + p, j.generation_id_, j.member_id_), 8);
            CHECK(cr->topics_.at(0).partitions_.at(0).error_code_ == 0);
        }
        // A newer commit replaces the older one.
        auto cr = c.call<OffsetCommitResponse>(
            commit_request("t", 2, 777, j.generation_id_, j.member_id_), 2);
        CHECK(cr->topics_.at(0).partitions_.at(0).error_code_ == 0);
        phase = 1;
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return phase == 1; }, Instant::from_nanos(Duration::seconds(60).to_nanos()));
    REQUIRE(phase == 1);
    w.crash(w.node("broker"));
    bn.started = false;
    w.restart(w.node("broker"));
    w.add_node("client2", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        CHECK(fetch_offset(c, "t", 0) == 100);
        CHECK(fetch_offset(c, "t", 1) == 101);
        CHECK(fetch_offset(c, "t", 2) == 777);
        // The group came back Stable with its member (its session restarted at load).
        DescribeGroupsRequest dg;
        dg.groups_ = {"g"};
        auto d = c.call<DescribeGroupsResponse>(dg, 5);
        CHECK(d->groups_.at(0).group_state_ == "Stable");
        CHECK(d->groups_.at(0).members_.size() == 1);
        CHECK(d->groups_.at(0).members_.at(0).member_id_ == member);
        // Old-style (v1) fetch works too.
        OffsetFetchRequest r;
        r.group_id_ = "g";
        OffsetFetchRequest::OffsetFetchRequestTopic t;
        t.name_ = "t";
        t.partition_indexes_ = {1};
        r.topics_ = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{t};
        auto v1 = c.call<OffsetFetchResponse>(r, 1);
        CHECK(v1->topics_.at(0).partitions_.at(0).committed_offset_ == 101);
        phase = 2;
        bn.stop->set();
    });
    w.start(w.node("client2"));
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(200).to_nanos()));
    CHECK(phase == 2);
}

TEST_CASE("kafka groups: a commit whose records cannot be written is not acknowledged") {
    sim::SimWorld w(13, quiet_world());
    BrokerNode bn{group_config()};
    w.add_node("broker", bn.boot());
    int phase = 0;
    w.add_node("client", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 1), 5)->topics_.at(0)
                  .error_code_ == 0);
        auto j = join(c, "t");
        CHECK(sync(c, j, {{j.member_id_, "x"}}).error_code_ == 0);
        auto ok = c.call<OffsetCommitResponse>(
            commit_request("t", 0, 42, j.generation_id_, j.member_id_), 8);
        CHECK(ok->topics_.at(0).partitions_.at(0).error_code_ == 0);
        // The disk fails: the commit is answered COORDINATOR_NOT_AVAILABLE (retriable), never OK,
        // and the coordinator state that ran ahead of the log is dropped.
        sim::DiskFaults f;
        f.write_error_p = 1;
        f.sync_error_p = 1;
        w.node("broker").disk().set_faults(f);
        auto bad = c.call<OffsetCommitResponse>(
            commit_request("t", 0, 99, j.generation_id_, j.member_id_), 8);
        CHECK(bad->topics_.at(0).partitions_.at(0).error_code_ == 15);
        w.node("broker").disk().set_faults(sim::DiskFaults{});
        // Afterwards: either the coordinator reloads from the log (42) or the partition cannot
        // load (COORDINATOR_LOAD_IN_PROGRESS) — never the unwritten 99.
        OffsetFetchRequest r;
        r.group_id_ = "g";
        OffsetFetchRequest::OffsetFetchRequestTopic t;
        t.name_ = "t";
        t.partition_indexes_ = {0};
        r.topics_ = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{t};
        auto after = c.call<OffsetFetchResponse>(r, 7);
        if (after->error_code_ == 0) {
            CHECK(after->topics_.at(0).partitions_.at(0).committed_offset_ == 42);
        } else {
            CHECK(after->error_code_ == 14);
        }
        phase = 1;
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return phase == 1; }, Instant::from_nanos(Duration::seconds(60).to_nanos()));
    REQUIRE(phase == 1);
    w.crash(w.node("broker"));
    bn.started = false;
    w.restart(w.node("broker"));
    w.add_node("client2", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        CHECK(fetch_offset(c, "t", 0) == 42);
        phase = 2;
        bn.stop->set();
    });
    w.start(w.node("client2"));
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(200).to_nanos()));
    CHECK(phase == 2);
}
