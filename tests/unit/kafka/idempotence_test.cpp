// Idempotent producers end to end in the broker under the simulator: InitProducerId hands out
// ids never reused (also across restarts), and Produce applies Kafka's sequence rules — a retry
// is answered with its first offsets and not written again, a gap is OUT_OF_ORDER_SEQUENCE_NUMBER,
// an old epoch INVALID_PRODUCER_EPOCH, an unknown producer past sequence 0 UNKNOWN_PRODUCER_ID —
// with the producer state surviving a clean restart (snapshot) and a crash (rebuilt from the log).
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

Bytes idempotent_batch(int64_t pid, int16_t epoch, int32_t seq, int records) {
    record::BatchBuilderOptions o;
    o.producer_id = ProducerId(pid);
    o.producer_epoch = ProducerEpoch(epoch);
    o.base_sequence = seq;
    record::RecordBatchBuilder b(o);
    for (int i = 0; i < records; ++i) {
        const std::string v = "s" + std::to_string(seq + i);
        b.append(record::TimestampMs(1'700'000'000'000), std::nullopt, as_bytes(v));
    }
    return b.build();
}

struct Answer {
    int16_t error = -1;
    int64_t base_offset = -1;
};

Answer produce(Client& c, int64_t pid, int16_t epoch, int32_t seq, int records) {
    auto r = c.call<ProduceResponse>(
        produce_request("idem", 0, idempotent_batch(pid, epoch, seq, records)), 9);
    if (!r) {
        return {};
    }
    const auto& p = r->responses_.at(0).partition_responses_.at(0);
    return {p.error_code_, p.base_offset_};
}

int64_t init_producer_id(Client& c) {
    InitProducerIdRequest req;
    req.transactional_id_ = std::nullopt;
    req.transaction_timeout_ms_ = 60000;
    auto r = c.call<InitProducerIdResponse>(req, 4);
    CHECK(r.has_value());
    if (!r) {
        return -1;
    }
    CHECK(r->error_code_ == 0);
    CHECK(r->producer_epoch_ == 0);
    return r->producer_id_;
}

int64_t log_end(Client& c) {
    auto f = c.call<FetchResponse>(fetch_request("idem", 0, 0), 11);
    return f ? f->responses_.at(0).partitions_.at(0).high_watermark_ : -1;
}

}  // namespace

TEST_CASE("idempotent producer: sequence rules, and the state survives restarts and crashes") {
    sim::SimWorld w(21, quiet_world());
    BrokerNode bn{test_config()};
    w.add_node("broker", bn.boot());
    int phase = 0;
    int64_t pid = -1;
    int64_t first_pid = -1;
    auto client = [&](int expect_phase, const std::function<void(Client&)>& body) {
        return [&, expect_phase, body](Env& env) {
            while (!bn.started) {
                env.scheduler.sleep_for(Duration::millis(1));
            }
            Client c(env);
            body(c);
            phase = expect_phase;
        };
    };
    w.add_node("c1", client(1, [&](Client& c) {
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("idem", 1), 7)
                  ->topics_.at(0).error_code_ == 0);
        first_pid = init_producer_id(c);
        pid = init_producer_id(c);
        CHECK(first_pid >= 0);
        CHECK(pid > first_pid);  // every call a new producer

        CHECK(produce(c, pid, 0, 0, 3).base_offset == 0);
        // A retry of the same batch: its first offsets, nothing written.
        const Answer dup = produce(c, pid, 0, 0, 3);
        CHECK(dup.error == 0);
        CHECK(dup.base_offset == 0);
        CHECK(log_end(c) == 3);
        CHECK(produce(c, pid, 0, 3, 2).base_offset == 3);
        // A gap, a new epoch not starting at 0, an old epoch, an unknown producer.
        CHECK(produce(c, pid, 0, 10, 1).error == kafka_error::out_of_order_sequence_number);
        CHECK(produce(c, pid, 1, 5, 1).error == kafka_error::out_of_order_sequence_number);
        CHECK(produce(c, pid, 1, 0, 2).base_offset == 5);  // epoch bump restarts at 0
        CHECK(produce(c, pid, 0, 5, 1).error == kafka_error::invalid_producer_epoch);
        CHECK(produce(c, 987654, 0, 7, 1).error == kafka_error::unknown_producer_id);
        CHECK(produce(c, 987654, 0, 0, 1).base_offset == 7);  // a new producer starts at 0
        // Older batches inside the 5-batch window are retries too.
        CHECK(produce(c, pid, 1, 2, 1).base_offset == 8);
        CHECK(produce(c, pid, 1, 0, 2).base_offset == 5);
        CHECK(log_end(c) == 9);
        bn.stop->set();  // a clean stop: the producer state goes into a snapshot
    }));
    w.start(w.node("broker"));
    w.start(w.node("c1"));
    w.run([&] { return bn.stopped && phase == 1; },
          Instant::from_nanos(Duration::seconds(60).to_nanos()));
    REQUIRE(phase == 1);

    bn.started = false;
    bn.stopped = false;
    w.restart(w.node("broker"));
    w.add_node("c2", client(2, [&](Client& c) {
        // After a clean restart Kafka keeps only each producer's last batch (its snapshot).
        CHECK(produce(c, pid, 1, 2, 1).base_offset == 8);
        CHECK(produce(c, pid, 1, 3, 2).base_offset == 9);
        CHECK(produce(c, pid, 1, 9, 1).error == kafka_error::out_of_order_sequence_number);
        CHECK(log_end(c) == 11);
        CHECK(init_producer_id(c) > pid);  // ids are never handed out twice
    }));
    w.start(w.node("c2"));
    w.run([&] { return phase == 2; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));
    REQUIRE(phase == 2);

    // A crash: no snapshot is written; the state is rebuilt from the log's batches.
    w.crash(w.node("broker"));
    bn.started = false;
    w.restart(w.node("broker"));
    w.add_node("c3", client(3, [&](Client& c) {
        CHECK(produce(c, pid, 1, 3, 2).base_offset == 9);
        CHECK(produce(c, pid, 1, 5, 1).base_offset == 11);
        CHECK(produce(c, 987654, 0, 1, 1).base_offset == 12);
        CHECK(produce(c, pid, 0, 6, 1).error == kafka_error::invalid_producer_epoch);
        CHECK(log_end(c) == 13);
        CHECK(init_producer_id(c) > pid + 1);
        bn.stop->set();
    }));
    w.start(w.node("c3"));
    w.run([&] { return bn.stopped && phase == 3; },
          Instant::from_nanos(Duration::seconds(180).to_nanos()));
    CHECK(phase == 3);
}

TEST_CASE("idempotent producer: a producer silent past producer.id.expiration.ms is forgotten") {
    sim::SimWorld w(22, quiet_world());
    BrokerNode bn{test_config({{"producer.id.expiration.ms", "60000"},
                               {"log.retention.check.interval.ms", "1000"}})};
    w.add_node("broker", bn.boot());
    bool done = false;
    w.add_node("client", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("idem", 1), 7)
                  ->topics_.at(0).error_code_ == 0);
        const int64_t pid = init_producer_id(c);
        CHECK(produce(c, pid, 0, 0, 2).base_offset == 0);
        env.scheduler.sleep_for(Duration::seconds(30));
        CHECK(produce(c, pid, 0, 2, 1).base_offset == 2);  // still known after 30 s
        env.scheduler.sleep_for(Duration::seconds(90));
        CHECK(produce(c, pid, 0, 3, 1).error == kafka_error::unknown_producer_id);
        done = true;
        bn.stop->set();
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(600).to_nanos()));
    CHECK(done);
}
