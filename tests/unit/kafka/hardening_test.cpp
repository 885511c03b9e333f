// Hostile but well-formed requests against the broker under the simulator (issue 9, point 1):
// request content that used to reach an assertion — a 32,760-byte topic name echoed into an error
// message, a 32 KiB client id turned into a member id, one partition named thousands of times with
// max_bytes 2^31-1 — is answered, bounded, and the connection keeps working; fetch.max.bytes caps a
// Fetch response; max.connections and max.connections.per.ip behave as Kafka's; an inconsistent
// record in the metadata log stops the broker's start with a one-line reason naming the record.
#include "services/controller/metadata_log.h"
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

// The connection still works: an ApiVersions round trip.
bool still_serves(Client& c) {
    auto v = c.call<ApiVersionsResponse>(ApiVersionsRequest{}, 3);
    return v.has_value() && v->error_code_ == 0;
}

size_t records_bytes(const FetchResponse& f) {
    size_t n = 0;
    for (const auto& t : f.responses_) {
        for (const auto& p : t.partitions_) {
            n += p.records_ ? p.records_->size() : 0;
        }
    }
    return n;
}

}  // namespace

TEST_CASE(
    "hardening: a 32,760-byte topic name in DescribeConfigs v4 is answered, message bounded") {
    BrokerNode bn{test_config()};
    with_broker(91, bn, [&](Env& env) {
        Client c(env);
        DescribeConfigsRequest dc;
        DescribeConfigsRequest::DescribeConfigsResource res;
        res.resource_type_ = 2;
        res.resource_name_ = std::string(32760, 'x');
        dc.resources_.push_back(res);
        auto resp = c.call<DescribeConfigsResponse>(dc, 4);
        REQUIRE(resp.has_value());
        const auto& r = resp->results_.at(0);
        CHECK(r.error_code_ == 3);                      // UNKNOWN_TOPIC_OR_PARTITION
        CHECK(r.resource_name_ == res.resource_name_);  // echoed whole: it fits, as it came
        REQUIRE(r.error_message_.has_value());
        CHECK(r.error_message_->size() < 400);
        CHECK(r.error_message_->find("(32760 bytes)") != std::string::npos);
        CHECK(still_serves(c));

        // One topic named 1,000 times: described once, the repeats refused without their configs.
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 1), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        DescribeConfigsRequest many;
        res.resource_name_ = "t";
        many.resources_.assign(1000, res);
        auto all = c.call<DescribeConfigsResponse>(many, 4);
        REQUIRE(all.has_value());
        REQUIRE(all->results_.size() == 1000);
        CHECK(all->results_[0].error_code_ == 0);
        CHECK(!all->results_[0].configs_.empty());
        CHECK(all->results_[999].error_code_ == 42);  // INVALID_REQUEST
        CHECK(all->results_[999].configs_.empty());
    });
}

TEST_CASE("hardening: configs whose names and values are at the string limit get INVALID_CONFIG") {
    BrokerNode bn{test_config()};
    with_broker(92, bn, [&](Env& env) {
        Client c(env);
        // An unknown key of 32,000 bytes, and a known key with a 32,000-byte bad value.
        for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
                 {std::string(32000, 'k'), "1"},
                 {"cleanup.policy", std::string(32000, 'v')},
                 {"retention.ms", std::string(32000, '9')}}) {
            auto resp = c.call<CreateTopicsResponse>(create_topic_request("t", 1, {{k, v}}), 5);
            REQUIRE(resp.has_value());
            CHECK(resp->topics_.at(0).error_code_ == 40);  // INVALID_CONFIG
            REQUIRE(resp->topics_.at(0).error_message_.has_value());
            CHECK(resp->topics_.at(0).error_message_->size() < 1000);
        }
        // The same topic named twice, with a name at Kafka's 249-character limit.
        CreateTopicsRequest twice = create_topic_request(std::string(249, 'n'), 1);
        twice.topics_.push_back(twice.topics_[0]);
        auto resp = c.call<CreateTopicsResponse>(twice, 5);
        REQUIRE(resp.has_value());
        CHECK(resp->topics_.size() == 2);
        CHECK(resp->topics_.at(0).error_code_ == 42);  // INVALID_REQUEST
        CHECK(still_serves(c));
    });
}

