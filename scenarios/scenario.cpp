#include "scenarios/scenario.h"

#include "core/base/assert.h"
#include "scenarios/planted_bugs.h"
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
        client_quotas_scenario(),
        admin_metrics_scenario(),
        raft_quorum_scenario(),
        raft_quorum_leader_isolation_scenario(),
        controller_quorum_scenario(),
        controller_quorum_leader_isolation_scenario(),
        replication_failover_scenario(),
        replication_failover_epochs_scenario(),
        replication_failover_hw_scenario(),
        replication_reassign_scenario(),
    };
    return all;
}

void RunOptions::route_logs(sim::WorldOptions& wo) const {
    if (log_sink != nullptr) {
        wo.log_sink = log_sink;
        wo.log_levels = log_levels;
        wo.log_format = log_format;
    }
}

bool RunOptions::planted(std::string_view name) const {
    ASSERT(find_planted_bug(name) != nullptr, "a scenario plants a bug of the registry");
    return plant_bug == name;
}

const Scenario* find_scenario(std::string_view name) {
    for (const auto& s : all_scenarios()) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

Verdict judge(const Violation& violation, bool finished, Duration limit, Verdict passed) {
    if (!violation.empty()) {
        return Verdict::violation(violation);
    }
    if (!finished) {
        return Verdict::violation(checkers::run_timeout,
                                  "the run did not finish within " +
                                      std::to_string(limit.to_millis() / 1000) +
                                      " simulated seconds");
    }
    return passed;
}

RunResult finish(sim::SimWorld& world, Verdict verdict) {
    // A livelock stopped the run early: whatever else the run saw is its consequence.
    if (auto why = world.livelock_report()) {
        verdict = Verdict::violation(checkers::livelock, *why);
    }
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
