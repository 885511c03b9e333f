// The broker under the simulator, driven by requests built with the generated codecs: ApiVersions
// negotiation, topic admin, produce → fetch round trips, ListOffsets, long polling, restart
// (topics, configs and data survive), and bad input.
#include "tests/unit/kafka/kafka_test_util.h"

using namespace eddy;
using namespace eddy::kafka;
using namespace eddy::kafka::test;
using namespace eddy::protocol;

TEST_CASE("kafka broker: ApiVersions advertises our ranges; unknown versions get a v0 error") {
    BrokerNode bn{test_config()};
    with_broker(1, bn, [&](Env& env) {
        Client c(env);
        for (int16_t v = 0; v <= 3; ++v) {
            auto resp = c.call<ApiVersionsResponse>(ApiVersionsRequest{}, v);
            CHECK(resp.has_value());
            if (!resp) {
                continue;
            }
            CHECK(resp->error_code_ == 0);
            bool produce = false;
            bool fetch = false;
            bool find_coordinator = false;
            for (const auto& k : resp->api_keys_) {
                if (k.api_key_ == 0) {
                    // 0: librdkafka 2.0.2 compresses only if Produce overlaps [0, 0].
                    produce = k.min_version_ == 0 && k.max_version_ >= 7;
                }
                if (k.api_key_ == 10) {
                    find_coordinator = k.min_version_ == 0;  // librdkafka's LZ4 feature
                }
                if (k.api_key_ == 1) {
                    fetch = k.min_version_ == 4 && k.max_version_ >= 11;
                }
            }
            CHECK(produce);
            CHECK(fetch);
            CHECK(find_coordinator);
        }
        // ApiVersions v4 (newer than we serve): a v0-shaped UNSUPPORTED_VERSION, header v0.
        CHECK(c.send(ApiVersionsRequest{}, 4).ok());
        auto frame = c.recv_raw();
        CHECK(frame.ok());
        if (frame.ok()) {
            Reader r(*frame);
            auto h = decode_response_header(r, ApiKey::api_versions, 0);
            CHECK(h.ok());
            auto resp = ApiVersionsResponse::decode(r, 0);
            CHECK(resp.ok());
            if (resp.ok()) {
                CHECK(resp->error_code_ == 35);
                CHECK(!resp->api_keys_.empty());
            }
        }
    });
}