TEST_CASE("hardening: a JoinGroup whose client id is 32,767 bytes gets a bounded member id") {
    BrokerNode bn{test_config()};
    with_broker(93, bn, [&](Env& env) {
        Client c(env);
        c.set_client_id(std::string(32767, 'c'));
        JoinGroupRequest j;
        j.group_id_ = "g";
        j.session_timeout_ms_ = 10000;
        j.rebalance_timeout_ms_ = 10000;
        j.member_id_ = "";
        j.protocol_type_ = "consumer";
        JoinGroupRequest::JoinGroupRequestProtocol p;
        p.name_ = "range";
        p.metadata_ = Bytes{};
        j.protocols_.push_back(p);
        for (int16_t version : {int16_t{9}, int16_t{0}}) {
            auto first = c.call<JoinGroupResponse>(j, version);
            REQUIRE(first.has_value());
            if (version >= 4) {
                CHECK(first->error_code_ == 79);  // MEMBER_ID_REQUIRED, with the id to use
            } else {
                CHECK(first->error_code_ == 0);  // v0 joins at once
            }
            CHECK(!first->member_id_.empty());
            CHECK(first->member_id_.size() <= protocol::limits::echoed_bytes_max + 48);
            CHECK(first->member_id_.starts_with("ccc"));
        }
        CHECK(still_serves(c));
    });
}

TEST_CASE("hardening: one partition named 5,000 times with max_bytes 2^31-1 is answered once") {
    BrokerNode bn{test_config()};
    with_broker(94, bn, [&](Env& env) {
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 2), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        auto p = c.call<ProduceResponse>(produce_request("t", 0, make_batch({"a", "b"})), 7);
        CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
        FetchRequest f = fetch_request("t", 0, 0);
        f.max_bytes_ = INT32_MAX;
        f.topics_[0].partitions_[0].partition_max_bytes_ = INT32_MAX;
        auto named = f.topics_[0].partitions_[0];
        for (int i = 0; i < 4999; ++i) {
            named.fetch_offset_ = i % 2;  // the position given last counts
            f.topics_[0].partitions_.push_back(named);
        }
        f.topics_.push_back(f.topics_[0]);  // and the whole topic again
        auto resp = c.call<FetchResponse>(f, 11);
        REQUIRE(resp.has_value());
        REQUIRE(resp->responses_.size() == 1);
        REQUIRE(resp->responses_.at(0).partitions_.size() == 1);
        const auto& pd = resp->responses_.at(0).partitions_.at(0);
        CHECK(pd.error_code_ == 0);
        CHECK(pd.high_watermark_ == 2);
        CHECK(record_values(*pd.records_) == std::vector<std::string>{"a", "b"});
        CHECK(still_serves(c));
    });
}

TEST_CASE("hardening: fetch.max.bytes caps a Fetch response; the first batch still goes whole") {
    BrokerNode bn{test_config({{"fetch.max.bytes", "1024"}})};
    with_broker(95, bn, [&](Env& env) {
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 2), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        const std::string big(600, 'v');
        for (int32_t part = 0; part < 2; ++part) {
            for (int i = 0; i < 3; ++i) {
                auto p = c.call<ProduceResponse>(produce_request("t", part, make_batch({big})), 7);
                CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
            }
        }
        FetchRequest f = fetch_request("t", 0, 0);
        f.max_bytes_ = INT32_MAX;
        f.topics_[0].partitions_[0].partition_max_bytes_ = INT32_MAX;
        auto p1 = f.topics_[0].partitions_[0];
        p1.partition_ = 1;
        f.topics_[0].partitions_.push_back(p1);
        auto resp = c.call<FetchResponse>(f, 11);
        REQUIRE(resp.has_value());
        const size_t n = records_bytes(*resp);
        CHECK(n > 600);    // the first batch, whole
        CHECK(n <= 1024);  // not the 3,600 bytes the client would take

        // A batch larger than fetch.max.bytes still comes back (KIP-74), alone.
        const std::string huge(3000, 'h');
        CHECK(c.call<ProduceResponse>(produce_request("t", 1, make_batch({huge})), 7)
                  ->responses_.at(0)
                  .partition_responses_.at(0)
                  .error_code_ == 0);
        auto alone = c.call<FetchResponse>(fetch_request("t", 1, 3), 11);
        REQUIRE(alone.has_value());
        CHECK(records_bytes(*alone) > 3000);
        CHECK(record_values(*alone->responses_.at(0).partitions_.at(0).records_) ==
              std::vector<std::string>{huge});
    });
}

