// Issue #9 (points 2 and 5) under the simulator: internal topics refuse client produce, deletion
// and new partitions; Kafka's client batch rules (one batch per partition, no control batches,
// transactional batches need a transactional id, zstd needs v7); an acks=0 error closes the
// connection; KIP-467 record errors; every Kafka topic config accepted by CreateTopics and shown
// by DescribeConfigs with its source and synonyms; compression.type recompresses.
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

namespace {

Bytes built(record::BatchBuilderOptions o, const std::vector<std::optional<std::string>>& keys,
            int64_t ts) {
    record::RecordBatchBuilder b(o);
    for (const auto& k : keys) {
        std::optional<ByteSpan> key;
        if (k) {
            key = as_bytes(*k);
        }
        b.append(record::TimestampMs(ts), key, as_bytes("v"));
    }
    return b.build();
}

const ProduceResponse::PartitionProduceResponse& only(const std::optional<ProduceResponse>& r) {
    REQUIRE(r.has_value());
    return r->responses_.at(0).partition_responses_.at(0);
}

int64_t sim_now_ms(Env& env) { return env.clock.wall_now().to_millis(); }

}  // namespace

TEST_CASE("produce rules: internal topics refuse clients' produce, creation, deletion, partitions") {
    BrokerNode bn{test_config()};
    with_broker(21, bn, [&](Env& env) {
        Client c(env);
        for (const char* name :
             {"__consumer_offsets", "__transaction_state", "__cluster_metadata"}) {
            auto p = c.call<ProduceResponse>(produce_request(name, 0, make_batch({"x"})), 9);
            CHECK(only(p).error_code_ == 17);  // INVALID_TOPIC_EXCEPTION
            CHECK(only(p).error_message_ == std::string("Cannot append to internal topic ") + name);
            DeleteTopicsRequest del;
            del.topic_names_ = {name};
            auto d = c.call<DeleteTopicsResponse>(del, 4);
            CHECK(d->responses_.at(0).error_code_ == 17);
            CreatePartitionsRequest cp;
            CreatePartitionsRequest::CreatePartitionsTopic cpt;
            cpt.name_ = name;
            cpt.count_ = 60;
            cpt.assignments_ = std::nullopt;
            cp.topics_.push_back(cpt);
            auto r = c.call<CreatePartitionsResponse>(cp, 1);
            CHECK(r->results_.at(0).error_code_ == 17);
            auto cr = c.call<CreateTopicsResponse>(create_topic_request(name, 1), 5);
            CHECK(cr->topics_.at(0).error_code_ == 17);
        }
    });
}

TEST_CASE("produce rules: Kafka's client batch rules; acks=0 errors close the connection") {
    BrokerNode bn{test_config()};
    with_broker(22, bn, [&](Env& env) {
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("t", 2), 5)
                  ->topics_.at(0)
                  .error_code_ == 0);
        const int64_t now = sim_now_ms(env);
        // Two non-idempotent batches for one partition.
        Bytes two = make_batch({"a"}, now);
        Bytes second = make_batch({"b"}, now);
        two.insert(two.end(), second.begin(), second.end());
        auto p = c.call<ProduceResponse>(produce_request("t", 0, two), 8);
        CHECK(only(p).error_code_ == 87);
        CHECK(only(p).error_message_->find("exactly one record batch") != std::string::npos);
        // A control batch.
        record::BatchBuilderOptions control;
        control.control = true;
        p = c.call<ProduceResponse>(produce_request("t", 0, built(control, {"k"}, now)), 8);
        CHECK(only(p).error_code_ == 87);
        CHECK(only(p).error_message_->find("control records") != std::string::npos);
        // zstd before Produce v7.
        record::BatchBuilderOptions zstd;
        zstd.compression = record::Codec::zstd;
        p = c.call<ProduceResponse>(produce_request("t", 0, built(zstd, {"k"}, now)), 6);
        CHECK(only(p).error_code_ == 76);
        p = c.call<ProduceResponse>(produce_request("t", 0, built(zstd, {"k"}, now)), 7);
        CHECK(only(p).error_code_ == 0);
        // A transactional batch without a transactional id fails the whole request: the other
        // partition's good batch is not written either.
        record::BatchBuilderOptions txn;
        txn.transactional = true;
        txn.producer_id = ProducerId(7);
        txn.producer_epoch = ProducerEpoch(0);
        txn.base_sequence = 0;
        ProduceRequest mixed = produce_request("t", 0, built(txn, {"k"}, now));
        ProduceRequest::PartitionProduceData good;
        good.index_ = 1;
        good.records_ = make_batch({"fine"}, now);
        mixed.topic_data_.at(0).partition_data_.push_back(good);
        auto m = c.call<ProduceResponse>(mixed, 8);
        REQUIRE(m.has_value());
        for (const auto& pr : m->responses_.at(0).partition_responses_) {
            CHECK(pr.error_code_ == 53);  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        }
        CHECK(bn.broker->logs().get({"t", PartitionId(1)})->log_end_offset() == Offset(0));
        CHECK(bn.broker->logs().get({"t", PartitionId(0)})->log_end_offset() == Offset(1));
        // acks=0 and a good batch: no response, the connection stays.
        CHECK(c.send(produce_request("t", 0, make_batch({"q"}, now), 0), 8).ok());
        auto lo = c.call<ListOffsetsResponse>(list_offsets_request("t", 0, -1), 2);
        REQUIRE(lo.has_value());
        CHECK(lo->topics_.at(0).partitions_.at(0).offset_ == 2);
        // acks=0 and an error: the broker closes the connection (the producer's only signal).
        CHECK(c.send(produce_request("__consumer_offsets", 0, make_batch({"q"}, now), 0), 8).ok());
        CHECK(!c.recv_raw().ok());
        // The broker keeps serving others.
        Client c2(env);
        CHECK(c2.call<ListOffsetsResponse>(list_offsets_request("t", 0, -1), 2).has_value());
    });
}

