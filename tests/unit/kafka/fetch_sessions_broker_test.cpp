// KIP-227 fetch sessions through the broker's request path (SimWorld, Fetch v12 frames over the
// simulated network into Broker::handle_fetch): a full fetch opens a session; incremental fetches
// name only what moved, forget partitions, long-poll when nothing is new, and are answered with
// only the partitions that have something to say; wrong epochs, unknown ids and closed sessions
// get their errors; epoch -1 and pre-v7 fetches stay sessionless. librdkafka and kafkajs never
// open sessions, so this is the test a Java consumer's or a Kafka follower's fetches would be.
#include <doctest/doctest.h>

#include "core/protocol/error_codes.h"
#include "tests/unit/kafka/kafka_test_util.h"

namespace eddy::kafka {

using namespace protocol;
using namespace test;

namespace {

FetchRequest::FetchPartition at(int32_t partition, int64_t offset) {
    return fetch_position(partition, offset);
}

FetchRequest session_fetch(int32_t id, int32_t epoch,
                           const std::vector<FetchRequest::FetchPartition>& named,
                           int32_t max_wait_ms = 0) {
    FetchRequest f;
    f.session_id_ = id;
    f.session_epoch_ = epoch;
    f.max_wait_ms_ = max_wait_ms;
    f.min_bytes_ = 1;
    f.max_bytes_ = 1 << 20;
    if (!named.empty()) {
        f.topics_.emplace_back();
        f.topics_[0].topic_ = "t";
        f.topics_[0].partitions_ = named;
    }
    return f;
}

// The partitions an answer carries, with their records' values.
std::map<int32_t, std::vector<std::string>> carried(const FetchResponse& r) {
    std::map<int32_t, std::vector<std::string>> out;
    for (const auto& t : r.responses_) {
        CHECK(t.topic_ == "t");
        for (const auto& p : t.partitions_) {
            CHECK(p.error_code_ == kafka_error::none);
            out[p.partition_index_] = p.records_ ? record_values(*p.records_)
                                                 : std::vector<std::string>{};
        }
    }
    return out;
}

using Carried = std::map<int32_t, std::vector<std::string>>;

void produce(Client& c, int32_t partition, const std::string& value) {
    auto p = c.call<ProduceResponse>(produce_request("t", partition, make_batch({value})), 7);
    REQUIRE(p.has_value());
    CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
}

}  // namespace

TEST_CASE("fetch sessions: full, incremental, forget, errors and close through the broker") {
    BrokerNode bn{test_config()};
    with_broker(227, bn, [&](Env& env) {
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 3), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        produce(c, 0, "a");
        produce(c, 1, "b");

        // Full fetch asking for a session: every partition answered, and a session id.
        auto full = c.call<FetchResponse>(session_fetch(0, 0, {at(0, 0), at(1, 0), at(2, 0)}), 12);
        REQUIRE(full.has_value());
        CHECK(full->error_code_ == 0);
        const int32_t id = full->session_id_;
        CHECK(id != 0);
        CHECK(carried(*full) == Carried{{0, {"a"}}, {1, {"b"}}, {2, {}}});

        // Incremental: the two positions moved, nothing new anywhere: a long poll of max_wait,
        // then an answer with no partitions at all.
        const Instant before = env.clock.now();
        auto idle = c.call<FetchResponse>(session_fetch(id, 1, {at(0, 1), at(1, 1)}, 500), 12);
        REQUIRE(idle.has_value());
        CHECK(idle->error_code_ == 0);
        CHECK(idle->session_id_ == id);
        CHECK(idle->responses_.empty());
        CHECK(env.clock.now() - before >= Duration::millis(500));

        // New data in partition 2 (never named since the full fetch): only it is carried.
        produce(c, 2, "c");
        auto news = c.call<FetchResponse>(session_fetch(id, 2, {}, 500), 12);
        REQUIRE(news.has_value());
        CHECK(news->session_id_ == id);
        CHECK(carried(*news) == Carried{{2, {"c"}}});
        REQUIRE(news->responses_.size() == 1);
        CHECK(news->responses_[0].partitions_[0].high_watermark_ == 1);

        // Partition 0 forgotten: its new record is not carried; partition 2's position moves.
        FetchRequest forget = session_fetch(id, 3, {at(2, 1)});
        forget.forgotten_topics_data_.emplace_back();
        forget.forgotten_topics_data_[0].topic_ = "t";
        forget.forgotten_topics_data_[0].partitions_ = {0, 7};  // 7: never in the session
        produce(c, 0, "d");
        auto forgot = c.call<FetchResponse>(forget, 12);
        REQUIRE(forgot.has_value());
        CHECK(forgot->error_code_ == 0);
        CHECK(carried(*forgot).empty());
        // Named again (an add), it is carried with what it has.
        auto back = c.call<FetchResponse>(session_fetch(id, 4, {at(0, 1)}), 12);
        REQUIRE(back.has_value());
        CHECK(carried(*back) == Carried{{0, {"d"}}});

        // The epoch just used again, an epoch ahead, an unknown id: session errors alone.
        auto stale = c.call<FetchResponse>(session_fetch(id, 4, {}), 12);
        REQUIRE(stale.has_value());
        CHECK(stale->error_code_ == kafka_error::invalid_fetch_session_epoch);
        CHECK(stale->responses_.empty());
        auto ahead = c.call<FetchResponse>(session_fetch(id, 9, {}), 12);
        CHECK(ahead->error_code_ == kafka_error::invalid_fetch_session_epoch);
        auto unknown = c.call<FetchResponse>(session_fetch(id ^ 0x5a5a, 1, {}), 12);
        REQUIRE(unknown.has_value());
        CHECK(unknown->error_code_ == kafka_error::fetch_session_id_not_found);
        CHECK(unknown->session_id_ == 0);
        // The session still works at its epoch.
        auto on = c.call<FetchResponse>(session_fetch(id, 5, {}), 12);
        CHECK(on->error_code_ == 0);
        CHECK(on->session_id_ == id);

        // Epoch -1 closes it and is answered as a sessionless fetch of what it names.
        auto closed = c.call<FetchResponse>(session_fetch(id, -1, {at(1, 0)}), 12);
        REQUIRE(closed.has_value());
        CHECK(closed->error_code_ == 0);
        CHECK(closed->session_id_ == 0);
        CHECK(carried(*closed) == Carried{{1, {"b"}}});
        auto gone = c.call<FetchResponse>(session_fetch(id, 6, {}), 12);
        CHECK(gone->error_code_ == kafka_error::fetch_session_id_not_found);

        // Sessionless fetches are as before: v12 with epoch -1, and v4 (no session fields).
        auto v12 = c.call<FetchResponse>(session_fetch(0, -1, {at(0, 0)}), 12);
        CHECK(v12->session_id_ == 0);
        CHECK(carried(*v12) == Carried{{0, {"a", "d"}}});
        auto v4 = c.call<FetchResponse>(session_fetch(0, -1, {at(2, 0)}), 4);
        CHECK(carried(*v4) == Carried{{2, {"c"}}});
    });
}

