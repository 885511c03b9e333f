// Followers fetch in KIP-227 sessions (SimWorld, three brokers, a topic with three replicas): after
// a run of acks=all produces the leader holds one session per follower, opened by that follower
// (a replica id), holding the partition, and far past its first epochs, so the rounds were
// incremental; the data went everywhere all the same.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>

#include "tests/unit/kafka/kafka_test_util.h"

namespace eddy::kafka {

using namespace protocol;
using namespace test;

namespace {

constexpr std::array<const char*, 3> hosts{"n1", "n2", "n3"};

config::BrokerConfig node_config(int32_t id) {
    const std::string host = hosts[static_cast<size_t>(id - 1)];
    return test_config({{"listeners", "PLAINTEXT://" + host + ":9092,CONTROLLER://" + host +
                                          ":9093"},
                        {"node.id", std::to_string(id)},
                        {"controller.quorum.voters", "1@n1:9093,2@n2:9093,3@n3:9093"}});
}

}  // namespace

TEST_CASE("fetch sessions: followers replicate through incremental fetch sessions") {
    sim::SimWorld w(31, quiet_world());
    std::vector<std::unique_ptr<BrokerNode>> nodes;
    for (int32_t id = 1; id <= 3; ++id) {
        nodes.push_back(std::make_unique<BrokerNode>(node_config(id)));
        w.add_node(hosts[static_cast<size_t>(id - 1)], nodes.back()->boot());
    }
    bool finished = false;
    int32_t leader = -1;
    w.add_node("client", [&](Env& env) {
        const bool started = await(env, [&] {
            return std::all_of(nodes.begin(), nodes.end(), [](const auto& n) { return n->started; }) &&
                   nodes[0]->broker->controller().image().unfenced_brokers().size() == 3;
        });
        CHECK(started);
        if (!started) {
            return;
        }
        Client admin(env, "n1", 9092);
        auto create = create_topic_request("r", 1);
        create.topics_[0].replication_factor_ = 3;
        create.timeout_ms_ = 10'000;
        CHECK(await(env, [&] {
            auto r = admin.call<CreateTopicsResponse>(create, 5);
            return r && r->topics_.size() == 1 &&
                   (r->topics_[0].error_code_ == kafka_error::none ||
                    r->topics_[0].error_code_ == kafka_error::topic_already_exists);
        }));
        CHECK(await(env, [&] {
            const auto* t = nodes[0]->broker->controller().image().topic("r");
            return t != nullptr && t->partitions.at(0).isr.size() == 3;
        }));
        leader = nodes[0]->broker->controller().image().topic("r")->partitions.at(0).leader;
        Client c(env, hosts[static_cast<size_t>(leader - 1)], 9092);
        int acknowledged = 0;
        for (int i = 0; i < 20; ++i) {
            auto p = c.call<ProduceResponse>(
                produce_request("r", 0, make_batch({"v" + std::to_string(i)}), -1), 7);
            if (p && p->responses_.at(0).partition_responses_.at(0).error_code_ == 0) {
                ++acknowledged;
            }
        }
        CHECK(acknowledged == 20);
        finished = true;
    });
    run_until_finished(w, hosts, finished);
    REQUIRE(finished);
    REQUIRE(leader >= 1);
    const auto& cache = nodes[static_cast<size_t>(leader - 1)].get()->broker->fetch_sessions();
    std::vector<int32_t> followers;
    for (const auto& entry : cache.sessions()) {
        const FetchSessionCache::Session& s = entry.second;
        CHECK(s.privileged());
        CHECK(s.replica_id != leader);
        CHECK(s.partitions.size() == 1);
        CHECK(s.partitions.front().topic == "r");
        CHECK(s.epoch > 20);  // one incremental round per replicated batch at least
        followers.push_back(s.replica_id);
    }
    std::sort(followers.begin(), followers.end());
    CHECK(followers.size() == 2);
    CHECK(std::adjacent_find(followers.begin(), followers.end()) == followers.end());
    stop_brokers(w, nodes);
}

}  // namespace eddy::kafka
