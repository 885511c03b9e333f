// The nodes authenticate to each other (SimWorld, three brokers that are also controllers): the
// controller listener and the inter-broker listener are SASL_PLAINTEXT with PLAIN, the login is
// each node's JAAS username/password, and the StandardAuthorizer denies by default with only
// User:broker (and the PLAINTEXT test client, User:ANONYMOUS) as super users. The quorum forms,
// the brokers register, a topic with three replicas gets its full ISR and acks=all produces
// succeed: every Raft request, heartbeat, AlterPartition and replica fetch went through a SASL
// login as User:broker and passed its CLUSTER_ACTION check. With the wrong password on one node's
// inter-broker login, that node never joins the ISR while the others serve.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>

#include "tests/unit/kafka/kafka_test_util.h"

namespace eddy::kafka {

using namespace protocol;
using namespace test;

namespace {

constexpr std::array<const char*, 3> hosts{"n1", "n2", "n3"};

std::string jaas(const std::string& password) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"broker\" "
           "password=\"" +
           password + "\" user_broker=\"broker-pw\";";
}

config::BrokerConfig node_config(int32_t id, const std::string& inter_broker_password) {
    const std::string host = hosts[static_cast<size_t>(id - 1)];
    return test_config(
        {{"listeners", "PLAINTEXT://" + host + ":9092,INTERNAL://" + host + ":9094,CONTROLLER://" +
                           host + ":9093"},
         {"listener.security.protocol.map",
          "PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"},
         {"inter.broker.listener.name", "INTERNAL"},
         {"node.id", std::to_string(id)},
         {"controller.quorum.voters", "1@n1:9093,2@n2:9093,3@n3:9093"},
         {"sasl.enabled.mechanisms", "PLAIN"},
         {"sasl.mechanism.inter.broker.protocol", "PLAIN"},
         {"sasl.mechanism.controller.protocol", "PLAIN"},
         {"listener.name.internal.plain.sasl.jaas.config", jaas(inter_broker_password)},
         {"listener.name.controller.plain.sasl.jaas.config", jaas("broker-pw")},
         {"authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"},
         {"super.users", "User:broker;User:ANONYMOUS"},
         {"allow.everyone.if.no.acl.found", "false"},
         {"replica.lag.time.max.ms", "3000"}});
}

struct Outcome {
    int acknowledged = 0;            // of 20 acks=all produces
    std::vector<int32_t> isr;        // sorted, in node 1's metadata image at the end
    std::array<int64_t, 3> log_end{};  // of r-0 on nodes 1, 2, 3 at the end
};

// Three nodes, node 3's inter-broker password as given; a topic "r" with replicas 1, 2, 3 and 20
// acks=all produces to its leader, node 1. Then waits (30 s at most) until every replica holds
// the 20 records or node 3 has left the ISR.
Outcome run_cluster(const std::string& node3_password) {
    sim::SimWorld w(47, quiet_world());
    std::vector<std::unique_ptr<BrokerNode>> nodes;
    for (int32_t id = 1; id <= 3; ++id) {
        nodes.push_back(
            std::make_unique<BrokerNode>(node_config(id, id == 3 ? node3_password : "broker-pw")));
        w.add_node(hosts[static_cast<size_t>(id - 1)], nodes.back()->boot());
    }
    bool finished = false;
    Outcome out;
    w.add_node("client", [&](Env& env) {
        const bool started = await(env, [&] {
            return std::all_of(nodes.begin(), nodes.end(),
                               [](const auto& n) { return n->started; }) &&
                   nodes[0]->broker->controller().image().unfenced_brokers().size() == 3;
        });
        CHECK(started);
        if (!started) {
            return;
        }
        Client admin(env, "n1", 9092);
        // Replicas 1, 2, 3: node 1 leads, so node 3 is a follower whatever its password.
        auto create = create_topic_request("r", -1);
        create.topics_[0].assignments_.resize(1);
        create.topics_[0].assignments_[0].partition_index_ = 0;
        create.topics_[0].assignments_[0].broker_ids_ = {1, 2, 3};
        create.timeout_ms_ = 10'000;
        CHECK(await(env, [&] {
            auto r = admin.call<CreateTopicsResponse>(create, 5);
            return r && r->topics_.size() == 1 &&
                   (r->topics_[0].error_code_ == kafka_error::none ||
                    r->topics_[0].error_code_ == kafka_error::topic_already_exists);
        }));
        const auto image_isr = [&] {
            const auto* t = nodes[0]->broker->controller().image().topic("r");
            return t == nullptr ? std::vector<int32_t>() : t->partitions.at(0).isr;
        };
        // Created with all three in the ISR. acks=all waits for every ISR member: a follower that
        // cannot fetch holds the first produce until the leader drops it from the ISR
        // (replica.lag.time.max.ms), so the ISR at the end says who replicated.
        CHECK(await(env, [&] { return image_isr().size() == 3; }));
        CHECK(nodes[0]->broker->controller().image().topic("r")->partitions.at(0).leader == 1);
        Client c(env, "n1", 9092);
        for (int i = 0; i < 20; ++i) {
            auto p = c.call<ProduceResponse>(
                produce_request("r", 0, make_batch({"v" + std::to_string(i)}), -1), 7);
            if (p && p->responses_.at(0).partition_responses_.at(0).error_code_ == 0) {
                ++out.acknowledged;
            }
        }
        const auto log_end = [&](size_t i) {
            const auto* log = nodes[i]->broker->logs().get({"r", PartitionId(0)});
            return log == nullptr ? int64_t{-1} : log->log_end_offset().value();
        };
        (void)await(
            env,
            [&] {
                const auto now = image_isr();
                return (log_end(0) == 20 && log_end(1) == 20 && log_end(2) == 20) ||
                       std::find(now.begin(), now.end(), 3) == now.end();
            },
            Duration::seconds(30));
        out.isr = image_isr();
        std::sort(out.isr.begin(), out.isr.end());
        for (size_t i = 0; i < 3; ++i) {
            out.log_end[i] = log_end(i);
        }
        finished = true;
    });
    run_until_finished(w, hosts, finished);
    CHECK(finished);
    stop_brokers(w, nodes);
    return out;
}

}  // namespace

TEST_CASE("inter-node SASL: the quorum, registrations and replication authenticate as the broker") {
    const Outcome out = run_cluster("broker-pw");
    CHECK(out.acknowledged == 20);
    CHECK(out.isr == std::vector<int32_t>{1, 2, 3});
    CHECK(out.log_end == std::array<int64_t, 3>{20, 20, 20});
}

TEST_CASE("inter-node SASL: a follower with a wrong password stays out of the ISR") {
    const Outcome out = run_cluster("wrong-pw");
    CHECK(out.acknowledged == 20);  // acks=all with the ISR the others make
    CHECK(out.isr == std::vector<int32_t>{1, 2});
    CHECK(out.log_end == std::array<int64_t, 3>{20, 20, 0});  // node 3 never fetched
}

}  // namespace eddy::kafka
