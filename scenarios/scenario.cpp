#include "scenarios/scenario.h"

#include "scenarios/scenarios.h"
#include "sim/world.h"

namespace eddy::scenarios {

const std::vector<Scenario>& all_scenarios() {
    static const std::vector<Scenario> all = {
        frame_echo_scenario(),
        disk_durability_scenario(),
        log_crash_recovery_scenario(),
        group_rebalance_scenario(),
        idempotent_produce_scenario(),
        raft_quorum_scenario(),
    };
    return all;
}

const Scenario* find_scenario(std::string_view name) {
    for (const auto& s : all_scenarios()) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

RunResult finish(sim::SimWorld& world, Verdict verdict) {
    // The step count and end time make the hash cover the whole schedule, not just traced events.
    world.trace("run.end", {{"pass", verdict.pass},
                            {"message", verdict.message},
                            {"steps", world.executor().steps()},
                            {"now", world.now().to_nanos()}});
    RunResult r;
    r.verdict = std::move(verdict);
    r.trace_hash = world.trace().hash();
    r.trace_events = world.trace().events();
    r.steps = world.executor().steps();
    r.simulated = world.now() - Instant();
    return r;
}

}  // namespace eddy::scenarios
