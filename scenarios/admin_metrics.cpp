// Scenario "admin-metrics": one broker serving its admin API (services/admin) next to Kafka, an
// idempotent producer writing to a topic, and a scraper reading /metrics over HTTP
// (services/http) through the simulated network — while links reset and slow down, the broker's
// disk, clock and process are faulted, and the broker crashes and restarts in some runs. The
// metrics a dashboard alerts on must tell the truth through all of it.
//
// Checkers (the scraper compares what /metrics says with what the producer did, per broker
// incarnation: counters start at zero with each process):
// - `metrics-monotonic`: within one incarnation, kafka_server_brokertopicmetrics_messagesin_total
//   for the topic never goes down between scrapes.
// - `metrics-accounting`: within one incarnation, messages in never exceed the records of the
//   produce calls in progress during it (an idempotent retry of a batch already in the log
//   appends nothing and counts nothing); and after healing, the count covers every record
//   acknowledged for a produce call that started and ended in the final incarnation.
// - `liveness`: /metrics answers after healing, and the producer is acknowledged again.
// Planted bug `metrics-count-duplicates`: the broker counts the records of idempotent retries it
// answers from the producer state as messages in (metrics-accounting).
#include <map>
#include <string>
#include <vector>

#include "scenarios/kafka_nodes.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"
#include "services/admin/admin_server.h"
#include "services/client/idempotent_producer.h"
#include "services/http/http_client.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

const std::string topic_name = "watched";
constexpr uint16_t admin_port = 9644;
constexpr const char* metrics_monotonic = "metrics-monotonic";
constexpr const char* metrics_accounting = "metrics-accounting";

struct Oracle {
    int incarnation = 0;
    uint64_t in_progress = 0;              // records of the produce calls in progress now
    std::map<int, uint64_t> allowed;       // per incarnation: records of calls in progress in it
    std::map<int, uint64_t> acked_within;  // per incarnation: acknowledged, started and ended in it
    std::map<int, uint64_t> last_seen;     // per incarnation: the last scraped counter
    uint64_t scrapes = 0;
    bool healed = false;
    bool done_producing = false;
    uint64_t acked_after_heal = 0;
    uint64_t scrapes_after_heal = 0;
    bool final_checked = false;
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }
};

// A short request timeout: answers delayed by slow links and slow syncs time out, and the
// idempotent producer's retries of batches already in the log are answered as duplicates.
client::ClientOptions client_options() {
    client::ClientOptions o = broker_client_options(Duration::millis(250));
    o.retry_backoff = Duration::millis(20);
    o.retry_backoff_max = Duration::millis(200);
    return o;
}

