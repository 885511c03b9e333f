// Scenario "client-quotas": one broker, a producer whose client id has a producer_byte_rate
// quota (set through AlterClientQuotas, so it lives in the metadata log and survives restarts)
// and a producer without one, both sending as fast as their fibers can — 2-4 connections of one
// client id sharing its budget, and Eddy's client, like librdkafka, does not throttle itself
// (KIP-219's client side), so only the broker's pacing holds the throttled one back — while the
// network resets connections and slows links, and the broker's disk, clock and process are
// faulted (one_broker_menu: crashes in some runs).
//
// Checkers:
// - `quota-bound`: from the moment the quota was committed, the value bytes acknowledged to the
//   throttled producer for requests it sent after that moment never exceed
//   rate × elapsed + one window's burst per broker start since (a restarted broker starts its
//   buckets full) + one request per connection (each connection's request in flight may be
//   served once the debt before it is paid). The broker charges request bytes, which are more
//   than the values, so an honest broker stays well inside.
// - `quota-isolation`: the unthrottled producer gets more than twice the quota through (the
//   quota is for one client id, not the connection's neighbours).
// `liveness`: after healing, the throttled producer is acknowledged again.
// Planted bug `quota-ignores-throttle`: the broker computes throttles but neither mutes the
// connection nor holds the next request (quota-bound).
#include <algorithm>
#include <string>
#include <vector>

#include "scenarios/kafka_nodes.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

const std::string topic_name = "metered";
const std::string throttled_id = "metered-client";
const std::string free_id = "free-client";

constexpr const char* quota_bound = "quota-bound";
constexpr const char* quota_isolation = "quota-isolation";

struct Oracle {
    double rate = 0;               // producer_byte_rate, bytes/s
    std::optional<Instant> since;  // when the quota was committed
    int starts_since = 0;          // broker starts after `since`
    double throttled_bytes = 0;    // acknowledged, sent after `since`
    double free_bytes = 0;         // acknowledged to the free producer after `since`
    size_t request_max = 0;        // the largest request's value bytes
    int connections = 1;           // of the throttled producer
    bool healed = false;
    bool done = false;
    uint64_t acked_after_heal = 0;
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }
};

client::ClientOptions client_options(const std::string& client_id) {
    client::ClientOptions o = broker_client_options(Duration::seconds(30));
    o.client_id = client_id;
    o.retry_backoff = Duration::millis(20);
    o.retry_backoff_max = Duration::millis(200);
    return o;
}