TEST_CASE("produce rules: per-record errors (KIP-467) for keyless records and bad timestamps") {
    BrokerNode bn{test_config({{"log.message.timestamp.after.max.ms", "3600000"}})};
    with_broker(23, bn, [&](Env& env) {
        Client c(env);
        auto cr = c.call<CreateTopicsResponse>(
            create_topic_request(
                "compacted", 1,
                {{"cleanup.policy", "compact"}, {"message.timestamp.before.max.ms", "86400000"}}),
            5);
        CHECK(cr->topics_.at(0).error_code_ == 0);
        const int64_t now = sim_now_ms(env);
        auto p = c.call<ProduceResponse>(
            produce_request("compacted", 0, built({}, {"a", std::nullopt, "c"}, now)), 8);
        CHECK(only(p).error_code_ == 87);
        REQUIRE(only(p).record_errors_.size() == 1);
        CHECK(only(p).record_errors_[0].batch_index_ == 1);
        CHECK(only(p).record_errors_[0].batch_index_error_message_->find("without a key") !=
              std::string::npos);
        // Two days old (topic bound: one day) and two hours ahead (broker bound: one hour).
        record::BatchBuilderOptions o;
        record::RecordBatchBuilder b(o);
        b.append(record::TimestampMs(now), as_bytes("a"), as_bytes("v"));
        b.append(record::TimestampMs(now - 2 * 86400000), as_bytes("b"), as_bytes("v"));
        b.append(record::TimestampMs(now + 2 * 3600000), as_bytes("c"), as_bytes("v"));
        p = c.call<ProduceResponse>(produce_request("compacted", 0, b.build()), 9);
        CHECK(only(p).error_code_ == 32);  // INVALID_TIMESTAMP
        REQUIRE(only(p).record_errors_.size() == 2);
        CHECK(only(p).record_errors_[0].batch_index_ == 1);
        CHECK(only(p).record_errors_[1].batch_index_ == 2);
        CHECK(only(p).error_message_.has_value());
        p = c.call<ProduceResponse>(produce_request("compacted", 0, built({}, {"a"}, now)), 9);
        CHECK(only(p).error_code_ == 0);
    });
}

