#include "scenarios/scenario.h"

#include "core/base/assert.h"
#include "scenarios/scenarios.h"
#include "sim/world.h"

namespace eddy::scenarios {

const std::vector<Scenario>& all_scenarios() {
    static const std::vector<Scenario> all = [] {
        std::vector<Scenario> v = {
            frame_echo_scenario(),
            disk_durability_scenario(),
            log_crash_recovery_scenario(),
            group_rebalance_scenario(),
            idempotent_produce_scenario(),
            raft_quorum_scenario(),
            raft_quorum_leader_isolation_scenario(),
            controller_quorum_scenario(),
            controller_quorum_leader_isolation_scenario(),
            replication_failover_scenario(),
            replication_failover_epochs_scenario(),
            replication_failover_hw_scenario(),
            replication_reassign_scenario(),
        };
        for (const auto& s : v) {
            // A planted bug is proven caught by the checker it targets, never by a timeout or
            // a stall (which any broken run can produce).
            ASSERT(!s.planted_bug_checker.empty() &&
                       s.planted_bug_checker != checkers::run_timeout &&
                       s.planted_bug_checker != checkers::liveness &&
                       s.planted_bug_checker != checkers::setup &&
                       s.planted_bug_checker != checkers::livelock,
                   "a planted bug names the safety checker that must catch it");
        }
        return v;
    }();
    return all;
}

bool planted_bug_caught(const Scenario& s, const RunResult& r) {
    return !r.verdict.pass && r.verdict.checker == s.planted_bug_checker;
}

uint64_t planted_catches_needed(uint64_t seeds) {
    return (seeds * planted_catch_percent_min + 99) / 100;
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
