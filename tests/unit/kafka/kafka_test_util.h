// Helpers for the broker tests: a SimWorld with one broker node and a minimal Kafka client that
// builds requests with the generated codecs, sends them over the simulated network and decodes
// the responses; plus record-batch builders.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/protocol/generated/all_messages.h"
#include "core/protocol/message_header.h"
#include "core/record/record_batch_builder.h"
#include "services/kafka/broker.h"
#include "services/net/frame_server.h"
#include "sim/world.h"

namespace eddy::kafka::test {

inline config::BrokerConfig test_config(
    std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> o = {
        {"listeners", "PLAINTEXT://broker:9092,CONTROLLER://broker:9093"}};
    o.insert(o.end(), extra.begin(), extra.end());
    auto c = config::BrokerConfig::load({}, o);
    REQUIRE(c.ok());
    return std::move(c).value();
}

// Waits (in simulated time, polling every 100 ms) until `ready` holds; false once `timeout` has
// passed. Suspends.
template <typename Pred>
bool await(Env& env, Pred ready, Duration timeout = Duration::seconds(60)) {
    const Instant deadline = env.scheduler.now() + timeout;
    while (!ready()) {
        if (env.scheduler.now() >= deadline) {
            return false;
        }
        env.scheduler.sleep_for(Duration::millis(100));
    }
    return true;
}

inline sim::WorldOptions quiet_world() {
    sim::WorldOptions o;
    o.buggify = false;
    o.log_levels = LogLevel::error;
    return o;
}

// Boots a broker on the node and keeps it running until `stop` is set (or the node crashes).
struct BrokerNode {
    explicit BrokerNode(config::BrokerConfig c, BrokerOptions o = {})
        : config(std::move(c)), options(std::move(o)) {}
    config::BrokerConfig config;
    BrokerOptions options;
    Broker* broker = nullptr;  // valid while the node's incarnation runs
    bool started = false;
    bool stopped = false;
    std::unique_ptr<Event> stop;
    // Runs on the node before the broker is made (e.g. to write files into its data directory).
    std::function<void(Env&)> prepare;

    sim::SimNode::Boot boot() {
        return [this](Env& env) {
            if (prepare) {
                prepare(env);
            }
            Broker b(env, config, options);
            auto r = b.start();
            CHECK(r.ok());
            if (!r.ok()) {
                MESSAGE(r.error());
                return;
            }
            broker = &b;
            started = true;
            stop = std::make_unique<Event>(env.scheduler);
            (void)stop->wait();
            b.stop();
            broker = nullptr;
            stopped = true;
        };
    }
};

// A cluster world: starts the nodes named `hosts`, then "client", and runs until `finished`
// (at most 300 s of simulated time).
inline void run_until_finished(sim::SimWorld& w, std::span<const char* const> hosts,
                               const bool& finished) {
    for (const char* h : hosts) {
        w.start(w.node(h));
    }
    w.start(w.node("client"));
    w.run([&] { return finished; }, Instant::from_nanos(Duration::seconds(300).to_nanos()));
}

// Stops every broker of a cluster world that is running and runs until they have stopped.
inline void stop_brokers(sim::SimWorld& w, std::vector<std::unique_ptr<BrokerNode>>& nodes) {
    for (auto& n : nodes) {
        if (n->stop) {
            n->stop->set();
        }
    }
    w.run(
        [&] {
            return std::all_of(nodes.begin(), nodes.end(),
                               [](const auto& n) { return n->stopped || !n->started; });
        },
        Instant::from_nanos(Duration::seconds(600).to_nanos()));
}

// Runs `body` as a client fiber ("client") against a fresh broker ("broker") in a SimWorld of
// `seed`; stops the broker afterwards and checks both finished.
// Runs `body` as a client fiber against a fresh broker; stops the broker afterwards. The body
// may reach the broker node's simulated disk through the world.
inline void with_broker_world(uint64_t seed, BrokerNode& bn,
                              const std::function<void(Env&, sim::SimWorld&)>& body) {
    sim::SimWorld w(seed, quiet_world());
    bool finished = false;
    w.add_node("broker", bn.boot());
    w.add_node("client", [&](Env& env) {
        while (!bn.started) {
            env.scheduler.sleep_for(Duration::millis(1));
        }
        body(env, w);
        finished = true;
        bn.stop->set();
    });
    w.start(w.node("broker"));
    w.start(w.node("client"));
    w.run([&] { return bn.stopped; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));
    CHECK(finished);
    CHECK(bn.stopped);
}

// The whole of a file on a simulated disk ("" when it does not exist).
inline std::string read_sim_file(Disk& disk, const std::string& path) {
    auto f = disk.open(path, OpenMode::read_only);
    if (!f.ok()) {
        return "";
    }
    auto size = (*f)->size();
    REQUIRE(size.ok());
    std::string out(static_cast<size_t>(*size), '\0');
    auto n =
        (*f)->read_at(0, MutableByteSpan(reinterpret_cast<std::byte*>(out.data()), out.size()));
    REQUIRE(n.ok());
    out.resize(*n);
    return out;
}

inline void with_broker(uint64_t seed, BrokerNode& bn, const std::function<void(Env&)>& body) {
    with_broker_world(seed, bn, [&](Env& env, sim::SimWorld&) { body(env); });
}

class Client {
public:
    Client(Env& env, std::string host = "broker", uint16_t port = 9092) {
        auto c = env.network.connect({host, port}, Duration::seconds(1));
        CHECK(c.ok());
        if (c.ok()) {
            conn_ = std::move(c).value();
        }
    }
    bool connected() const { return conn_ != nullptr; }
    // The client id the request headers carry ("eddy-test" by default).
    void set_client_id(std::string id) { client_id_ = std::move(id); }
    Connection& conn() { return *conn_; }

