// Eddy's client (services/client) against the real broker (services/kafka) under the simulator:
// admin calls, a produce → fetch round trip with every codec, ListOffsets, and a produce that
// retries through a broker crash and restart.
#include <algorithm>

#include "services/client/client.h"
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using eddy::kafka::test::BrokerNode;
using eddy::kafka::test::quiet_world;
using eddy::kafka::test::test_config;

namespace {

client::ClientOptions sim_options() {
    client::ClientOptions o;
    o.bootstrap = {Address{"broker", 9092}};
    o.client_id = "eddy-sim-test";
    o.request_timeout = Duration::seconds(10);
    return o;
}

std::vector<std::string> values(const client::FetchResult& f) {
    std::vector<std::string> out;
    for (const auto& r : f.records) {
        out.push_back(r.value.value_or("<null>"));
    }
    return out;
}

void wait_started(Env& env, const BrokerNode& bn) {
    while (!bn.started) {
        env.scheduler.sleep_for(Duration::millis(1));
    }
}

}  // namespace

TEST_CASE("client: admin, produce and fetch against the simulated broker") {
    sim::SimWorld w(11, quiet_world());
    BrokerNode bn{test_config()};
    bool finished = false;
    w.add_node("broker", bn.boot());
    w.add_node("client", [&](Env& env) {
        wait_started(env, bn);
        client::Client c(env, sim_options());

        client::NewTopic t{"orders", 3, -1, {{"retention.ms", "60000"}}};
        REQUIRE(c.create_topic(t).ok());
        auto again = c.create_topic(t);
        REQUIRE(!again.ok());
        CHECK(again.error().code == client::error_code::topic_already_exists);
        auto missing = c.topic("nope");
        REQUIRE(!missing.ok());
        CHECK(missing.error().code == client::error_code::unknown_topic_or_partition);

        auto md = c.topic("orders");
        REQUIRE(md.ok());
        CHECK(md->partitions.size() == 3);
        CHECK(md->partitions.at(2).leader == NodeId(1));

        auto cfgs = c.describe_topic_configs("orders");
        REQUIRE(cfgs.ok());
        const auto ret = std::find_if(cfgs->begin(), cfgs->end(),
                                      [](const auto& e) { return e.name == "retention.ms"; });
        REQUIRE(ret != cfgs->end());
        CHECK(ret->value == std::optional<std::string>("60000"));
        CHECK(ret->source == client::ConfigSource::dynamic_topic);

        // One batch per codec on partition 1; every one reads back with keys and headers.
        std::vector<std::string> want;
        const record::Codec codecs[] = {record::Codec::none, record::Codec::gzip,
                                        record::Codec::snappy, record::Codec::lz4,
                                        record::Codec::zstd};
        int64_t ts = 1'700'000'000'000;
        for (const record::Codec codec : codecs) {
            std::vector<client::ProducerRecord> recs;
            for (int i = 0; i < 2; ++i) {
                client::ProducerRecord r;
                r.key = "k";
                r.value = "v" + std::to_string(want.size());
                r.headers = {{"h", "x"}, {"n", std::nullopt}};
                r.timestamp_ms = ts++;
                want.push_back(*r.value);
                recs.push_back(std::move(r));
            }
            client::ProduceOptions po;
            po.compression = codec;
            auto p = c.produce("orders", PartitionId(1), recs, po);
            REQUIRE(p.ok());
            CHECK(p->base_offset == Offset(static_cast<int64_t>(want.size()) - 2));
        }
        auto f = c.fetch("orders", PartitionId(1), Offset(0), client::FetchOptions{});
        REQUIRE(f.ok());
        CHECK(values(*f) == want);
        CHECK(f->high_watermark == Offset(10));
        CHECK(f->next_offset == Offset(10));
        CHECK(f->records.at(3).key == std::optional<std::string>("k"));
        CHECK(f->records.at(3).headers ==
              std::vector<client::RecordHeader>{{"h", "x"}, {"n", std::nullopt}});
        // Starting mid-batch drops the batch's earlier records.
        auto mid = c.fetch("orders", PartitionId(1), Offset(5), client::FetchOptions{});
        REQUIRE(mid.ok());
        CHECK(mid->records.at(0).offset == Offset(5));

        CHECK(c.list_offset("orders", PartitionId(1), -2).value() == Offset(0));
        CHECK(c.list_offset("orders", PartitionId(1), -1).value() == Offset(10));
        CHECK(c.list_offset("orders", PartitionId(1), 1'700'000'000'004).value() == Offset(4));
        CHECK(c.list_offset("orders", PartitionId(1), 1'800'000'000'000).value() == std::nullopt);

        REQUIRE(c.alter_topic_configs(
                     "orders", {{"cleanup.policy", "compact"}, {"retention.ms", std::nullopt}})
                    .ok());
        cfgs = c.describe_topic_configs("orders");
        REQUIRE(cfgs.ok());
        for (const auto& e : *cfgs) {
            if (e.name == "cleanup.policy") {
                CHECK(e.value == std::optional<std::string>("compact"));
            }
            if (e.name == "retention.ms") {
                CHECK(e.source != client::ConfigSource::dynamic_topic);
            }
        }
        REQUIRE(c.create_partitions("orders", 5).ok());
        CHECK(c.topic("orders")->partitions.size() == 5);
        auto shrink = c.create_partitions("orders", 2);
        REQUIRE(!shrink.ok());
        CHECK(shrink.error().code == client::error_code::invalid_partitions);

        REQUIRE(c.delete_topic("orders").ok());
        auto gone = c.delete_topic("orders");
        REQUIRE(!gone.ok());
        CHECK(gone.error().code == client::error_code::unknown_topic_or_partition);
        finished = true;
        bn.stop->set();
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));
    CHECK(finished);
}

TEST_CASE("client: a produce retries through a broker crash and restart") {
    sim::SimWorld w(12, quiet_world());
    BrokerNode bn{test_config()};
    int phase = 0;
    bool finished = false;
    w.add_node("broker", bn.boot());
    w.add_node("client", [&](Env& env) {
        wait_started(env, bn);
        client::Client c(env, sim_options());
        REQUIRE(c.create_topic(client::NewTopic{"t", 1, -1, {}}).ok());
        client::ProducerRecord a;
        a.value = "before";
        REQUIRE(c.produce("t", PartitionId(0), {a}, client::ProduceOptions{}).ok());
        phase = 1;  // the test crashes and restarts the broker now
        while (phase != 2) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        // The old connection is dead and the broker may still be booting: the client retries.
        client::ProducerRecord b;
        b.value = "after";
        auto p = c.produce("t", PartitionId(0), {b}, client::ProduceOptions{});
        REQUIRE(p.ok());
        CHECK(p->base_offset == Offset(1));
        auto f = c.fetch("t", PartitionId(0), Offset(0), client::FetchOptions{});
        REQUIRE(f.ok());
        CHECK(values(*f) == std::vector<std::string>{"before", "after"});
        finished = true;
        bn.stop->set();
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return phase == 1; }, Instant::from_nanos(Duration::seconds(60).to_nanos()));
    REQUIRE(phase == 1);
    w.crash(w.node("broker"));
    bn.started = false;
    w.restart(w.node("broker"));
    phase = 2;
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));
    CHECK(finished);
}