TEST_CASE("topic configs: every Kafka topic key is accepted and described with its source") {
    BrokerNode bn{
        test_config({{"compression.type", "lz4"}, {"log.cleaner.min.compaction.lag.ms", "1000"}})};
    with_broker(24, bn, [&](Env& env) {
        Client c(env);
        const std::vector<std::pair<std::string, std::string>> all = {
            {"cleanup.policy", "compact,delete"},
            {"compression.type", "gzip"},
            {"compression.gzip.level", "6"},
            {"delete.retention.ms", "1000"},
            {"file.delete.delay.ms", "0"},
            {"flush.messages", "1"},
            {"flush.ms", "1000"},
            {"follower.replication.throttled.replicas", "*"},
            {"index.interval.bytes", "4096"},
            {"leader.replication.throttled.replicas", "0:1,1:1"},
            {"local.retention.bytes", "-2"},
            {"local.retention.ms", "-2"},
            {"max.compaction.lag.ms", "86400000"},
            {"max.message.bytes", "2000000"},
            {"message.downconversion.enable", "false"},
            {"message.format.version", "3.0-IV1"},
            {"message.timestamp.after.max.ms", "3600000"},
            {"message.timestamp.before.max.ms", "86400000"},
            {"message.timestamp.difference.max.ms", "86400000"},
            {"message.timestamp.type", "CreateTime"},
            {"min.cleanable.dirty.ratio", "0.3"},
            {"min.compaction.lag.ms", "5000"},
            {"min.insync.replicas", "1"},
            {"preallocate", "true"},
            {"remote.storage.enable", "false"},
            {"retention.bytes", "1000000"},
            {"retention.ms", "3600000"},
            {"segment.bytes", "1048576"},
            {"segment.index.bytes", "65536"},
            {"segment.jitter.ms", "10"},
            {"segment.ms", "3600000"},
            {"unclean.leader.election.enable", "false"},
        };
        auto cr = c.call<CreateTopicsResponse>(create_topic_request("everything", 1, all), 7);
        CHECK(cr->topics_.at(0).error_code_ == 0);
        CHECK(!cr->topics_.at(0).error_message_.has_value());
        // The log runs with what it was given.
        const auto& lc = bn.broker->logs().get({"everything", PartitionId(0)})->config();
        CHECK(lc.compression == record::Codec::gzip);
        CHECK(lc.min_compaction_lag == Duration::millis(5000));
        CHECK(lc.segment_index_bytes == 65536);
        CHECK(lc.min_cleanable_dirty_ratio == doctest::Approx(0.3));
        // Refused as Kafka refuses them.
        for (const auto& kv : std::vector<std::pair<std::string, std::string>>{
                 {"compression.type", "brotli"},
                 {"message.timestamp.type", "Whenever"},
                 {"min.cleanable.dirty.ratio", "1.5"},
                 {"max.compaction.lag.ms", "0"},
                 {"remote.storage.enable", "true"},
                 {"leader.replication.throttled.replicas", "zero"},
                 {"preallocate", "maybe"}}) {
            const std::string& k = kv.first;  // clang 14 cannot capture structured bindings
            auto bad = c.call<CreateTopicsResponse>(create_topic_request("bad", 1, {kv}), 7);
            CHECK_MESSAGE(bad->topics_.at(0).error_code_ == 40, k);
        }
        DescribeConfigsRequest dc;
        DescribeConfigsRequest::DescribeConfigsResource res;
        res.resource_type_ = 2;
        res.resource_name_ = "everything";
        res.configuration_keys_ = std::nullopt;
        dc.resources_.push_back(res);
        dc.include_synonyms_ = true;
        auto d = c.call<DescribeConfigsResponse>(dc, 4);
        const auto& cfgs = d->results_.at(0).configs_;
        std::map<std::string, const DescribeConfigsResponse::DescribeConfigsResourceResult*> by;
        for (const auto& e : cfgs) {
            by[e.name_] = &e;
        }
        for (const auto& kv : all) {
            const std::string& k = kv.first;
            REQUIRE_MESSAGE(by.contains(k), k);
            CHECK_MESSAGE(by[k]->value_ == kv.second, k);
            CHECK_MESSAGE(by[k]->config_source_ == 1, k);
        }
        CHECK(by.contains("remote.log.copy.disable"));
        // compression.type: topic, then the broker's, then the default.
        const auto& ct = by["compression.type"]->synonyms_;
        REQUIRE(ct.size() == 3);
        CHECK(ct[0].source_ == 1);
        CHECK(ct[1].name_ == "compression.type");
        CHECK(ct[1].value_ == "lz4");
        CHECK(ct[1].source_ == 4);
        CHECK(ct[2].value_ == "producer");
        CHECK(ct[2].source_ == 5);
        CHECK(by["min.cleanable.dirty.ratio"]->config_type_ == 6);  // DOUBLE

        // APPEND works on every list key, not only cleanup.policy.
        IncrementalAlterConfigsRequest ia;
        IncrementalAlterConfigsRequest::AlterConfigsResource iar;
        iar.resource_type_ = 2;
        iar.resource_name_ = "everything";
        IncrementalAlterConfigsRequest::AlterableConfig app;
        app.name_ = "leader.replication.throttled.replicas";
        app.config_operation_ = 2;
        app.value_ = "2:1";
        iar.configs_.push_back(app);
        ia.resources_.push_back(iar);
        CHECK(c.call<IncrementalAlterConfigsResponse>(ia, 1)->responses_.at(0).error_code_ == 0);
        CHECK(bn.broker->controller()
                  .image()
                  .topic("everything")
                  ->configs.at("leader.replication.throttled.replicas") == "0:1,1:1,2:1");
        ia.resources_.at(0).configs_.at(0).name_ = "retention.ms";
        CHECK(c.call<IncrementalAlterConfigsResponse>(ia, 1)->responses_.at(0).error_code_ == 40);

        // A topic without configs takes the broker's: lz4 recompression, the broker's lag.
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("plain", 1), 7)
                  ->topics_.at(0)
                  .error_code_ == 0);
        const auto& pc = bn.broker->logs().get({"plain", PartitionId(0)})->config();
        CHECK(pc.compression == record::Codec::lz4);
        CHECK(pc.min_compaction_lag == Duration::millis(1000));
        res.resource_name_ = "plain";
        res.configuration_keys_ = std::vector<std::string>{"compression.type"};
        dc.resources_ = {res};
        d = c.call<DescribeConfigsResponse>(dc, 4);
        REQUIRE(d->results_.at(0).configs_.size() == 1);
        CHECK(d->results_.at(0).configs_[0].value_ == "lz4");
        CHECK(d->results_.at(0).configs_[0].config_source_ == 4);

        // Produce uncompressed to the gzip topic; the fetched batch is gzip, same records.
        auto p = c.call<ProduceResponse>(
            produce_request("everything", 0, make_batch({"one", "two"}, sim_now_ms(env))), 9);
        CHECK(only(p).error_code_ == 0);
        auto f = c.call<FetchResponse>(fetch_request("everything", 0, 0), 11);
        const Bytes& got = *f->responses_.at(0).partitions_.at(0).records_;
        CHECK(record_values(got) == std::vector<std::string>{"one", "two"});
        auto batches = record::split_batches(got);
        REQUIRE(batches.ok());
        CHECK(batches->at(0).compression() == record::Codec::gzip);
    });
}

