// The exact text of `eddy cluster quorum|info|health` (services/client/cluster_report.h) from
// hand-made DescribeQuorum and DescribeCluster results.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "services/client/cluster_report.h"

using namespace eddy;
using namespace eddy::client;

namespace {

const WallTime now = WallTime::from_millis(1'700'000'010'000);

std::optional<WallTime> ms_ago(int64_t ms) { return now - Duration::millis(ms); }

QuorumDescription three_voters_and_an_observer() {
    QuorumDescription q;
    q.leader = NodeId(2);
    q.leader_epoch = 7;
    q.high_watermark = 118;
    q.voters = {{NodeId(1), 120, ms_ago(15), ms_ago(15)},
                {NodeId(2), 120, ms_ago(0), ms_ago(0)},
                {NodeId(3), 101, ms_ago(40), ms_ago(1250)}};
    q.observers = {{NodeId(4), 120, ms_ago(30), ms_ago(30)}};
    return q;
}

}  // namespace

TEST_CASE("cluster report: quorum status and replication, as kafka-metadata-quorum") {
    const std::string out = quorum_report("q1w2e3", three_voters_and_an_observer(), now);
    CHECK(out ==
          "ClusterId:             q1w2e3\n"
          "LeaderId:              2\n"
          "LeaderEpoch:           7\n"
          "HighWatermark:         118\n"
          "MaxFollowerLag:        19\n"
          "MaxFollowerLagTimeMs:  1250\n"
          "CurrentVoters:         [1,2,3]\n"
          "CurrentObservers:      [4]\n"
          "\n"
          "NodeId  LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status\n"
          "1       120           0    15 ms ago           15 ms ago              Follower\n"
          "2       120           0    0 ms ago            0 ms ago               Leader\n"
          "3       101           19   40 ms ago           1250 ms ago            Follower\n"
          "4       120           0    30 ms ago           30 ms ago              Observer\n");
}

TEST_CASE("cluster report: a voter that never fetched, a clock ahead, a lone leader") {
    QuorumDescription q = three_voters_and_an_observer();
    q.voters[0] = {NodeId(1), -1, std::nullopt, std::nullopt};
    q.voters[2].last_fetch = now + Duration::millis(5);  // the leader's clock runs ahead of ours
    q.observers.clear();
    const std::string out = quorum_report("c", q, now);
    // Kafka's arithmetic for the furthest voter: 120 - (-1); no caught-up time: -1.
    CHECK(out.find("MaxFollowerLag:        121\n") != std::string::npos);
    CHECK(out.find("MaxFollowerLagTimeMs:  -1\n") != std::string::npos);
    CHECK(out.find("CurrentObservers:      []\n") != std::string::npos);
    CHECK(out.find("\n1       -1            -    -                   -  ") != std::string::npos);
    CHECK(out.find("\n3       101           19   0 ms ago ") != std::string::npos);

    QuorumDescription alone;
    alone.leader = NodeId(1);
    alone.leader_epoch = 1;
    alone.high_watermark = 5;
    alone.voters = {{NodeId(1), 5, now, now}};
    const std::string single = quorum_report("c", alone, now);
    // An idle log: every voter at the leader's end, one of them silent for 6 s.
    QuorumDescription idle = three_voters_and_an_observer();
    idle.voters[2] = {NodeId(3), 120, ms_ago(6000), ms_ago(6000)};
    CHECK(quorum_report("c", idle, now)
              .find("MaxFollowerLag:        0\nMaxFollowerLagTimeMs:  6000\n") !=
          std::string::npos);
    CHECK(single.find("MaxFollowerLag:        0\nMaxFollowerLagTimeMs:  0\n") != std::string::npos);
}

TEST_CASE("cluster report: info lists live and fenced brokers, the controller marked") {
    ClusterDescription c;
    c.cluster_id = "q1w2e3";
    c.controller = NodeId(1);
    c.brokers = {{NodeId(1), Address{"127.0.0.1", 9092}, std::nullopt, false},
                 {NodeId(2), Address{"127.0.0.1", 19092}, std::nullopt, true},
                 {NodeId(3), Address{"127.0.0.1", 9094}, std::nullopt, false}};
    CHECK(cluster_info_report(c, 4) ==
          "CLUSTER     q1w2e3\n"
          "CONTROLLER  1\n"
          "TOPICS      4\n"
          "BROKERS\n"
          "  ID  ADDRESS          STATE\n"
          "  1   127.0.0.1:9092   live (controller)\n"
          "  2   127.0.0.1:19092  fenced\n"
          "  3   127.0.0.1:9094   live\n");
    CHECK(broker_problems(c) == std::vector<std::string>{"broker 2 is fenced"});
    c.brokers[1].fenced = false;
    CHECK(broker_problems(c).empty());
    c.brokers.clear();
    CHECK(broker_problems(c) == std::vector<std::string>{"no brokers registered"});
}

TEST_CASE("cluster report: health of the quorum") {
    QuorumDescription q = three_voters_and_an_observer();
    CHECK(quorum_problems(q).empty());
    q.leader = NodeId(-1);
    CHECK(quorum_problems(q) == std::vector<std::string>{"no quorum leader"});
}

TEST_CASE("cluster report: tables pad every column but the last") {
    CHECK(format_table({{"a", "bb", "c"}, {"ccc", "d"}}, "> ") == "> a    bb  c\n> ccc  d\n");
    CHECK(format_table({}).empty());
}

TEST_CASE("cluster report: partitions offline, under min ISR and under-replicated") {
    ClusterMetadata md;
    TopicMetadata t;
    t.name = "orders";
    t.partitions = {{PartitionId(0), 0, NodeId(1), LeaderEpoch(3), {1, 2, 3}, {1}, {}},
                    {PartitionId(1), 0, NodeId(1), LeaderEpoch(3), {1, 2, 3}, {1, 2}, {}},
                    {PartitionId(2), 0, NodeId(-1), LeaderEpoch(4), {1, 2, 3}, {3}, {}},
                    {PartitionId(3), 0, NodeId(2), LeaderEpoch(1), {1, 2, 3}, {2, 3, 1}, {}}};
    md.topics.push_back(t);
    std::vector<std::string> asked;
    auto min_isr = [&](const std::string& topic) {
        asked.push_back(topic);
        return 2;
    };
    const auto problems = partition_problems(md, min_isr);
    CHECK(problems == std::vector<std::string>{
                          "partition orders-0 is under min ISR (ISR [1], min.insync.replicas=2)",
                          "partition orders-1 is under-replicated (ISR [1,2] of replicas [1,2,3])",
                          "partition orders-2 is offline (no leader; ISR [3], replicas [1,2,3])"});
    CHECK(asked.size() == 2);  // only where the ISR is short
    // Many problems: a bounded list and a count.
    ClusterMetadata big;
    TopicMetadata bt;
    bt.name = "t";
    for (int i = 0; i < 30; ++i) {
        bt.partitions.push_back({PartitionId(i), 0, NodeId(-1), LeaderEpoch(0), {1}, {1}, {}});
    }
    big.topics.push_back(bt);
    const auto capped = partition_problems(big, min_isr, 5);
    REQUIRE(capped.size() == 6);
    CHECK(capped.back() == "... and 25 more partitions with problems");
    CHECK(partition_problems(ClusterMetadata{}, min_isr).empty());
}
