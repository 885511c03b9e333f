// Scenario "frame-echo": one frame server, three clients pipelining requests over a faulty
// network, with the server and clients crashed, paused, partitioned and clogged.
//
// Checkers: `response-matches-request`: every response is the one for the request in that
// position on that connection, byte for byte (no reordering, no corruption, no crossed wires);
// `liveness`: after healing, every client completes 20 more round trips within 30 simulated
// seconds.
// Planted bug `reorder-responses`: the frame server itself (net::FrameServerOptions) sends some
// pipelined responses out of order (response-matches-request).
#include <map>
#include <string>

#include "scenarios/nemesis.h"
#include "scenarios/scenarios.h"
#include "services/net/frame_server.h"

namespace eddy::scenarios {
namespace {

constexpr uint16_t server_port = 9092;
constexpr int clients_n = 3;
constexpr int liveness_round_trips = 20;
constexpr const char* response_matches_request = "response-matches-request";

struct History {
    std::map<std::string, int> round_trips;  // per client, across its crashes
    Violation violation;
};

void server_main(Env& env, bool reorder_responses) {
    auto listener = env.network.listen({"server", server_port});
    ASSERT(listener.ok());
    net::FrameServerOptions options;
    options.pipeline_depth = 1 + env.random.below(8);
    options.idle_timeout = Duration::seconds(5);
    options.reorder_responses = reorder_responses;
    net::FrameServer server(
        env, std::move(listener).value(),
        [&env](const net::ConnectionInfo&,
               ByteSpan body) -> Result<std::optional<Bytes>, net::HandlerError> {
            if (BUGGIFY(env)) {
                env.scheduler.sleep_for(Duration::millis(env.random.between(1, 50)));
            } else if (env.random.chance(0.5)) {
                env.scheduler.sleep_for(Duration::micros(env.random.between(1, 300)));
            }
            return std::optional<Bytes>(to_bytes("re:" + std::string(as_chars(body))));
        },
        options);
    server.start();
    while (env.scheduler.sleep_for(Duration::seconds(3600)) != WakeReason::cancelled) {
    }
}

void client_main(Env& env, const std::string& name, History& history) {
    uint64_t seq = 0;
    while (true) {
        auto conn = env.network.connect({"server", server_port}, Duration::seconds(1));
        if (!conn.ok()) {
            env.scheduler.sleep_for(Duration::millis(env.random.between(10, 200)));
            continue;
        }
        bool broken = false;
        // A request timeout, as every real client has: a connection its peer forgot (half-open:
        // the server crashed or timed it out while cut off) would otherwise hold the client
        // forever. The timer closes the socket, which wakes the read.
        auto& executor = env.scheduler.executor();
        Connection* raw = conn->get();
        while (!broken) {
            const auto timer = executor.call_at(env.scheduler.now() + Duration::seconds(5),
                                                [raw] { raw->close(); });
            struct CancelTimer {
                FiberExecutor& ex;
                FiberExecutor::TimerKey key;
                ~CancelTimer() { ex.cancel_timer(key); }
            } cancel{executor, timer};
            const int batch = 1 + static_cast<int>(env.random.below(10));
            std::vector<std::string> sent;
            for (int i = 0; i < batch && !broken; ++i) {
                std::string body = name + "/" + std::to_string(seq++) + "/";
                body.append(env.random.below(300), static_cast<char>('a' + seq % 26));
                broken = !net::write_frame(**conn, as_bytes(body)).ok();
                sent.push_back(std::move(body));
            }
            for (size_t i = 0; i < sent.size() && !broken; ++i) {
                auto reply = net::read_frame(**conn, 1 << 20);
                if (!reply.ok()) {
                    broken = true;
                    break;
                }
                if (as_chars(*reply) != "re:" + sent[i]) {
                    history.violation.report(response_matches_request,
                                             "client " + name + " sent '" + sent[i].substr(0, 40) +
                                                 "' and got '" +
                                                 std::string(as_chars(*reply)).substr(0, 40) + "'");
                }
                ++history.round_trips[name];
            }
            if (env.random.chance(0.05)) {
                break;  // sometimes start a fresh connection
            }
        }
        env.scheduler.sleep_for(Duration::millis(env.random.between(1, 20)));
    }
}

RunResult run_frame_echo(const RunOptions& o) {
    Random swarm = Random(o.seed).fork("swarm");
    sim::WorldOptions wo;
    wo.net.latency_min = Duration::micros(swarm.between(10, 100));
    wo.net.latency_max = wo.net.latency_min + Duration::micros(swarm.between(0, 2000));
    wo.net.slow_p = swarm.chance(0.5) ? swarm.unit() * 0.02 : 0;
    wo.net.short_read_p = swarm.unit() * 0.5;
    wo.net.reset_p = swarm.chance(0.5) ? swarm.unit() * 0.01 : 0;
    wo.net.segment_bytes_max = 1 + swarm.below(2000);
    o.route_logs(wo);
    sim::SimWorld world(o.seed, wo);
    if (o.trace_sink) {
        world.trace().set_sink(o.trace_sink);
    }
    History history;
    const bool planted = o.planted("reorder-responses");
    world.add_node("server", [planted](Env& env) { server_main(env, planted); });
    for (int i = 0; i < clients_n; ++i) {
        const std::string name = "client" + std::to_string(i + 1);
        world.add_node(name, [name, &history](Env& env) { client_main(env, name, history); });
    }
    for (auto* n : world.nodes()) {
        world.start(*n);
    }

    bool done = false;
    std::string liveness_failure;
    world.spawn("driver", [&] {
        NemesisOptions no;
        no.fault_phase = Duration::seconds(swarm.between(5, 20));
        Nemesis nemesis(world, no);
        nemesis.run();
        auto& sched = world.world_env().scheduler;
        const auto baseline = history.round_trips;
        const Instant give_up = sched.now() + Duration::seconds(30);
        while (sched.now() < give_up) {
            bool all = true;
            for (int i = 0; i < clients_n; ++i) {
                const std::string name = "client" + std::to_string(i + 1);
                const auto it = baseline.find(name);
                const int before = it == baseline.end() ? 0 : it->second;
                all = all && history.round_trips[name] >= before + liveness_round_trips;
            }
            if (all) {
                done = true;
                return;
            }
            sched.sleep_for(Duration::millis(100));
        }
        liveness_failure = "after healing, not every client completed " +
                           std::to_string(liveness_round_trips) + " round trips within 30 s";
        done = true;
    });
    world.run([&] { return done; }, Instant::from_nanos(Duration::seconds(120).to_nanos()));

    Verdict v = Verdict::ok();
    if (!history.violation.empty()) {
        v = Verdict::violation(history.violation);
    } else if (!liveness_failure.empty()) {
        v = Verdict::violation(checkers::liveness, liveness_failure);
    } else if (!done) {
        v = Verdict::violation(checkers::run_timeout,
                               "the run did not finish within 120 simulated seconds");
    } else {
        int total = 0;
        for (const auto& [name, n] : history.round_trips) {
            (void)name;
            total += n;
        }
        v = Verdict::ok(std::to_string(total) + " round trips");
    }
    return finish(world, v);
}

}  // namespace

Scenario frame_echo_scenario() {
    return {"frame-echo",
            "frame server + 3 pipelining clients under partitions, clogs, resets, short reads, "
            "crashes, pauses and clock jumps; responses must match requests in order, and "
            "clients must make progress after healing",
            run_frame_echo};
}

}  // namespace eddy::scenarios