TEST_CASE("kafka broker: create topic, produce, fetch, list offsets, delete") {
    BrokerNode bn{test_config()};
    with_broker(2, bn, [&](Env& env) {
        Client c(env);
        auto created = c.call<CreateTopicsResponse>(create_topic_request("orders", 3), 5);
        CHECK(created.has_value());
        if (!created) {
            return;
        }
        CHECK(created->topics_.at(0).error_code_ == 0);
        CHECK(created->topics_.at(0).num_partitions_ == 3);
        // Again: TOPIC_ALREADY_EXISTS.
        auto again = c.call<CreateTopicsResponse>(create_topic_request("orders", 3), 5);
        CHECK(again->topics_.at(0).error_code_ == 36);
        // validate_only creates nothing.
        auto vreq = create_topic_request("dry", 1);
        vreq.validate_only_ = true;
        auto dry = c.call<CreateTopicsResponse>(vreq, 5);
        CHECK(dry->topics_.at(0).error_code_ == 0);

        MetadataRequest mreq;
        mreq.topics_ = std::nullopt;
        auto md = c.call<MetadataResponse>(mreq, 8);
        CHECK(md.has_value());
        CHECK(md->topics_.size() == 1);
        CHECK(md->topics_.at(0).name_ == "orders");
        CHECK(md->topics_.at(0).partitions_.size() == 3);
        CHECK(md->brokers_.at(0).port_ == 9092);

        for (int i = 0; i < 3; ++i) {
            auto p = c.call<ProduceResponse>(
                produce_request(
                    "orders", 1,
                    make_batch({"a" + std::to_string(i), "b"}, 1'700'000'000'000 + 10 * i)),
                7);
            CHECK(p.has_value());
            CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
            CHECK(p->responses_.at(0).partition_responses_.at(0).base_offset_ == 2 * i);
        }
        auto f = c.call<FetchResponse>(fetch_request("orders", 1, 0), 11);
        CHECK(f.has_value());
        const auto& pd = f->responses_.at(0).partitions_.at(0);
        CHECK(pd.error_code_ == 0);
        CHECK(pd.high_watermark_ == 6);
        CHECK(record_values(*pd.records_) ==
              std::vector<std::string>{"a0", "b", "a1", "b", "a2", "b"});
        // From the middle: whole batches, starting with the one holding offset 3.
        auto f2 = c.call<FetchResponse>(fetch_request("orders", 1, 3), 4);
        CHECK(record_values(*f2->responses_.at(0).partitions_.at(0).records_).size() == 4);
        // Past the end: OFFSET_OUT_OF_RANGE.
        auto f3 = c.call<FetchResponse>(fetch_request("orders", 1, 99), 11);
        CHECK(f3->responses_.at(0).partitions_.at(0).error_code_ == 1);

        auto lo = [&](int64_t ts, int16_t v) {
            auto r = c.call<ListOffsetsResponse>(list_offsets_request("orders", 1, ts), v);
            CHECK(r.has_value());
            return r->topics_.at(0).partitions_.at(0);
        };
        CHECK(lo(-2, 1).offset_ == 0);
        CHECK(lo(-1, 5).offset_ == 6);
        CHECK(lo(1'700'000'000'010, 2).offset_ == 2);
        CHECK(lo(1'700'000'000'011, 2).offset_ == 3);
        CHECK(lo(1'800'000'000'000, 2).offset_ == -1);
        CHECK(lo(-3, 7).offset_ == 5);
        CHECK(lo(-1, 1).offset_ == 6);

        // Unknown topic.
        auto pu = c.call<ProduceResponse>(produce_request("nope", 0, make_batch({"x"})), 7);
        CHECK(pu->responses_.at(0).partition_responses_.at(0).error_code_ == 3);

        // DeleteRecords, then delete the topic.
        DeleteRecordsRequest dr;
        DeleteRecordsRequest::DeleteRecordsTopic drt;
        drt.name_ = "orders";
        drt.partitions_.push_back({});
        drt.partitions_[0].partition_index_ = 1;
        drt.partitions_[0].offset_ = 2;
        dr.topics_.push_back(drt);
        auto drr = c.call<DeleteRecordsResponse>(dr, 1);
        CHECK(drr->topics_.at(0).partitions_.at(0).error_code_ == 0);
        CHECK(drr->topics_.at(0).partitions_.at(0).low_watermark_ == 2);
        CHECK(lo(-2, 1).offset_ == 2);
        // Nothing at or above the high watermark may be deleted.
        const int64_t hw = lo(-1, 1).offset_;
        drt.partitions_[0].offset_ = hw + 1;
        dr.topics_ = {drt};
        auto above = c.call<DeleteRecordsResponse>(dr, 1);
        CHECK(above->topics_.at(0).partitions_.at(0).error_code_ == 1);  // OFFSET_OUT_OF_RANGE
        CHECK(lo(-2, 1).offset_ == 2);

        DeleteTopicsRequest del;
        del.topic_names_ = {"orders"};
        auto dres = c.call<DeleteTopicsResponse>(del, 4);
        CHECK(dres->responses_.at(0).error_code_ == 0);
        auto md2 = c.call<MetadataResponse>(mreq, 8);
        CHECK(md2->topics_.empty());
        CHECK(bn.broker->logs().partitions().size() == 1);  // only __cluster_metadata-0
    });
}

