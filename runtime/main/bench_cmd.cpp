// `eddy bench …`: benchmarks. They print measurements and ratios against references measured in
// the same run; they never assert on speed.
//
//   eddy bench sim [--seconds N]   simulator speed: events/s (busy), simulated s per wall s (idle),
//                                  and the same for 3- and 5-node Kafka clusters, loaded and idle
#include <chrono>
#include <cstdio>
#include <string>

#include "runtime/main/commands.h"
#include "scenarios/sim_bench.h"

namespace eddy::cli {
namespace {

double wall_seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void add_bench_commands(CLI::App& app, int& exit_code) {
    auto* bench = app.add_subcommand("bench", "Benchmarks (printed, never asserted)");
    bench->require_subcommand(1);
    add_bench_log_command(*bench, exit_code);

    auto seconds = std::make_shared<int>(20);
    auto* sim = bench->add_subcommand("sim", "Simulator speed: busy events/s and idle time ratio");
    sim->add_option("--seconds", *seconds, "Simulated seconds of the busy workload (default 20); the Kafka clusters run ten times as long");
    sim->callback([seconds, &exit_code] {
        auto t0 = std::chrono::steady_clock::now();
        const auto busy = scenarios::bench_busy_world(1, Duration::seconds(*seconds));
        const double busy_wall = wall_seconds_since(t0);
        std::printf(
            "busy: 5 nodes, %llu round trips, %llu events in %.3f s wall, %.3f s simulated\n",
            static_cast<unsigned long long>(busy.operations),
            static_cast<unsigned long long>(busy.steps), busy_wall, busy.simulated.to_seconds());

        t0 = std::chrono::steady_clock::now();
        const auto idle = scenarios::bench_idle_world(1, Duration::hours(1));
        const double idle_wall = wall_seconds_since(t0);
        std::printf("idle: 5 nodes, heartbeat every 50 ms, %.0f s simulated in %.3f s wall\n",
                    idle.simulated.to_seconds(), idle_wall);
        std::printf("events_per_s=%.0f busy_sim_per_wall=%.2f idle_sim_per_wall=%.0f\n",
                    static_cast<double>(busy.steps) / busy_wall,
                    busy.simulated.to_seconds() / busy_wall,
                    idle.simulated.to_seconds() / idle_wall);
        // Real Brokers: a Kafka cluster under produce/consume load, then idle.
        for (int nodes : {3, 5}) {
            for (bool loaded : {true, false}) {
                const Duration simulated = Duration::seconds(*seconds * 10);
                const auto k = scenarios::bench_kafka_cluster(
                    1, nodes, loaded, simulated, [&t0] { t0 = std::chrono::steady_clock::now(); });
                const double wall = wall_seconds_since(t0);
                std::printf(
                    "kafka %d nodes %s: %.1f s simulated, %llu events%s, %.3f s wall "
                    "-> sim_per_wall=%.1f events_per_s=%.0f\n",
                    nodes, loaded ? "loaded" : "idle", k.simulated.to_seconds(),
                    static_cast<unsigned long long>(k.steps),
                    loaded ? (", " + std::to_string(k.operations) + " acks=all batches").c_str()
                           : "",
                    wall, k.simulated.to_seconds() / wall, static_cast<double>(k.steps) / wall);
            }
        }
        exit_code = 0;
    });
}

}  // namespace eddy::cli
