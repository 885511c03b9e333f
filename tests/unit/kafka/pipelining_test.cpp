// Pipelined requests on one connection (services/kafka/broker.h "Concurrency"): acks=all produce
// requests sent back to back share group commits — fewer syncs than requests — while their
// appends keep the connection's order and their responses come back in request order. Under the
// simulator with random ready order and a sync that takes time; no timing is asserted.
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

constexpr int requests_n = 24;
constexpr int16_t produce_version = 7;
constexpr int16_t fetch_version = 11;

Bytes encode_request(ApiKey key, int16_t version, int32_t correlation_id, const auto& request) {
    RequestHeader h;
    h.request_api_key_ = static_cast<int16_t>(key);
    h.request_api_version_ = version;
    h.correlation_id_ = correlation_id;
    h.client_id_ = "pipelining-test";
    Bytes body;
    Writer w(body);
    encode_request_header(w, h);
    request.encode(w, version);
    return body;
}

}  // namespace

TEST_CASE("kafka broker: pipelined acks=all produce requests share syncs, stay in order") {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        CAPTURE(seed);
        sim::WorldOptions wo = quiet_world();
        wo.disk.sync_latency = Duration::millis(2);  // a sync is slow, a write is not
        sim::SimWorld w(seed, wo);
        BrokerNode bn{test_config()};
        bool finished = false;
        uint64_t syncs = 0;
        std::vector<int32_t> correlation_ids;
        std::vector<int64_t> base_offsets;
        std::vector<std::string> values;
        w.add_node("broker", bn.boot());
        w.add_node("client", [&](Env& env) {
            while (!bn.started) {
                env.scheduler.sleep_for(Duration::millis(1));
            }
            Client c(env);
            auto created = c.call<CreateTopicsResponse>(create_topic_request("events", 1), 5);
            REQUIRE(created.has_value());
            REQUIRE(created->topics_.at(0).error_code_ == 0);
            auto log = bn.broker->logs().get_shared({"events", PartitionId(0)});
            REQUIRE(log != nullptr);
            REQUIRE(log->config().durable_acks());
            const uint64_t syncs_before = log->stats().syncs;

            // All requests go out before any response is read: one write, so they arrive together.
            Bytes pipelined;
            for (int i = 0; i < requests_n; ++i) {
                auto req = produce_request("events", 0, make_batch({"v" + std::to_string(i)}), -1);
                Bytes frame = encode_request(ApiKey::produce, produce_version, 100 + i, req);
                std::byte size[4];
                store_be<uint32_t>(size, static_cast<uint32_t>(frame.size()));
                pipelined.insert(pipelined.end(), size, size + 4);
                pipelined.insert(pipelined.end(), frame.begin(), frame.end());
            }
            REQUIRE(c.conn().write_all(pipelined).ok());
            for (int i = 0; i < requests_n; ++i) {
                auto frame = c.recv_raw();
                REQUIRE(frame.ok());
                Reader r(*frame);
                auto h = decode_response_header(r, ApiKey::produce, produce_version);
                REQUIRE(h.ok());
                auto resp = ProduceResponse::decode(r, produce_version);
                REQUIRE(resp.ok());
                const auto& pr = resp->responses_.at(0).partition_responses_.at(0);
                CHECK(pr.error_code_ == 0);
                correlation_ids.push_back(h->correlation_id_);
                base_offsets.push_back(pr.base_offset_);
            }
            syncs = log->stats().syncs - syncs_before;

            auto f = c.call<FetchResponse>(fetch_request("events", 0, 0), fetch_version);
            REQUIRE(f.has_value());
            values =
                record_values(f->responses_.at(0).partitions_.at(0).records_.value_or(Bytes{}));
            finished = true;
            bn.stop->set();
        });
        w.start(w.node("broker"));
        w.start(w.node("client"));
        w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(60).to_nanos()));
        REQUIRE(finished);

        // Responses in request order; appends in request order (one record per request).
        REQUIRE(correlation_ids.size() == requests_n);
        for (int i = 0; i < requests_n; ++i) {
            CHECK(correlation_ids[static_cast<size_t>(i)] == 100 + i);
            CHECK(base_offsets[static_cast<size_t>(i)] == i);
        }
        REQUIRE(values.size() == requests_n);
        for (int i = 0; i < requests_n; ++i) {
            CHECK(values[static_cast<size_t>(i)] == "v" + std::to_string(i));
        }
        // Group commit across the pipelined requests: one sync per request would be requests_n
        // (2 here: the first append's, and one for everything that arrived during it).
        CAPTURE(syncs);
        CHECK(syncs >= 1);
        CHECK(syncs < requests_n / 2);
    }
}
