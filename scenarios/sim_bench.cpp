// Workloads for `eddy bench sim`: how fast the simulator itself runs.
// - busy: five nodes exchanging small pipelined requests over the simulated network as fast as
//   they can, no faults: counts events (fiber resumptions + timers) per wall second.
// - idle: five nodes that only wake on heartbeats every 50 ms: simulated seconds per wall second.
// - kafka: a cluster of real Brokers (3 or 5 nodes), loaded by producers and a consumer, or idle.
// The wall clock is read by the caller (runtime/), never here.
#include "scenarios/sim_bench.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "scenarios/kafka_nodes.h"
#include "services/net/frame_server.h"
#include "sim/world.h"

namespace eddy::scenarios {

BenchRun bench_busy_world(uint64_t seed, Duration simulated) {
    sim::WorldOptions wo;
    wo.buggify = false;
    sim::SimWorld world(seed, wo);
    uint64_t round_trips = 0;
    world.add_node("server", [](Env& env) {
        auto l = env.network.listen({"server", 1});
        ASSERT(l.ok());
        net::FrameServer server(
            env, std::move(l).value(),
            [](const net::ConnectionInfo&,
               ByteSpan body) -> Result<std::optional<Bytes>, net::HandlerError> {
                return std::optional<Bytes>(Bytes(body.begin(), body.end()));
            });
        server.start();
        env.scheduler.sleep_for(Duration::hours(1000));
    });
    for (int i = 0; i < 4; ++i) {
        world.add_node("client" + std::to_string(i), [&round_trips](Env& env) {
            env.scheduler.sleep_for(Duration::millis(1));
            auto c = env.network.connect({"server", 1}, Duration::seconds(1));
            ASSERT(c.ok());
            const Bytes body(100, std::byte{7});
            while (true) {
                for (int k = 0; k < 8; ++k) {
                    ASSERT(net::write_frame(**c, body).ok());
                }
                for (int k = 0; k < 8; ++k) {
                    ASSERT(net::read_frame(**c, 1024).ok());
                    ++round_trips;
                }
            }
        });
    }
    for (auto* n : world.nodes()) {
        world.start(*n);
    }
    world.run(nullptr, Instant() + simulated);
    return {world.executor().steps(), world.now() - Instant(), round_trips};
}

BenchRun bench_idle_world(uint64_t seed, Duration simulated) {
    sim::WorldOptions wo;
    wo.buggify = false;
    sim::SimWorld world(seed, wo);
    uint64_t beats = 0;
    for (int i = 0; i < 5; ++i) {
        world.add_node("node" + std::to_string(i), [&beats](Env& env) {
            while (true) {
                env.scheduler.sleep_for(Duration::millis(50));
                ++beats;
            }
        });
    }
    for (auto* n : world.nodes()) {
        world.start(*n);
    }
    world.run(nullptr, Instant() + simulated);
    return {world.executor().steps(), world.now() - Instant(), beats};
}

namespace {

struct BenchCluster {
    std::vector<int> ids;
    std::map<int, ClusterNode> nodes;
    bool topic_ready = false;
    Instant measure_from;
    uint64_t acked = 0;
    uint64_t consumed = 0;
};

constexpr const char* bench_topic = "bench";
constexpr int32_t bench_partitions = 3;
// Each producer sends a batch of 10 records of 100 bytes, waits for acks=all, then this long:
// about 100 batches (100 KB) per second per producer, a steady load rather than a closed loop
// as fast as simulated latency allows (which would measure only how busy we can make it).
constexpr Duration bench_produce_interval = Duration::millis(10);

client::ClientOptions bench_client_options(const BenchCluster& c) {
    client::ClientOptions o;
    for (int id : c.ids) {
        o.bootstrap.push_back(Address{cluster_node_name(id), broker_port});
    }
    o.request_timeout = Duration::seconds(5);
    o.retry_backoff = Duration::millis(50);
    o.retry_backoff_max = Duration::millis(400);
    return o;
}

void bench_producer(Env& env, BenchCluster& c, int index) {
    client::Client client(env, bench_client_options(c));
    while (!c.topic_ready) {
        env.scheduler.sleep_for(Duration::millis(20));
    }
    std::vector<client::ProducerRecord> records(10);
    for (auto& r : records) {
        r.value = std::string(100, static_cast<char>('a' + index));
    }
    client::ProduceOptions o;
    o.acks = -1;
    for (uint64_t n = 0;; ++n) {
        const auto p = PartitionId(static_cast<int32_t>((n + static_cast<uint64_t>(index)) %
                                                        bench_partitions));
        if (client.produce(bench_topic, p, records, o).ok()) {
            ++c.acked;
        }
        env.scheduler.sleep_for(bench_produce_interval);
    }
}

void bench_consumer(Env& env, BenchCluster& c) {
    client::Client client(env, bench_client_options(c));
    while (!c.topic_ready) {
        env.scheduler.sleep_for(Duration::millis(20));
    }
    std::vector<Offset> next(bench_partitions, Offset(0));
    client::FetchOptions fo;
    fo.max_wait = Duration::millis(100);
    while (true) {
        for (int32_t p = 0; p < bench_partitions; ++p) {
            auto f = client.fetch(bench_topic, PartitionId(p), next[static_cast<size_t>(p)], fo);
            if (f.ok()) {
                c.consumed += f->records.size();
                next[static_cast<size_t>(p)] = f->next_offset;
            }
        }
    }
}

}  // namespace

BenchRun bench_kafka_cluster(uint64_t seed, int nodes, bool loaded, Duration simulated,
                             const std::function<void()>& measuring) {
    ASSERT(nodes >= 1, "a cluster has a node");
    BenchCluster c;  // before the world: the nodes' fibers refer to it until they unwind
    sim::WorldOptions wo;
    wo.buggify = false;
    sim::SimWorld world(seed, wo);
    for (int id = 1; id <= nodes; ++id) {
        c.ids.push_back(id);
        c.nodes[id] = ClusterNode{};
    }
    const int16_t rf = static_cast<int16_t>(std::min(nodes, 3));
    const std::vector<std::pair<std::string, std::string>> keys = {
        {"replica.fetch.wait.max.ms", "500"},
        {"num.partitions", "1"},
        {"default.replication.factor", std::to_string(rf)},
        {"offsets.topic.replication.factor", std::to_string(rf)}};
    auto configs = cluster_configs(c.ids, c.ids, Duration::millis(300), keys);
    ASSERT(configs.ok(), "the benchmark's cluster config loads");
    const kafka::BrokerOptions bo;
    for (int id : c.ids) {
        world.add_node(cluster_node_name(id), [&c, &configs, id, bo](Env& env) {
            run_cluster_node(env, c.nodes.at(id), configs->at(id), bo);
        });
    }
    world.add_node("admin", [&c, &world, rf](Env& env) {
        client::Client client(env, bench_client_options(c));
        client::NewTopic t;
        t.name = bench_topic;
        t.partitions = bench_partitions;
        t.replication_factor = rf;
        while (true) {
            const auto r = client.create_topic(t);
            if (r.ok() || r.error().code == client::error_code::topic_already_exists) {
                break;
            }
            env.scheduler.sleep_for(Duration::millis(100));
        }
        // Every partition has a leader before the clock starts.
        while (true) {
            const auto md = client.topic(bench_topic);
            if (md.ok() && std::all_of(md->partitions.begin(), md->partitions.end(),
                                       [](const auto& p) { return p.leader.value() >= 0; })) {
                break;
            }
            env.scheduler.sleep_for(Duration::millis(50));
        }
        c.measure_from = world.now();
        c.topic_ready = true;
        env.scheduler.sleep_for(Duration::hours(1000));
    });
    if (loaded) {
        for (int i = 0; i < 2; ++i) {
            world.add_node("producer-" + std::to_string(i),
                           [&c, i](Env& env) { bench_producer(env, c, i); });
        }
        world.add_node("consumer", [&c](Env& env) { bench_consumer(env, c); });
    }
    for (auto* n : world.nodes()) {
        world.start(*n);
    }
    world.run([&] { return c.topic_ready; }, Instant() + Duration::seconds(60));
    ASSERT(c.topic_ready, "the benchmark's topic exists within a minute of simulated time");
    const uint64_t steps0 = world.executor().steps();
    measuring();
    world.run(nullptr, c.measure_from + simulated);
    return {world.executor().steps() - steps0, world.now() - c.measure_from, c.acked};
}

}  // namespace eddy::scenarios
