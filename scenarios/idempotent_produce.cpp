// Scenario "idempotent-produce": one broker and 1-3 idempotent producers (services/client
// IdempotentProducer) writing numbered values to a 1-2 partition topic with acks=all, while
// the network resets connections, clogs a producer's link past its request timeout (the batch
// lands, its answer is late or lost, the producer sends it again), and the broker crashes (its
// disk losing unsynced writes) and restarts with its producer state rebuilt from the log.
//
// Checkers, on the whole log read back after healing (`log-readable`: it can be read):
// - `no-duplicates`: every value is in the log at most once (Jepsen's A4);
// - `acked-in-log`: every acknowledged value is in the log, at the offset its acknowledgement
//   named;
// - `producer-order`: one producer id's acknowledged batches sit in the log in the order they
//   were sent;
// - `nothing-invented`: every value in the log is one a producer sent.
// `liveness`: after healing, every producer gets acknowledgements again.
// Planted bug: the log skips the producer sequence checks, so a retry is written again
// (no-duplicates).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scenarios/kafka_nodes.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"
#include "services/client/idempotent_producer.h"
#include "sim/world.h"

namespace eddy::scenarios {
namespace {

const std::string topic_name = "ledger";

constexpr const char* no_duplicates = "no-duplicates";
constexpr const char* acked_in_log = "acked-in-log";
constexpr const char* producer_order = "producer-order";
constexpr const char* nothing_invented = "nothing-invented";
constexpr const char* log_readable = "log-readable";

struct Acked {
    int64_t producer_id;
    int32_t partition;
    int64_t offset;
    std::vector<std::string> values;
};

struct Oracle {
    int32_t partitions = 1;
    std::set<std::string> sent;
    std::vector<Acked> acked;  // in the order acknowledgements arrived
    bool healed = false;
    bool done_producing = false;
    uint64_t acked_after_heal = 0;
    uint64_t in_doubt = 0;
    Violation violation;

