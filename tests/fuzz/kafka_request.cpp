// Fuzz target: the broker's request path (services/kafka Broker::handle_frame): request header
// decoding, API/version checks, body decoding and dispatch to every handler, with the broker's
// state behind it (a topic with data, on an in-memory disk).
//
// The input is one request frame body (what follows the int32 size). Before it, the broker is
// started on a memory disk and given a topic "t" with two partitions and a few records, so that
// handlers reach their real paths (produce appends, fetch reads, configs, deletions). Checked:
// nothing crashes or ASSERTs; a response, if any, starts with the request's correlation id; a
// request the broker closes the connection for is never answered; the broker stops cleanly.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "core/base/assert.h"
#include "core/protocol/message_header.h"
#include "core/record/record_batch_builder.h"
#include "services/kafka/broker.h"
#include "tests/fuzz/fuzz_env.h"

using namespace eddy;

namespace {


Bytes request(protocol::ApiKey key, int16_t version, int32_t correlation, auto&& body) {
    protocol::RequestHeader h;
    h.request_api_key_ = static_cast<int16_t>(key);
    h.request_api_version_ = version;
    h.correlation_id_ = correlation;
    h.client_id_ = "fuzz";
    Bytes out;
    protocol::Writer w(out);
    protocol::encode_request_header(w, h);
    body.encode(w, version);
    return out;
}

void seed_state(kafka::Broker& b) {
    protocol::CreateTopicsRequest ct;
    ct.topics_.emplace_back();
    ct.topics_[0].name_ = "t";
    ct.topics_[0].num_partitions_ = 2;
    ct.topics_[0].replication_factor_ = 1;
    auto r = b.handle_frame(0, request(protocol::ApiKey::create_topics, 5, 1, ct));
    ASSERT(r.ok() && r->has_value());
    record::RecordBatchBuilder builder(record::BatchBuilderOptions{});
    builder.append(record::TimestampMs(1000), as_bytes("k"), as_bytes("v"));
    builder.append(record::TimestampMs(2000), std::nullopt, std::nullopt);
    protocol::ProduceRequest p;
    p.acks_ = -1;
    p.timeout_ms_ = 1000;
    p.topic_data_.emplace_back();
    p.topic_data_[0].name_ = "t";
    p.topic_data_[0].partition_data_.emplace_back();
    p.topic_data_[0].partition_data_[0].index_ = 0;
    p.topic_data_[0].partition_data_[0].records_ = builder.build();
    auto pr = b.handle_frame(0, request(protocol::ApiKey::produce, 7, 2, p));
    ASSERT(pr.ok() && pr->has_value());
}

config::BrokerConfig fuzz_config() {
    auto c = config::BrokerConfig::load(
        {}, {{"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093"},
             {"log.segment.bytes", "4096"}});
    ASSERT(c.ok());
    return std::move(c).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const config::BrokerConfig config = fuzz_config();
    fuzz::FuzzNode node(NodeId(1), /*follow_time=*/true);
    Env& env = node.env;
    Scheduler& scheduler = node.scheduler;

    bool done = false;
    bool answered = false;
    bool watchdog_stopping = false;  // the watchdog's stop() has begun and not yet returned
    std::optional<kafka::Broker> broker;
    scheduler.spawn("fuzz", [&] {
        kafka::BrokerOptions o;
        o.data_dir = "data";
        o.listen = false;
        broker.emplace(env, config, o);
        auto started = broker->start();
        ASSERT(started.ok());
        seed_state(*broker);
        // A request may legitimately wait as long as it asks (a Fetch's max_wait_ms reaches
        // 2^31-1 ms; the virtual clock would step through weeks of quorum ticks to get there).
        // After a minute of virtual time the broker is stopped, as an operator would: every
        // waiting handler must then answer at once, which is itself checked.
        scheduler.spawn("fuzz-watchdog", [&] {
            scheduler.sleep_for(Duration::seconds(60));
            if (!answered) {
                watchdog_stopping = true;
                broker->stop();
                watchdog_stopping = false;
            }
        });
        const Bytes frame(reinterpret_cast<const std::byte*>(data),
                          reinterpret_cast<const std::byte*>(data) + size);
        auto r = broker->handle_frame(0, frame);
        answered = true;
        if (r.ok() && r->has_value()) {
            auto flat = kafka::Broker::flatten(**r);
            ASSERT(flat.ok());
            const Bytes& resp = *flat;
            ASSERT(resp.size() >= 4 && size >= 8);
            ASSERT(std::equal(resp.begin(), resp.begin() + 4, frame.begin() + 4),
                   "a response carries the request's correlation id");
        }
        broker->stop();
        done = true;
    });
    node.executor.run([&] { return done && !watchdog_stopping; });
    broker.reset();
    ASSERT(done);
    return 0;
}