TEST_CASE("produce rules: storage.quota.bytes caps a topic on this broker; raising it makes room") {
    BrokerNode bn{test_config()};
    with_broker(29, bn, [&](Env& env) {
        Client c(env);
        auto created = c.call<CreateTopicsResponse>(
            create_topic_request("capped", 2, {{"storage.quota.bytes", "1"}}), 5);
        REQUIRE(created.has_value());
        REQUIRE(created->topics_.at(0).error_code_ == 0);
        // Empty: under the quota, so the first batch is written (a quota is not a batch limit).
        CHECK(only(c.call<ProduceResponse>(produce_request("capped", 0, make_batch({"a"})), 9))
                  .error_code_ == 0);
        // Now past it, on either partition: the topic's bytes here are what count.
        for (int32_t p : {0, 1}) {
            const auto resp = c.call<ProduceResponse>(produce_request("capped", p,
                                                                      make_batch({"b"})), 9);
            const auto& refused = only(resp);
            CHECK(refused.error_code_ == 44);  // POLICY_VIOLATION
            REQUIRE(refused.error_message_.has_value());
            CHECK(refused.error_message_->find("storage.quota.bytes of 1") != std::string::npos);
        }
        // Other topics are not affected.
        REQUIRE(c.call<CreateTopicsResponse>(create_topic_request("free", 1), 5)
                    ->topics_.at(0)
                    .error_code_ == 0);
        CHECK(only(c.call<ProduceResponse>(produce_request("free", 0, make_batch({"a"})), 9))
                  .error_code_ == 0);
        // A bad value is refused; a larger quota makes room.
        auto bad = c.call<CreateTopicsResponse>(
            create_topic_request("bad", 1, {{"storage.quota.bytes", "-7"}}), 5);
        CHECK(bad->topics_.at(0).error_code_ == 40);  // INVALID_CONFIG
        IncrementalAlterConfigsRequest ia;
        IncrementalAlterConfigsRequest::AlterConfigsResource iar;
        iar.resource_type_ = 2;
        iar.resource_name_ = "capped";
        IncrementalAlterConfigsRequest::AlterableConfig set;
        set.name_ = "storage.quota.bytes";
        set.config_operation_ = 0;  // SET
        set.value_ = "1000000";
        iar.configs_.push_back(set);
        ia.resources_.push_back(iar);
        CHECK(c.call<IncrementalAlterConfigsResponse>(ia, 1)->responses_.at(0).error_code_ == 0);
        CHECK(only(c.call<ProduceResponse>(produce_request("capped", 1, make_batch({"c"})), 9))
                  .error_code_ == 0);
    });
}