    void fail(const char* checker, std::string why) { violation.report(checker, std::move(why)); }
};

client::ClientOptions client_options() {
    client::ClientOptions o = broker_client_options(Duration::millis(800));
    o.retry_backoff = Duration::millis(20);
    o.retry_backoff_max = Duration::millis(200);
    return o;
}

void producer_main(Env& env, Oracle& o, const std::string& name) {
    Random r = env.random.fork("producer");
    client::Client client(env, client_options());
    client::IdempotentProducer producer(env, client);
    create_topic_until_done(env, client, topic_name, o.partitions);
    uint64_t n = 0;
    while (!o.done_producing) {
        const int32_t p = static_cast<int32_t>(r.between(0, o.partitions - 1));
        std::vector<client::ProducerRecord> records(static_cast<size_t>(r.between(1, 5)));
        std::vector<std::string> values;
        for (auto& rec : records) {
            rec.value = name + "-" + std::to_string(++n);
            rec.timestamp_ms = 1'700'000'000'000;
            o.sent.insert(*rec.value);
            values.push_back(*rec.value);
        }
        const Instant deadline = env.scheduler.now() + Duration::seconds(r.between(2, 6));
        auto res = producer.send(topic_name, PartitionId(p), records, deadline);
        const int64_t pid = producer.producer_id().value();
        if (res.ok() && res->base_offset) {
            o.acked.push_back({pid, p, res->base_offset->value(), values});
            if (o.healed) {
                ++o.acked_after_heal;
            }
        } else {
            ++o.in_doubt;
        }
        env.scheduler.sleep_for(Duration::micros(r.between(0, 30'000)));
    }
    while (true) {
        env.scheduler.sleep_for(Duration::seconds(3600));
    }
}

// Reads every partition from 0 and checks the log against what was sent and acknowledged.
void check_log(Env& env, Oracle& o) {
    client::ClientOptions co = client_options();
    co.request_timeout = Duration::seconds(20);
    client::Client client(env, co);
    std::map<std::string, std::pair<int32_t, int64_t>> where;  // value -> (partition, offset)
    for (int32_t p = 0; p < o.partitions && o.violation.empty(); ++p) {
        int64_t at = 0;
        int empty = 0;
        while (empty < 3) {
            client::FetchOptions fo;
            fo.max_wait = Duration::millis(10);
            auto got = client.fetch(topic_name, PartitionId(p), Offset(at), fo);
            if (!got.ok()) {
                o.fail(log_readable, "reading partition " + std::to_string(p) + " at " +
                                         std::to_string(at) +
                                         " after healing: " + got.error().to_string());
                return;
            }
            if (got->records.empty()) {
                ++empty;
                continue;
            }
            for (const auto& rec : got->records) {
                const std::string v = rec.value.value_or("");
                if (!o.sent.contains(v)) {
                    o.fail(nothing_invented, "partition " + std::to_string(p) + " offset " +
                                                 std::to_string(rec.offset.value()) + " holds '" +
                                                 v + "', which no producer sent");
                    return;
                }
                if (auto [it, fresh] = where.emplace(v, std::make_pair(p, rec.offset.value()));
                    !fresh) {
                    o.fail(no_duplicates, "'" + v + "' is in the log twice: partition " +
                                              std::to_string(it->second.first) + " offset " +
                                              std::to_string(it->second.second) +
                                              " and partition " + std::to_string(p) + " offset " +
                                              std::to_string(rec.offset.value()));
                    return;
                }
            }
            at = got->next_offset.value();
        }
    }
    std::map<std::pair<int64_t, int32_t>, int64_t> last_offset;  // (pid, partition) -> offset
    for (const Acked& a : o.acked) {
        for (size_t i = 0; i < a.values.size(); ++i) {
            auto it = where.find(a.values[i]);
            if (it == where.end()) {
                o.fail(acked_in_log, "acknowledged '" + a.values[i] + "' is not in the log");
                return;
            }
            const auto want = std::make_pair(a.partition, a.offset + static_cast<int64_t>(i));
            if (it->second != want) {
                o.fail(acked_in_log, "acknowledged '" + a.values[i] + "' at partition " +
                                         std::to_string(want.first) + " offset " +
                                         std::to_string(want.second) + " is at offset " +
                                         std::to_string(it->second.second));
                return;
            }
        }
        auto& last = last_offset[{a.producer_id, a.partition}];
        if (a.offset <= last && last != 0) {
            o.fail(producer_order, "producer " + std::to_string(a.producer_id) +
                                       "'s batch at offset " + std::to_string(a.offset) +
                                       " was sent after its batch at " + std::to_string(last));
            return;
        }
        last = a.offset;
    }
}

RunResult run_idempotent_produce(const RunOptions& ro) {
    Random swarm = Random(ro.seed).fork("swarm");
    sim::WorldOptions wo = broker_world_options(swarm);
    wo.net.reset_p = swarm.chance(0.7) ? swarm.unit() * 0.01 : 0;
    wo.net.slow_p = swarm.unit() * 0.05;
    wo.net.slow_latency = Duration::millis(swarm.between(100, 1500));
    ro.route_logs(wo);
    sim::SimWorld world(ro.seed, wo);
    if (ro.trace_sink) {
        world.trace().set_sink(ro.trace_sink);
    }
    Oracle oracle;
    oracle.partitions = static_cast<int32_t>(swarm.between(1, 2));
    // A replayed schedule may name fewer producers (eddy sim shrink).
    const int producers = static_cast<int>(
        schedule_size(ro.faults.get(), "producers", swarm.between(1, 3), 1, 3));
    const bool broker_crashes = swarm.chance(0.6);

    auto config = broker_node_config(
        {{"num.partitions", std::to_string(oracle.partitions)},
             {"log.segment.bytes", std::to_string(swarm.between(16, 128) * 1024)}});
    if (!config.ok()) {
        return finish(world,
                      Verdict::violation(checkers::setup, "bad broker config: " + config.error()));
    }
    kafka::BrokerOptions bo;
    bool broker_started = false;  // a later start that fails is a disk fault, not the setup
    bo.log_knobs.skip_producer_checks = ro.planted("skip-sequence-check");
    world.add_node("broker",
                   [&](Env& env) {
                       run_broker_node(env, *config, bo, oracle.violation, &broker_started);
                   });
    std::vector<std::string> names;
    for (int i = 1; i <= producers; ++i) {
        const std::string name = "producer-" + std::to_string(i);
        names.push_back(name);
        world.add_node(name, [&oracle, name](Env& env) { producer_main(env, oracle, name); });
    }
    bool checked = false;
    // Started once the producers are done: reads the whole log back.
    world.add_node("checker", [&](Env& env) {
        check_log(env, oracle);
        checked = true;
        while (true) {
            env.scheduler.sleep_for(Duration::seconds(3600));
        }
    });
    for (auto* n : world.nodes()) {
        if (n->name() != "checker") {
            world.start(*n);
        }
    }
    FaultInjector faults(world);  // every fault traced, recorded, replayable (--faults)
    faults.set_size("producers", producers);
    uint64_t swarm_faults = 0;
    spawn_broker_supervisor(world, faults);
    world.spawn("faults", [&] {
        auto& sched = world.world_env().scheduler;
        Random r = fault_stream(world, "faults");  // recorded as faults, not hashed
        const Instant fault_end = sched.now() + Duration::seconds(r.between(8, 20));
        // The swarm on the broker: its disk (a write error or a full disk halts it and its
        // supervisor starts it again, a failed fsync crashes it, slow I/O delays answers past the
        // producers' timeouts), pauses, clock steps and, in the runs that crash it, crashes. No
        // bit rot (see one_broker_menu); one broker: the clogs below cut producers off.
        const bool replaying = faults.open_phase(ro.faults.get(), one_broker_menu(broker_crashes),
                                                 "broker", fault_end, swarm_faults);
        while (!replaying && sched.now() < fault_end && oracle.violation.empty()) {
            sched.sleep_for(Duration::millis(r.between(100, 1500)));
            faults.wake(lane_main);
            if (broker_crashes && r.chance(0.3)) {
                FaultSpec f = custom_fault("crash", {"broker"});
                f.hold = Duration::millis(r.between(20, 1000));
                faults.apply(std::move(f));
            } else {
                // The producer's requests (or their answers) arrive after it gave up on them.
                FaultSpec f = custom_fault("clog", {names[r.below(names.size())]});
                f.hold = Duration::millis(r.between(300, 2500));
                faults.apply(std::move(f));
            }
        }
        faults.end_phase();
        faults.heal_all();
        world.network().set_faults(sim::NetFaults{});
        oracle.healed = true;
        sched.sleep_for(Duration::seconds(3));
        oracle.done_producing = true;
        sched.sleep_for(Duration::seconds(8));  // sends in flight finish or give up
        world.start(world.node("checker"));
    });
    world.run([&] { return checked || !oracle.violation.empty(); },
              Instant::from_nanos(Duration::seconds(120).to_nanos()));
    if (ro.faults_sink) {
        ro.faults_sink(faults.schedule());
    }

    Verdict v = Verdict::ok(std::to_string(oracle.acked.size()) + " batches acknowledged, " +
                            std::to_string(oracle.in_doubt) + " in doubt, " +
                            std::to_string(oracle.sent.size()) + " values sent");
    if (!oracle.violation.empty()) {
        v = Verdict::violation(oracle.violation);
    } else if (!checked) {
        v = Verdict::violation(checkers::run_timeout,
                               "the run did not finish within 120 simulated seconds");
    } else if (oracle.acked_after_heal == 0) {
        v = Verdict::violation(checkers::liveness, "no acknowledged batch after healing");
    }
    return finish(world, v);
}

}  // namespace

Scenario idempotent_produce_scenario() {
    return {"idempotent-produce",
            "idempotent producers retrying through connection resets, clogged links and broker "
            "crashes: no duplicate, no lost acknowledged value, per-producer order",
            run_idempotent_produce};
}

}  // namespace eddy::scenarios
