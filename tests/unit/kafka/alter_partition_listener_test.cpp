// AlterPartition through the controller listener of a three-node cluster in the simulator: only
// the active controller accepts it (the others answer NOT_CONTROLLER), the change reaches every
// node's image, each version's naming (topic names v0-1, ids v2+, broker epochs v3) works on the
// wire (through the client's BrokerConnection too, ControllerChannel's path to a remote
// controller), and the errors come back where Kafka puts them.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>

#include "services/client/broker_connection.h"
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using protocol::AlterPartitionRequest;
using protocol::AlterPartitionResponse;

namespace e = eddy::kafka_error;

// REQUIRE would throw through the simulator's fibers: check, and leave the fiber's body instead.
#define CHECK_OR_RETURN(cond)            \
    do {                                 \
        const bool check_ok_ = (cond);   \
        CHECK_MESSAGE(check_ok_, #cond); \
        if (!check_ok_) {                \
            return;                      \
        }                                \
    } while (false)

namespace {

constexpr std::array<const char*, 3> hosts{"n1", "n2", "n3"};
constexpr uint16_t controller_port = 9093;
constexpr Duration settle_wait = Duration::seconds(60);

config::BrokerConfig node_config(int32_t id) {
    const std::string host = hosts[static_cast<size_t>(id - 1)];
    return test_config({{"listeners", "PLAINTEXT://" + host + ":9092,CONTROLLER://" + host + ":" +
                                          std::to_string(controller_port)},
                        {"node.id", std::to_string(id)},
                        {"controller.quorum.voters", "1@n1:9093,2@n2:9093,3@n3:9093"}});
}

// Topic `name`, one partition on all three brokers, created through n1 (retried while the
// cluster settles).
bool create_topic(Env& env, const std::string& name) {
    Client c(env, "n1", 9092);
    auto req = create_topic_request(name, 1);
    req.topics_[0].replication_factor_ = 3;
    req.timeout_ms_ = 10'000;
    return await(env, [&] {
        auto r = c.call<protocol::CreateTopicsResponse>(req, 5);
        return r && r->topics_.size() == 1 &&
               (r->topics_[0].error_code_ == e::none ||
                r->topics_[0].error_code_ == e::topic_already_exists);
    });
}

// Partition 0 of `topic` from `leader` at the partition's current epochs, to `isr` (v3 broker
// epochs from `image`).
AlterPartitionRequest isr_change(const controller::MetadataImage& image, const std::string& topic,
                                 int32_t leader, const std::vector<int32_t>& isr) {
    AlterPartitionRequest req;
    const controller::TopicState* t = image.topic(topic);
    CHECK(t != nullptr);
    if (t == nullptr) {
        return req;
    }
    const controller::PartitionState& p = t->partitions.at(0);
    req.broker_id_ = leader;
    req.broker_epoch_ = image.broker(leader)->epoch;
    AlterPartitionRequest::TopicData td;
    td.topic_name_ = topic;
    td.topic_id_ = t->id;
    AlterPartitionRequest::PartitionData pd;
    pd.partition_index_ = 0;
    pd.leader_epoch_ = p.leader_epoch;
    pd.partition_epoch_ = p.partition_epoch;
    pd.new_isr_ = isr;
    for (int32_t b : isr) {
        pd.new_isr_with_epochs_.push_back({b, image.broker(b)->epoch});
    }
    td.partitions_.push_back(pd);
    req.topics_.push_back(td);
    return req;
}

// The one partition's error, or -1000 when the response has a top-level error or no partition.
int16_t partition_error(const std::optional<AlterPartitionResponse>& r) {
    if (!r || r->error_code_ != e::none || r->topics_.size() != 1 ||
        r->topics_[0].partitions_.size() != 1) {
        return -1000;
    }
    return r->topics_[0].partitions_[0].error_code_;
}

}  // namespace

TEST_CASE("alter partition on the wire: the active controller changes the ISR everywhere") {
    sim::SimWorld w(11, quiet_world());
    std::vector<std::unique_ptr<BrokerNode>> nodes;
    for (int32_t id = 1; id <= 3; ++id) {
        // The test plays the partition leader's part: the real leader sends no AlterPartition.
        BrokerOptions o;
        o.replica_knobs.no_isr_changes = true;
        nodes.push_back(std::make_unique<BrokerNode>(node_config(id), o));
        w.add_node(hosts[static_cast<size_t>(id - 1)], nodes.back()->boot());
    }
    bool finished = false;
    auto body = [&](Env& env) {
        auto image = [&](size_t i) -> const controller::MetadataImage& {
            return nodes[i]->broker->controller().image();
        };
        CHECK_OR_RETURN(await(env, [&] {
            return std::all_of(nodes.begin(), nodes.end(),
                               [](const auto& n) { return n->started; });
        }));
        CHECK_OR_RETURN(await(env, [&] { return image(0).unfenced_brokers().size() == 3; }));
        CHECK_OR_RETURN(create_topic(env, "isr"));
        CHECK_OR_RETURN(await(env, [&] {
            return std::all_of(nodes.begin(), nodes.end(), [](const auto& n) {
                return n->broker->controller().image().topic("isr") != nullptr;
            });
        }));
        const controller::PartitionState before = image(0).topic("isr")->partitions.at(0);
        CHECK_OR_RETURN(before.isr.size() == 3);
        const int32_t leader = before.leader;
        std::vector<int32_t> shrunk = before.isr;
        shrunk.erase(
            std::find_if(shrunk.begin(), shrunk.end(), [&](int32_t b) { return b != leader; }));

        // v3 to every node: only the active controller answers with the change.
        const AlterPartitionRequest shrink = isr_change(image(0), "isr", leader, shrunk);
        int not_controller = 0;
        std::string active;
        size_t active_index = 0;
        for (size_t i = 0; i < hosts.size(); ++i) {
            const char* host = hosts[i];
            Client c(env, host, controller_port);
            auto r = c.call<AlterPartitionResponse>(shrink, 3);
            CHECK_OR_RETURN(r.has_value());
            if (r->error_code_ == e::not_controller) {
                CHECK(r->topics_.empty());
                ++not_controller;
                continue;
            }
            active = host;
            active_index = i;
            CHECK_OR_RETURN(partition_error(r) == e::none);
            CHECK(r->topics_[0].topic_id_ == image(0).topic("isr")->id);
            const auto& p = r->topics_[0].partitions_[0];
            CHECK(p.partition_index_ == 0);
            CHECK(p.leader_id_ == leader);
            CHECK(p.isr_ == shrunk);
            CHECK(p.leader_epoch_ == before.leader_epoch);
            CHECK(p.partition_epoch_ == before.partition_epoch + 1);
            CHECK(p.leader_recovery_state_ == 0);
        }
        CHECK(not_controller == 2);
        CHECK_OR_RETURN(!active.empty());
        CHECK(await(env, [&] {
            return std::all_of(nodes.begin(), nodes.end(), [&](const auto& n) {
                const auto& p = n->broker->controller().image().topic("isr")->partitions.at(0);
                return p.isr == shrunk && p.partition_epoch == before.partition_epoch + 1 &&
                       p.leader_epoch == before.leader_epoch;
            });
        }));

        // Back to all three through the client's BrokerConnection (ControllerChannel's path to
        // a remote controller), which negotiates v3.
        {
            auto conn =
                client::BrokerConnection::open(env, Address{active, controller_port}, "isr-test",
                                               env.scheduler.now() + settle_wait);
            CHECK_OR_RETURN(conn.ok());
            CHECK((*conn)->versions().version(protocol::ApiKey::alter_partition) ==
                  std::optional<int16_t>(3));
            const auto grow = isr_change(image(active_index), "isr", leader, before.isr);
            auto r = (*conn)->call<AlterPartitionResponse>(grow, env.scheduler.now() + settle_wait);
            CHECK_OR_RETURN(r.ok());
            CHECK_OR_RETURN(partition_error(std::optional<AlterPartitionResponse>(*r)) == e::none);
            CHECK(r->topics_[0].partitions_[0].isr_ == before.isr);
            CHECK(r->topics_[0].partitions_[0].partition_epoch_ == before.partition_epoch + 2);
        }

        Client c(env, active, controller_port);
        // v0-1 name the topic (and echo the name); a stale partition epoch.
        auto stale = isr_change(image(active_index), "isr", leader, shrunk);
        stale.topics_[0].partitions_[0].partition_epoch_ -= 1;
        for (int16_t v : {int16_t{0}, int16_t{1}}) {
            auto r = c.call<AlterPartitionResponse>(stale, v);
            CHECK(partition_error(r) == e::invalid_update_version);
            CHECK((r && r->topics_.size() == 1 && r->topics_[0].topic_name_ == "isr"));
        }
        // v2+ name it by id.
        protocol::Uuid unknown_topic_id;
        unknown_topic_id.bytes_.fill(0x55);
        auto unknown = isr_change(image(active_index), "isr", leader, shrunk);
        unknown.topics_[0].topic_id_ = unknown_topic_id;
        CHECK(partition_error(c.call<AlterPartitionResponse>(unknown, 2)) == e::unknown_topic_id);
        // v3: an ISR member's broker epoch must be its registration's.
        auto wrong_epoch = isr_change(image(active_index), "isr", leader, before.isr);
        wrong_epoch.topics_[0].partitions_[0].new_isr_with_epochs_.back().broker_epoch_ += 1000;
        CHECK(partition_error(c.call<AlterPartitionResponse>(wrong_epoch, 3)) ==
              e::ineligible_replica);
        CHECK(partition_error(c.call<AlterPartitionResponse>(wrong_epoch, 2)) == e::none);
        // A sender with another broker epoch: the whole request.
        auto stale_sender = isr_change(image(active_index), "isr", leader, shrunk);
        stale_sender.broker_epoch_ += 1000;
        auto r = c.call<AlterPartitionResponse>(stale_sender, 3);
        CHECK_OR_RETURN(r.has_value());
        CHECK(r->error_code_ == e::stale_broker_epoch);
        CHECK(r->topics_.empty());
        // None of these changed anything.
        const auto& after = image(active_index).topic("isr")->partitions.at(0);
        CHECK(after.isr == before.isr);
        CHECK(after.partition_epoch == before.partition_epoch + 2);
        finished = true;
    };
    w.add_node("client", [&](Env& env) {
        body(env);
        for (auto& n : nodes) {
            if (n->stop) {
                n->stop->set();
            }
        }
    });
    for (const char* host : hosts) {
        w.start(w.node(host));
    }
    w.start(w.node("client"));
    w.run(
        [&] {
            return std::all_of(nodes.begin(), nodes.end(),
                               [](const auto& n) { return n->stopped; });
        },
        Instant::from_nanos(Duration::seconds(300).to_nanos()));
    CHECK(finished);
}