TEST_CASE("kafka broker: produce errors: acks, corrupt batch, too large; acks=0 has no response") {
    BrokerNode bn{test_config()};
    with_broker(3, bn, [&](Env& env) {
        Client c(env);
        auto created = c.call<CreateTopicsResponse>(
            create_topic_request("t", 1, {{"max.message.bytes", "200"}}), 5);
        CHECK(created->topics_.at(0).error_code_ == 0);
        Bytes bad = make_batch({"hello"});
        bad[bad.size() - 1] ^= std::byte{0x01};  // the CRC covers the records
        auto p = c.call<ProduceResponse>(produce_request("t", 0, bad), 7);
        CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 2);
        auto big = c.call<ProduceResponse>(
            produce_request("t", 0, make_batch({std::string(500, 'x')})), 7);
        CHECK(big->responses_.at(0).partition_responses_.at(0).error_code_ == 10);
        // Produce v0-2 is advertised (librdkafka 2.0.2's codec check) but refused per partition.
        auto legacy = c.call<ProduceResponse>(produce_request("t", 0, make_batch({"x"})), 2);
        CHECK(legacy.has_value());
        CHECK(legacy->responses_.at(0).partition_responses_.at(0).error_code_ == 43);
        // FindCoordinator: this node, in the single-key (v1) and batched (v4) forms.
        FindCoordinatorRequest fc;
        fc.key_ = "g";
        auto fc1 = c.call<FindCoordinatorResponse>(fc, 1);
        CHECK(fc1->error_code_ == 0);
        CHECK(fc1->node_id_ == 1);
        CHECK(fc1->port_ == 9092);
        fc.coordinator_keys_ = {"g1", "g2"};
        auto fc4 = c.call<FindCoordinatorResponse>(fc, 4);
        CHECK(fc4->coordinators_.size() == 2);
        CHECK(fc4->coordinators_.at(1).key_ == "g2");
        CHECK(fc4->coordinators_.at(1).host_ == "broker");
        auto acks = c.call<ProduceResponse>(produce_request("t", 0, make_batch({"x"}), 2), 7);
        CHECK(acks->responses_.at(0).partition_responses_.at(0).error_code_ == 21);
        // acks=0: no response; the next request's answer comes next.
        CHECK(c.send(produce_request("t", 0, make_batch({"quiet"}), 0), 7).ok());
        auto lo = c.call<ListOffsetsResponse>(list_offsets_request("t", 0, -1), 2);
        CHECK(lo.has_value());
        CHECK(lo->topics_.at(0).partitions_.at(0).offset_ == 1);
        // Invalid configs are refused.
        auto badcfg =
            c.call<CreateTopicsResponse>(create_topic_request("u", 1, {{"no.such.key", "1"}}), 5);
        CHECK(badcfg->topics_.at(0).error_code_ == 40);
        auto badname = c.call<CreateTopicsResponse>(create_topic_request("a/b", 1), 5);
        CHECK(badname->topics_.at(0).error_code_ == 17);
    });
}

TEST_CASE("kafka broker: a long-polling fetch is woken by a produce") {
    BrokerNode bn{test_config()};
    with_broker(4, bn, [&](Env& env) {
        Client c(env);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("lp", 1), 5).has_value());
        bool produced = false;
        auto producer = env.scheduler.spawn("producer", [&] {
            Client p(env);
            env.scheduler.sleep_for(Duration::millis(100));
            auto r = p.call<ProduceResponse>(produce_request("lp", 0, make_batch({"late"})), 7);
            CHECK(r.has_value());
            produced = true;
        });
        const Instant t0 = env.clock.now();
        auto f = c.call<FetchResponse>(fetch_request("lp", 0, 0, 5000, 1), 11);
        const Duration waited = env.clock.now() - t0;
        CHECK(waited >= Duration::millis(100));
        CHECK(waited < Duration::millis(1000));
        CHECK(record_values(*f->responses_.at(0).partitions_.at(0).records_) ==
              std::vector<std::string>{"late"});
        // Nothing arrives: the fetch returns empty after max_wait.
        const Instant t1 = env.clock.now();
        auto empty = c.call<FetchResponse>(fetch_request("lp", 0, 1, 300, 1), 11);
        CHECK(env.clock.now() - t1 >= Duration::millis(300));
        CHECK(empty->responses_.at(0).partitions_.at(0).records_->empty());
        producer.join();
        CHECK(produced);
    });
}

