// Workloads for `eddy bench sim`: how fast the simulator itself runs.
// - busy: five nodes exchanging small pipelined requests over the simulated network as fast as
//   they can, no faults: counts events (fiber resumptions + timers) per wall second.
// - idle: five nodes that only wake on heartbeats every 50 ms: simulated seconds per wall second.
// The wall clock is read by the caller (runtime/), never here.
#include "scenarios/sim_bench.h"

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

}  // namespace eddy::scenarios