void producer_main(Env& env, Oracle& o) {
    Random r = env.random.fork("producer");
    client::Client client(env, client_options());
    client::IdempotentProducer producer(env, client);
    create_topic_until_done(env, client, topic_name, 1);
    while (!o.done_producing) {
        std::vector<client::ProducerRecord> records(static_cast<size_t>(r.between(1, 5)));
        for (auto& rec : records) {
            rec.value = std::string(static_cast<size_t>(r.between(10, 200)), 'm');
            rec.timestamp_ms = 1'700'000'000'000;
        }
        const uint64_t n = records.size();
        const int started_in = o.incarnation;
        o.in_progress += n;
        o.allowed[o.incarnation] += n;
        const Instant deadline = env.scheduler.now() + Duration::seconds(r.between(2, 6));
        auto res = producer.send(topic_name, PartitionId(0), records, deadline);
        o.in_progress -= n;
        if (res.ok()) {
            if (o.incarnation == started_in) {
                o.acked_within[started_in] += n;
            }
            if (o.healed) {
                ++o.acked_after_heal;
            }
        }
        env.scheduler.sleep_for(Duration::micros(r.between(0, 30'000)));
    }
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

// The topic's messages-in counter on a /metrics page (0 before the topic's first append).
std::optional<uint64_t> messages_in(const std::string& page) {
    const std::string prefix =
        "kafka_server_brokertopicmetrics_messagesin_total{topic=\"" + topic_name + "\"} ";
    const size_t at = page.find(prefix);
    if (at == std::string::npos) {
        return uint64_t{0};
    }
    const size_t end = page.find('\n', at);
    if (end == std::string::npos) {
        return std::nullopt;
    }
    try {
        return std::stoull(page.substr(at + prefix.size(), end - at - prefix.size()));
    } catch (...) {
        return std::nullopt;
    }
}

// One scrape; nullopt if it failed or the broker restarted meanwhile. Suspends.
std::optional<std::pair<int, uint64_t>> scrape(Env& env, Oracle& o) {
    const int incarnation = o.incarnation;
    auto r = http::get(env, Address{"broker", admin_port}, "/metrics", Duration::seconds(2));
    if (!r.ok() || r->status != 200 || o.incarnation != incarnation) {
        return std::nullopt;
    }
    auto n = messages_in(r->body);
    if (!n) {
        o.fail(metrics_accounting, "a /metrics page without a readable messages-in counter");
        return std::nullopt;
    }
    return std::make_pair(incarnation, *n);
}

void scraper_main(Env& env, Oracle& o) {
    Random r = env.random.fork("scraper");
    while (true) {
        env.scheduler.sleep_for(Duration::millis(r.between(50, 400)));
        auto s = scrape(env, o);
        if (!s) {
            continue;
        }
        const auto [incarnation, n] = *s;
        ++o.scrapes;
        if (o.healed) {
            ++o.scrapes_after_heal;
        }
        auto& last = o.last_seen[incarnation];
        if (n < last) {
            o.fail(metrics_monotonic, "messages in went from " + std::to_string(last) + " to " +
                                          std::to_string(n) + " within broker incarnation " +
                                          std::to_string(incarnation));
        }
        last = n;
        if (n > o.allowed[incarnation]) {
            o.fail(metrics_accounting,
                   "messages in says " + std::to_string(n) + " in broker incarnation " +
                       std::to_string(incarnation) + ", but the produce calls in progress then " +
                       "held only " + std::to_string(o.allowed[incarnation]) + " records");
        }
        if (o.done_producing && !o.final_checked) {
            o.final_checked = true;
            if (n < o.acked_within[incarnation]) {
                o.fail(metrics_accounting,
                       "messages in says " + std::to_string(n) + " after healing, but " +
                           std::to_string(o.acked_within[incarnation]) +
                           " records were acknowledged in that broker incarnation");
            }
        }
    }
}

RunResult run_admin_metrics(const RunOptions& ro) {
    Random swarm = Random(ro.seed).fork("swarm");
    sim::WorldOptions wo = broker_world_options(swarm);
    // Lost answers make the idempotent producer retry batches already in the log.
    wo.net.reset_p = 0.002 + swarm.unit() * 0.008;
    wo.net.slow_p = swarm.unit() * 0.05;
    wo.net.slow_latency = Duration::millis(swarm.between(50, 500));
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }
    Oracle oracle;
    const bool broker_crashes = swarm.chance(0.5);
    auto config = broker_node_config(
        {{"num.partitions", "1"},
         {"log.segment.bytes", std::to_string(swarm.between(64, 512) * 1024)}});
    if (!config.ok()) {
        return finish(world,
                      Verdict::violation(checkers::setup, "bad broker config: " + config.error()));
    }
    kafka::BrokerOptions bo;
    bo.metrics_count_duplicates = ro.planted("metrics-count-duplicates");
    bool broker_started = false;
    world.add_node("broker", [&](Env& env) {
        ++oracle.incarnation;
        oracle.allowed[oracle.incarnation] = oracle.in_progress;
        run_broker_node(env, *config, bo, oracle.violation, &broker_started,
                        [&oracle](Env& e, kafka::Broker& b) -> std::shared_ptr<void> {
                            auto l = e.network.listen(Address{"broker", admin_port});
                            if (!l.ok()) {
                                oracle.fail(checkers::setup, "the admin listener did not bind");
                                return nullptr;
                            }
                            auto admin = std::make_shared<admin::AdminServer>(
                                e, std::move(l).value(), b);
                            admin->start();
                            return admin;
                        });
    });
    world.add_node("producer", [&oracle](Env& env) { producer_main(env, oracle); });
    world.add_node("scraper", [&oracle](Env& env) { scraper_main(env, oracle); });
    const bool finished = run_one_broker_phases(
        world, ro, broker_crashes, {"producer", "scraper"}, oracle.violation,
        [&] {
            auto& sched = world.world_env().scheduler;
            oracle.healed = true;
            sched.sleep_for(Duration::seconds(4));
            oracle.done_producing = true;
            // The producer's last call ends within its deadline (6 s); then one more scrape.
            const Instant last = sched.now() + Duration::seconds(10);
            while (!oracle.final_checked && sched.now() < last && oracle.violation.empty()) {
                sched.sleep_for(Duration::millis(100));
            }
        },
        Duration::seconds(120));
    uint64_t acked = 0;
    for (const auto& [inc, n] : oracle.acked_within) {
        (void)inc;
        acked += n;
    }
    const std::string summary = std::to_string(oracle.scrapes) + " scrapes, " +
                                std::to_string(acked) + " records acknowledged, " +
                                std::to_string(oracle.incarnation) + " broker starts";
    Verdict v = Verdict::ok(summary);
    if (!oracle.violation.empty()) {
        v = Verdict::violation(oracle.violation);
    } else if (!finished) {
        v = Verdict::violation(checkers::run_timeout,
                               "the run did not finish within 120 simulated seconds");
    } else if (oracle.scrapes_after_heal == 0 || !oracle.final_checked) {
        v = Verdict::violation(checkers::liveness, "/metrics did not answer after healing");
    } else if (oracle.acked_after_heal == 0) {
        v = Verdict::violation(checkers::liveness, "no acknowledgement after healing");
    }
    return finish(world, v);
}

}  // namespace

Scenario admin_metrics_scenario() {
    return {"admin-metrics",
            "an idempotent producer and a /metrics scraper over HTTP through resets, slow links "
            "and broker crashes: messages in per broker incarnation monotonic, never above what "
            "was in flight, and covering what was acknowledged",
            run_admin_metrics};
}

}  // namespace eddy::scenarios