TEST_CASE("kafka broker: metadata auto-creates topics per auto.create.topics.enable") {
    for (bool enabled : {true, false}) {
        BrokerNode bn{test_config(
            {{"auto.create.topics.enable", enabled ? "true" : "false"}, {"num.partitions", "2"}})};
        with_broker(5, bn, [&](Env& env) {
            Client c(env);
            MetadataRequest req;
            MetadataRequest::MetadataRequestTopic t;
            t.name_ = "auto";
            req.topics_ = std::vector<MetadataRequest::MetadataRequestTopic>{t};
            auto md = c.call<MetadataResponse>(req, 1);  // v1: no flag, the broker decides
            CHECK(md.has_value());
            if (enabled) {
                CHECK(md->topics_.at(0).error_code_ == 0);
                CHECK(md->topics_.at(0).partitions_.size() == 2);
            } else {
                CHECK(md->topics_.at(0).error_code_ == 3);
            }
            req.allow_auto_topic_creation_ = false;
            (*req.topics_)[0].name_ = "other";
            auto md2 = c.call<MetadataResponse>(req, 9);
            CHECK(md2->topics_.at(0).error_code_ == 3);
        });
    }
}

TEST_CASE("kafka broker: topics, configs and data survive a crash and restart") {
    sim::SimWorld w(6, quiet_world());
    BrokerNode bn{test_config()};
    w.add_node("broker", bn.boot());
    int phase = 0;
    Uuid id;
    w.add_node("client", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        auto created = c.call<CreateTopicsResponse>(
            create_topic_request("keep", 2, {{"retention.ms", "123456"}}), 7);
        CHECK(created->topics_.at(0).error_code_ == 0);
        id = created->topics_.at(0).topic_id_;
        auto p = c.call<ProduceResponse>(produce_request("keep", 1, make_batch({"x", "y"})), 7);
        CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
        CHECK(c.call<CreateTopicsResponse>(create_topic_request("gone", 1), 5).has_value());
        DeleteTopicsRequest del;
        del.topic_names_ = {"gone"};
        CHECK(c.call<DeleteTopicsResponse>(del, 4)->responses_.at(0).error_code_ == 0);
        phase = 1;
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return phase == 1; }, Instant::from_nanos(Duration::seconds(60).to_nanos()));
    REQUIRE(phase == 1);
    w.crash(w.node("broker"));
    bn.started = false;
    w.restart(w.node("broker"));
    w.add_node("client2", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        Client c(env);
        MetadataRequest mreq;
        mreq.topics_ = std::nullopt;
        auto md = c.call<MetadataResponse>(mreq, 10);
        CHECK(md->topics_.size() == 1);
        CHECK(md->topics_.at(0).name_ == "keep");
        CHECK(md->topics_.at(0).topic_id_ == id);
        CHECK(md->topics_.at(0).partitions_.size() == 2);
        auto f = c.call<FetchResponse>(fetch_request("keep", 1, 0), 11);
        CHECK(record_values(*f->responses_.at(0).partitions_.at(0).records_) ==
              std::vector<std::string>{"x", "y"});
        DescribeConfigsRequest dc;
        DescribeConfigsRequest::DescribeConfigsResource res;
        res.resource_type_ = 2;
        res.resource_name_ = "keep";
        res.configuration_keys_ = std::vector<std::string>{"retention.ms", "segment.bytes"};
        dc.resources_.push_back(res);
        dc.include_synonyms_ = true;
        auto d = c.call<DescribeConfigsResponse>(dc, 1);
        const auto& cfgs = d->results_.at(0).configs_;
        CHECK(cfgs.size() == 2);
        for (const auto& e : cfgs) {
            if (e.name_ == "retention.ms") {
                CHECK(e.value_ == "123456");
                CHECK(e.config_source_ == 1);
                CHECK(e.synonyms_.size() == 2);
            } else {
                CHECK(e.config_source_ == 5);
            }
        }
        // Alter (incremental), then the whole set (AlterConfigs replaces it).
        IncrementalAlterConfigsRequest ia;
        IncrementalAlterConfigsRequest::AlterConfigsResource iar;
        iar.resource_type_ = 2;
        iar.resource_name_ = "keep";
        IncrementalAlterConfigsRequest::AlterableConfig set;
        set.name_ = "cleanup.policy";
        set.config_operation_ = 2;
        set.value_ = "compact";
        iar.configs_.push_back(set);
        ia.resources_.push_back(iar);
        CHECK(c.call<IncrementalAlterConfigsResponse>(ia, 1)->responses_.at(0).error_code_ == 0);
        CHECK(bn.broker->controller().image().topic("keep")->configs.at("cleanup.policy") ==
              "delete,compact");
        AlterConfigsRequest ac;
        AlterConfigsRequest::AlterConfigsResource acr;
        acr.resource_type_ = 2;
        acr.resource_name_ = "keep";
        ac.resources_.push_back(acr);
        CHECK(c.call<AlterConfigsResponse>(ac, 1)->responses_.at(0).error_code_ == 0);
        CHECK(bn.broker->controller().image().topic("keep")->configs.empty());
        // CreatePartitions.
        CreatePartitionsRequest cp;
        CreatePartitionsRequest::CreatePartitionsTopic cpt;
        cpt.name_ = "keep";
        cpt.count_ = 4;
        cpt.assignments_ = std::nullopt;
        cp.topics_.push_back(cpt);
        CHECK(c.call<CreatePartitionsResponse>(cp, 1)->results_.at(0).error_code_ == 0);
        CHECK(c.call<CreatePartitionsResponse>(cp, 1)->results_.at(0).error_code_ == 37);
        CHECK(bn.broker->logs().get({"keep", PartitionId(3)}) != nullptr);
        phase = 2;
        bn.stop->set();
    });
    w.start(w.node("client2"));
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(200).to_nanos()));
    CHECK(phase == 2);
}