TEST_CASE("fetch sessions: an incremental long poll is woken by new data in a partition not named") {
    BrokerNode bn{test_config()};
    with_broker(228, bn, [&](Env& env) {
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 2), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        auto full = c.call<FetchResponse>(session_fetch(0, 0, {at(0, 0), at(1, 0)}), 12);
        REQUIRE(full.has_value());
        const int32_t id = full->session_id_;
        REQUIRE(id != 0);
        bool produced = false;
        auto producer = env.scheduler.spawn("producer", [&] {
            (void)env.scheduler.sleep_for(Duration::millis(100));
            Client p(env);
            produce(p, 1, "late");
            produced = true;
        });
        const Instant before = env.clock.now();
        auto woken = c.call<FetchResponse>(session_fetch(id, 1, {}, 30'000), 12);
        REQUIRE(woken.has_value());
        CHECK(env.clock.now() - before < Duration::seconds(5));
        CHECK(carried(*woken) == Carried{{1, {"late"}}});
        (void)producer.join();
        CHECK(produced);
    });
}

TEST_CASE("fetch sessions: without cache slots, a fetch asking for a session gets none") {
    BrokerNode bn{test_config({{"max.incremental.fetch.session.cache.slots", "0"}})};
    with_broker(229, bn, [&](Env& env) {
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 1), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        produce(c, 0, "a");
        auto full = c.call<FetchResponse>(session_fetch(0, 0, {at(0, 0)}), 12);
        REQUIRE(full.has_value());
        CHECK(full->error_code_ == 0);
        CHECK(full->session_id_ == 0);
        CHECK(carried(*full) == Carried{{0, {"a"}}});
    });
}

}  // namespace eddy::kafka
