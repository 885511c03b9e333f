// Scenarios: named simulation runs. Each builds a SimWorld from a seed (fault rates and knobs are
// drawn from the seed too: swarm testing), runs a workload next to a fault schedule, heals, and
// lets its checkers judge the history. A run is reproducible from (scenario, seed, build).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/time.h"

namespace eddy::sim {
class SimWorld;
}

namespace eddy::scenarios {

struct Verdict {
    bool pass = true;
    std::string message;  // why it failed (first violation), or a short summary

    static Verdict ok(std::string summary = {}) { return {true, std::move(summary)}; }
    static Verdict violation(std::string why) { return {false, std::move(why)}; }
};

struct RunOptions {
    uint64_t seed = 1;
    // Receives every trace line (JSON), e.g. to write a trace file. May be empty.
    std::function<void(std::string_view)> trace_sink;
    // Plants the scenario's known bug, to prove its checker bites.
    bool planted_bug = false;
};

struct RunResult {
    Verdict verdict;
    uint64_t trace_hash = 0;
    uint64_t trace_events = 0;
    uint64_t steps = 0;  // fiber resumptions + timers fired
    Duration simulated{};
};

struct Scenario {
    std::string name;
    std::string description;
    std::function<RunResult(const RunOptions&)> run;
};

// Every scenario, in a fixed order.
const std::vector<Scenario>& all_scenarios();
const Scenario* find_scenario(std::string_view name);

// Fills the hash/event/step/time fields of a result from a finished world.
RunResult finish(sim::SimWorld& world, Verdict verdict);

}  // namespace eddy::scenarios