TEST_CASE("kafka broker: bad frames close the connection; the broker keeps serving") {
    BrokerNode bn{test_config({{"socket.request.max.bytes", "1000"}})};
    with_broker(7, bn, [&](Env& env) {
        {
            Client c(env);  // garbage header: unknown API key
            CHECK(c.send_raw(as_bytes("\x7f\x7f\x00\x00garbage")).ok());
            CHECK(!c.recv_raw().ok());
        }
        {
            Client c(env);  // a key we do not serve (DescribeDelegationToken)
            DescribeDelegationTokenRequest dt;
            CHECK(c.send(dt, 1).ok());
            CHECK(!c.recv_raw().ok());
        }
        {
            Client c(env);  // Produce v10 (above our maximum)
            CHECK(c.send(produce_request("t", 0, make_batch({"x"})), 10).ok());
            CHECK(!c.recv_raw().ok());
        }
        {
            Client c(env);  // a truncated Metadata body
            CHECK(c.send_raw(as_bytes(std::string(
                                 "\x00\x03\x00\x01\x00\x00\x00\x01\x00\x01x\x00\x00\x00", 14)))
                      .ok());
            CHECK(!c.recv_raw().ok());
        }
        {
            Client c(env);  // an oversize frame: closed without reading it
            std::byte header[4];
            store_be<uint32_t>(header, 0x7ffffff0);
            CHECK(c.conn().write_all(header).ok());
            CHECK(!c.recv_raw().ok());
        }
        Client c(env);
        auto resp = c.call<ApiVersionsResponse>(ApiVersionsRequest{}, 3);
        CHECK(resp.has_value());
    });
}

TEST_CASE("kafka broker: fetch answers the same with and without zero copy") {
    std::vector<Bytes> answers;
    for (bool zero_copy : {true, false}) {
        BrokerOptions o;
        o.zero_copy = zero_copy;
        BrokerNode bn{test_config({{"log.segment.bytes", "300"}}), o};
        with_broker(8, bn, [&](Env& env) {
            Client c(env);
            CHECK(c.call<CreateTopicsResponse>(create_topic_request("z", 2), 5).has_value());
            for (int i = 0; i < 6; ++i) {
                auto p = c.call<ProduceResponse>(
                    produce_request("z", i % 2, make_batch({std::string(40, char('a' + i)), "x"})),
                    7);
                CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
            }
            // Both partitions, several segments each, in both encodings (v11 classic, v12
            // flexible).
            for (int16_t v : {11, 12}) {
                auto req = fetch_request("z", 0, 0);
                req.topics_[0].partitions_.push_back(req.topics_[0].partitions_[0]);
                req.topics_[0].partitions_[1].partition_ = 1;
                req.topics_[0].partitions_[1].fetch_offset_ = 2;
                CHECK(c.send(req, v).ok());
                auto frame = c.recv_raw();
                CHECK(frame.ok());
                Reader r(*frame);
                CHECK(decode_response_header(r, ApiKey::fetch, v).ok());
                auto resp = FetchResponse::decode(r, v);
                CHECK(resp.ok());
                CHECK(r.remaining() == 0);
                const auto& ps = resp->responses_.at(0).partitions_;
                CHECK(record_values(*ps.at(0).records_).size() == 6);
                CHECK(record_values(*ps.at(1).records_).size() == 4);
                answers.push_back(*frame);
            }
        });
    }
    REQUIRE(answers.size() == 4);
    CHECK(answers[0] == answers[2]);
    CHECK(answers[1] == answers[3]);
}