TEST_CASE("hardening: max.connections.per.ip closes connections over the limit at once") {
    BrokerNode bn{test_config({{"max.connections.per.ip", "2"}})};
    with_broker(96, bn, [&](Env& env) {
        auto a = std::make_unique<Client>(env);
        Client b(env);
        CHECK(still_serves(*a));
        CHECK(still_serves(b));
        Client third(env);  // connects (the kernel accepts), then the broker closes it
        CHECK(!third.call<ApiVersionsResponse>(ApiVersionsRequest{}, 3).has_value());
        a.reset();  // one closes: room for another
        bool served = false;
        for (int attempt = 0; attempt < 50 && !served; ++attempt) {
            env.scheduler.sleep_for(Duration::millis(10));  // the broker sees the close
            Client again(env);
            served = still_serves(again);
        }
        CHECK(served);
        CHECK(still_serves(b));
    });
}

TEST_CASE("hardening: at max.connections the broker stops accepting until a connection closes") {
    BrokerNode bn{test_config({{"max.connections", "1"}})};
    with_broker(97, bn, [&](Env& env) {
        auto first = std::make_unique<Client>(env);
        CHECK(still_serves(*first));
        bool second_answered = false;
        bool first_closed = false;
        auto waiter = env.scheduler.spawn("second", [&] {
            Client second(env);
            CHECK(still_serves(second));
            second_answered = true;
            CHECK(first_closed);  // served only after the first connection went away
        });
        env.scheduler.sleep_for(Duration::seconds(1));
        CHECK(!second_answered);
        first_closed = true;
        first.reset();
        waiter.join();
        CHECK(second_answered);
    });
}

TEST_CASE("hardening: an inconsistent metadata record stops start() with a reason naming it") {
    sim::SimWorld w(98, quiet_world());
    int incarnation = 0;
    bool first_done = false;
    std::optional<std::string> second_start;
    const auto config = test_config();
    w.add_node("broker", [&](Env& env) {
        ++incarnation;
        Broker b(env, config, BrokerOptions{});
        auto r = b.start();
        if (incarnation == 1) {
            REQUIRE(r.ok());
            // A PartitionRecord for a topic id no TopicRecord created, committed through the
            // quorum without the controller's checks (a buggy controller or a hand-edited log).
            protocol::records::PartitionRecord pr;
            pr.partition_id_ = 0;
            pr.topic_id_.bytes_.fill(9);
            pr.replicas_ = {1};
            pr.isr_ = {1};
            pr.leader_ = 1;
            REQUIRE(b.quorum().propose(controller::encode_metadata_entry({pr}),
                                       Duration::seconds(5)).ok());
            b.stop();
            first_done = true;
            return;
        }
        second_start = r.ok() ? std::string("started") : r.error();
        if (r.ok()) {
            b.stop();
        }
    });
    w.start(w.node("broker"));
    w.run([&] { return first_done; }, Instant::from_nanos(Duration::seconds(30).to_nanos()));
    w.restart(w.node("broker"));
    w.run([&] { return second_start.has_value(); },
          Instant::from_nanos(Duration::seconds(60).to_nanos()));
    REQUIRE(second_start.has_value());
    CHECK(second_start->find("cannot replay the metadata log") != std::string::npos);
    CHECK(second_start->find("PartitionRecord") != std::string::npos);
    CHECK(second_start->find("offset") != std::string::npos);
}

TEST_CASE("hardening: a Fetch long-polling for 2^31-1 ms does not hold up the broker's stop") {
    BrokerNode bn{test_config()};
    sim::SimWorld w(99, quiet_world());
    std::optional<Instant> stop_asked;
    w.add_node("broker", bn.boot());
    w.add_node("client", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 1), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        FetchRequest f = fetch_request("t", 0, 0);
        f.max_wait_ms_ = INT32_MAX;
        f.min_bytes_ = 1;
        CHECK(c.send(f, 11).ok());
        env.scheduler.sleep_for(Duration::millis(200));  // the fetch is parked, waiting for data
        stop_asked = env.clock.now();
        bn.stop->set();
        env.scheduler.sleep_for(Duration::seconds(3600));
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));
    REQUIRE(bn.stopped);
    REQUIRE(stop_asked.has_value());
    CHECK(w.now() - *stop_asked < Duration::seconds(10));
}