// Sets the quota until the broker confirms it (the broker may be down or unreachable).
void admin_main(Env& env, Oracle& o) {
    client::Client client(env, client_options("quota-admin"));
    create_topic_until_done(env, client, topic_name, 1);
    while (!o.since) {
        auto r = client.alter_client_quota({{"client-id", throttled_id}},
                                           {{"producer_byte_rate", o.rate}});
        if (r.ok()) {
            o.since = env.scheduler.now();
            break;
        }
        env.scheduler.sleep_for(Duration::millis(200));
    }
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

// One sender fiber of a producer: batches of 1-8 records of 200-2000 bytes, back to back.
void sender(Env& env, Oracle& o, client::Client& client, bool throttled, Random r) {
    while (!o.done) {
        std::vector<client::ProducerRecord> records(static_cast<size_t>(r.between(1, 8)));
        size_t bytes = 0;
        for (auto& rec : records) {
            rec.value = std::string(static_cast<size_t>(r.between(200, 2000)), 'q');
            rec.timestamp_ms = 1'700'000'000'000;
            bytes += rec.value->size();
        }
        const std::optional<Instant> since = o.since;
        const Instant sent = env.scheduler.now();
        auto res = client.produce(topic_name, PartitionId(0), records, client::ProduceOptions{});
        if (res.ok() && since && sent >= *since) {
            const Instant now = env.scheduler.now();
            const double elapsed = static_cast<double>((now - *since).to_nanos()) / 1e9;
            if (throttled) {
                o.throttled_bytes += static_cast<double>(bytes);
                o.request_max = std::max(o.request_max, bytes);
                const double bound =
                    o.rate * (elapsed + 1.0 + o.starts_since) +
                    static_cast<double>(o.request_max) * static_cast<double>(o.connections);
                if (o.throttled_bytes > bound) {
                    o.fail(quota_bound,
                           std::to_string(static_cast<int64_t>(o.throttled_bytes)) +
                               " bytes acknowledged in " + std::to_string(elapsed) +
                               " s under a quota of " + std::to_string(static_cast<int64_t>(o.rate)) +
                               " B/s (bound " + std::to_string(static_cast<int64_t>(bound)) +
                               ", " + std::to_string(o.starts_since) + " broker restarts)");
                }
                if (o.healed) {
                    ++o.acked_after_heal;
                }
            } else {
                o.free_bytes += static_cast<double>(bytes);
            }
        }
        if (!res.ok()) {
            env.scheduler.sleep_for(Duration::millis(r.between(5, 50)));
        } else if (!throttled) {
            // Paced so the run stays cheap; still many times the throttled one's quota.
            env.scheduler.sleep_for(Duration::millis(r.between(5, 20)));
        }
    }
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

void producer_main(Env& env, Oracle& o, bool throttled) {
    Random r = env.random.fork("producer");
    // Several connections of one client id, each with a request in flight: they share the
    // quota's budget.
    const int fibers = static_cast<int>(r.between(2, 4));
    if (throttled) {
        o.connections = fibers;
    }
    std::vector<FiberRef> senders;
    for (int i = 1; i < fibers; ++i) {
        senders.push_back(env.scheduler.spawn(
            "sender", [&env, &o, throttled, rr = r.fork("sender-" + std::to_string(i))] {
                client::Client client(env, client_options(throttled ? throttled_id : free_id));
                sender(env, o, client, throttled, rr);
            }));
    }
    client::Client client(env, client_options(throttled ? throttled_id : free_id));
    sender(env, o, client, throttled, r.fork("sender-0"));
}

RunResult run_client_quotas(const RunOptions& ro) {
    Random swarm = Random(ro.seed).fork("swarm");
    sim::WorldOptions wo = broker_world_options(swarm);
    wo.net.reset_p = swarm.chance(0.5) ? swarm.unit() * 0.005 : 0;
    wo.net.slow_p = swarm.unit() * 0.05;
    wo.net.slow_latency = Duration::millis(swarm.between(50, 500));
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }
    Oracle oracle;
    oracle.rate = static_cast<double>(swarm.between(10, 60) * 1000);
    const bool broker_crashes = swarm.chance(0.5);

    auto config = broker_node_config(
        {{"num.partitions", "1"},
         {"log.segment.bytes", std::to_string(swarm.between(64, 512) * 1024)},
         {"quota.window.num", std::to_string(swarm.between(2, 11))}});
    if (!config.ok()) {
        return finish(world,
                      Verdict::violation(checkers::setup, "bad broker config: " + config.error()));
    }
    kafka::BrokerOptions bo;
    bool broker_started = false;
    bo.quota_ignores_throttle = ro.planted("quota-ignores-throttle");
    world.add_node("broker", [&](Env& env) {
        if (oracle.since) {
            ++oracle.starts_since;
        }
        run_broker_node(env, *config, bo, oracle.violation, &broker_started);
    });
    world.add_node("admin", [&oracle](Env& env) { admin_main(env, oracle); });
    world.add_node("metered", [&oracle](Env& env) { producer_main(env, oracle, true); });
    world.add_node("free", [&oracle](Env& env) { producer_main(env, oracle, false); });
    const bool finished = run_one_broker_phases(
        world, ro, broker_crashes, {"metered", "free"}, oracle.violation,
        [&] {
            oracle.healed = true;
            world.world_env().scheduler.sleep_for(Duration::seconds(6));
            oracle.done = true;
        },
        Duration::seconds(120));
    const std::string summary =
        std::to_string(static_cast<int64_t>(oracle.throttled_bytes)) + " bytes throttled at " +
        std::to_string(static_cast<int64_t>(oracle.rate)) + " B/s, " +
        std::to_string(static_cast<int64_t>(oracle.free_bytes)) + " unthrottled";
    Verdict v = Verdict::ok(summary);
    if (!oracle.violation.empty()) {
        v = Verdict::violation(oracle.violation);
    } else if (!finished) {
        v = Verdict::violation(checkers::run_timeout,
                               "the run did not finish within 120 simulated seconds");
    } else if (!oracle.since) {
        v = Verdict::violation(checkers::liveness, "the quota was never set");
    } else if (oracle.acked_after_heal == 0) {
        v = Verdict::violation(checkers::liveness,
                               "no acknowledgement to the throttled producer after healing");
    } else if (oracle.free_bytes <= 2 * oracle.throttled_bytes) {
        v = Verdict::violation(quota_isolation,
                               "the unthrottled producer got no more through than the throttled "
                               "one: " + summary);
    }
    return finish(world, v);
}

}  // namespace

Scenario client_quotas_scenario() {
    return {"client-quotas",
            "a producer over its producer_byte_rate quota next to one without, through resets, "
            "slow links and broker crashes: acknowledged bytes within rate x time + a burst per "
            "broker start",
            run_client_quotas};
}

}  // namespace eddy::scenarios