    Result<void, NetError> send_raw(ByteSpan frame) { return net::write_frame(*conn_, frame); }
    Result<Bytes, NetError> recv_raw() { return net::read_frame(*conn_, 64 * 1024 * 1024); }

    template <typename Req>
    Result<void, NetError> send(const Req& req, int16_t version) {
        protocol::RequestHeader h;
        h.request_api_key_ = static_cast<int16_t>(Req::api_key);
        h.request_api_version_ = version;
        h.correlation_id_ = ++correlation_;
        h.client_id_ = client_id_;
        Bytes body;
        protocol::Writer w(body);
        protocol::encode_request_header(w, h);
        req.encode(w, version);
        return send_raw(body);
    }

    template <typename Resp>
    std::optional<Resp> receive(int16_t version) {
        auto frame = recv_raw();
        if (!frame.ok()) {
            return std::nullopt;
        }
        protocol::Reader r(*frame);
        auto h = protocol::decode_response_header(r, static_cast<protocol::ApiKey>(Resp::api_key),
                                                  version);
        CHECK(h.ok());
        if (!h.ok()) {
            return std::nullopt;
        }
        CHECK(h->correlation_id_ == correlation_);
        auto resp = Resp::decode(r, version);
        CHECK(resp.ok());
        if (!resp.ok()) {
            return std::nullopt;
        }
        CHECK(r.remaining() == 0);
        return std::move(resp).value();
    }

    template <typename Resp, typename Req>
    std::optional<Resp> call(const Req& req, int16_t version) {
        if (!send(req, version).ok()) {
            return std::nullopt;
        }
        return receive<Resp>(version);
    }

private:
    std::unique_ptr<Connection> conn_;
    int32_t correlation_ = 0;
    std::string client_id_ = "eddy-test";
};

inline Bytes make_batch(const std::vector<std::string>& values,
                        int64_t timestamp = 1'700'000'000'000) {
    record::RecordBatchBuilder b(record::BatchBuilderOptions{});
    int64_t ts = timestamp;
    for (const auto& v : values) {
        b.append(record::TimestampMs(ts++), as_bytes("k"), as_bytes(v));
    }
    return b.build();
}

inline protocol::CreateTopicsRequest create_topic_request(
    const std::string& name, int32_t partitions,
    std::vector<std::pair<std::string, std::string>> configs = {}) {
    protocol::CreateTopicsRequest req;
    protocol::CreateTopicsRequest::CreatableTopic t;
    t.name_ = name;
    t.num_partitions_ = partitions;
    t.replication_factor_ = -1;
    for (const auto& [k, v] : configs) {
        protocol::CreateTopicsRequest::CreatableTopicConfig c;
        c.name_ = k;
        c.value_ = v;
        t.configs_.push_back(c);
    }
    req.topics_.push_back(t);
    return req;
}

inline protocol::ProduceRequest produce_request(const std::string& topic, int32_t partition,
                                                Bytes batch, int16_t acks = -1) {
    protocol::ProduceRequest req;
    req.acks_ = acks;
    req.timeout_ms_ = 30000;
    protocol::ProduceRequest::TopicProduceData td;
    td.name_ = topic;
    protocol::ProduceRequest::PartitionProduceData pd;
    pd.index_ = partition;
    pd.records_ = std::move(batch);
    td.partition_data_.push_back(std::move(pd));
    req.topic_data_.push_back(std::move(td));
    return req;
}

// One partition of a Fetch: from `offset`, up to 1 MiB.
inline protocol::FetchRequest::FetchPartition fetch_position(int32_t partition, int64_t offset) {
    protocol::FetchRequest::FetchPartition fp;
    fp.partition_ = partition;
    fp.fetch_offset_ = offset;
    fp.partition_max_bytes_ = 1 << 20;
    return fp;
}

inline protocol::FetchRequest fetch_request(const std::string& topic, int32_t partition,
                                            int64_t offset, int32_t max_wait_ms = 0,
                                            int32_t min_bytes = 0) {
    protocol::FetchRequest req;
    req.max_wait_ms_ = max_wait_ms;
    req.min_bytes_ = min_bytes;
    req.max_bytes_ = 1 << 20;
    protocol::FetchRequest::FetchTopic ft;
    ft.topic_ = topic;
    ft.partitions_.push_back(fetch_position(partition, offset));
    req.topics_.push_back(ft);
    return req;
}

inline protocol::ListOffsetsRequest list_offsets_request(const std::string& topic,
                                                         int32_t partition, int64_t timestamp) {
    protocol::ListOffsetsRequest req;
    req.replica_id_ = -1;
    protocol::ListOffsetsRequest::ListOffsetsTopic t;
    t.name_ = topic;
    protocol::ListOffsetsRequest::ListOffsetsPartition p;
    p.partition_index_ = partition;
    p.timestamp_ = timestamp;
    t.partitions_.push_back(p);
    req.topics_.push_back(t);
    return req;
}

// The values of every record in a fetch's records bytes.
inline std::vector<std::string> record_values(const Bytes& records) {
    std::vector<std::string> out;
    auto batches = record::split_batches(records, record::PartialTail::ignore);
    CHECK(batches.ok());
    if (!batches.ok()) {
        return out;
    }
    for (const auto& b : *batches) {
        auto recs = record::BatchRecords::open(b);
        CHECK(recs.ok());
        auto all = recs->decode_all();
        CHECK(all.ok());
        for (const auto& r : *all) {
            out.emplace_back(r.value ? std::string(as_chars(*r.value)) : std::string("<null>"));
        }
    }
    return out;
}

}  // namespace eddy::kafka::test