TEST_CASE(
    "kafka broker: Produce timeout_ms bounds the durability wait: REQUEST_TIMED_OUT, then "
    "the write lands; ListOffsets -3 sees only records below the high watermark") {
    BrokerNode bn{test_config()};
    with_broker_world(7, bn, [&](Env& env, sim::SimWorld& w) {
        Client c(env);
        auto created = c.call<CreateTopicsResponse>(create_topic_request("slow", 1), 5);
        CHECK(created.has_value());
        if (!created) {
            return;
        }
        CHECK(created->topics_.at(0).error_code_ == 0);
        if (!(created->topics_.at(0).error_code_ == 0)) {
            return;
        }
        auto lo = [&](int64_t ts) {
            auto r = c.call<ListOffsetsResponse>(list_offsets_request("slow", 0, ts), 7);
            CHECK(r.has_value());
            return r ? r->topics_.at(0).partitions_.at(0)
                     : ListOffsetsResponse::ListOffsetsPartitionResponse{};
        };
        // Nothing yet: -3 finds no record.
        CHECK(lo(-3).offset_ == -1);
        CHECK(lo(-3).timestamp_ == -1);
        // Timestamps 5000, 9000, 7000: the max is the second record.
        auto first = produce_request("slow", 0, make_batch({"a", "b", "c"}, 5000));
        {
            record::RecordBatchBuilder b(record::BatchBuilderOptions{});
            for (int64_t ts : {5000, 9000, 7000}) {
                b.append(record::TimestampMs(ts), as_bytes("k"), as_bytes("v"));
            }
            first.topic_data_.at(0).partition_data_.at(0).records_ = b.build();
        }
        auto p1 = c.call<ProduceResponse>(first, 7);
        CHECK(p1.has_value());
        if (!p1) {
            return;
        }
        CHECK(p1->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
        CHECK(lo(-3).offset_ == 1);
        CHECK(lo(-3).timestamp_ == 9000);

        // Syncs now take 2 s; the producer waits at most 100 ms.
        sim::DiskFaults slow = w.node("broker").disk().faults();
        slow.sync_latency = Duration::seconds(2);
        w.node("broker").disk().set_faults(slow);
        auto late = produce_request("slow", 0, make_batch({"late"}, 20000));
        late.timeout_ms_ = 100;
        const Instant sent = env.clock.now();
        auto p2 = c.call<ProduceResponse>(late, 7);
        CHECK(p2.has_value());
        if (!p2) {
            return;
        }
        const auto& pr = p2->responses_.at(0).partition_responses_.at(0);
        CHECK(pr.error_code_ == 7);  // REQUEST_TIMED_OUT: retriable, not a definite failure
        CHECK(env.clock.now() - sent < Duration::seconds(1));
        // Not durable yet, so not below the high watermark: -3 still answers the old maximum,
        // and -1 the old high watermark.
        CHECK(lo(-1).offset_ == 3);
        CHECK(lo(-3).offset_ == 1);
        CHECK(lo(-3).timestamp_ == 9000);

        // The write was not lost: once synced, the high watermark moves without another Produce.
        env.scheduler.sleep_for(Duration::seconds(5));
        CHECK(lo(-1).offset_ == 4);
        CHECK(lo(-3).offset_ == 3);
        CHECK(lo(-3).timestamp_ == 20000);
        auto f = c.call<FetchResponse>(fetch_request("slow", 0, 3), 11);
        CHECK(f.has_value());
        if (!f) {
            return;
        }
        CHECK(record_values(*f->responses_.at(0).partitions_.at(0).records_) ==
              std::vector<std::string>{"late"});

        // A timeout long enough for the sync: answered normally.
        auto p3 = c.call<ProduceResponse>(produce_request("slow", 0, make_batch({"ok"}, 30000)), 7);
        CHECK(p3.has_value());
        if (!p3) {
            return;
        }
        CHECK(p3->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
        CHECK(p3->responses_.at(0).partition_responses_.at(0).base_offset_ == 4);
    });
}

TEST_CASE(
    "kafka broker: DescribeLogDirs reports partition sizes and, from v4, the volume's "
    "total and usable bytes") {
    BrokerNode bn{test_config()};
    with_broker_world(8, bn, [&](Env& env, sim::SimWorld& w) {
        sim::DiskFaults capped = w.node("broker").disk().faults();
        capped.capacity_bytes = uint64_t{1} << 30;
        w.node("broker").disk().set_faults(capped);
        Client c(env);
        auto created = c.call<CreateTopicsResponse>(create_topic_request("sized", 2), 5);
        CHECK(created.has_value());
        if (!created) {
            return;
        }
        const Bytes batch = make_batch({"one", "two", "three"});
        auto p = c.call<ProduceResponse>(produce_request("sized", 1, batch), 7);
        CHECK(p.has_value());
        if (!p) {
            return;
        }
        CHECK(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0);
        if (!(p->responses_.at(0).partition_responses_.at(0).error_code_ == 0)) {
            return;
        }

        DescribeLogDirsRequest req;
        req.topics_ = std::nullopt;
        auto d = c.call<DescribeLogDirsResponse>(req, 4);
        CHECK(d.has_value());
        if (!d) {
            return;
        }
        CHECK(d->results_.size() == 1);
        if (!(d->results_.size() == 1)) {
            return;
        }
        const auto& dir = d->results_.at(0);
        CHECK(dir.error_code_ == 0);
        CHECK(dir.total_bytes_ == int64_t{1} << 30);
        const uint64_t used = w.node("broker").disk().bytes_used();
        CHECK(dir.usable_bytes_ > 0);
        CHECK(dir.usable_bytes_ <= (int64_t{1} << 30) - static_cast<int64_t>(batch.size()));
        CHECK(dir.usable_bytes_ >= (int64_t{1} << 30) - static_cast<int64_t>(used) - 65536);
        CHECK(dir.topics_.size() == 1);
        if (!(dir.topics_.size() == 1)) {
            return;
        }
        const auto& t = dir.topics_.at(0);
        CHECK(t.name_ == "sized");
        CHECK(t.partitions_.size() == 2);
        if (!(t.partitions_.size() == 2)) {
            return;
        }
        for (const auto& part : t.partitions_) {
            CHECK(part.partition_size_ ==
                  (part.partition_index_ == 1 ? static_cast<int64_t>(batch.size()) : 0));
        }
        // v3 has no such fields: they decode as their default, -1.
        auto d3 = c.call<DescribeLogDirsResponse>(req, 3);
        CHECK(d3.has_value());
        if (!d3) {
            return;
        }
        CHECK(d3->results_.at(0).total_bytes_ == -1);
        CHECK(d3->results_.at(0).usable_bytes_ == -1);
    });
}

TEST_CASE(
    "kafka broker: CreateTopics with a replication factor above the broker count gets "
    "INVALID_REPLICATION_FACTOR") {
    BrokerNode bn{test_config()};
    with_broker(9, bn, [&](Env& env) {
        Client c(env);
        for (int16_t rf : {2, 3, 0}) {
            CAPTURE(rf);
            auto req = create_topic_request("replicated", 1);
            req.topics_.at(0).replication_factor_ = rf;
            auto r = c.call<CreateTopicsResponse>(req, 5);
            CHECK(r.has_value());
            if (!r) {
                return;
            }
            CHECK(r->topics_.at(0).error_code_ == 38);
        }
        auto ok = create_topic_request("replicated", 1);
        ok.topics_.at(0).replication_factor_ = 1;
        auto r = c.call<CreateTopicsResponse>(ok, 5);
        CHECK(r.has_value());
        if (!r) {
            return;
        }
        CHECK(r->topics_.at(0).error_code_ == 0);
    });
}
