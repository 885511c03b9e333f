// Scenarios: named simulation runs. Each builds a SimWorld from a seed (fault rates and knobs are
// drawn from the seed too: swarm testing), runs a workload next to a fault schedule, heals, and
// lets its checkers judge the history. A run is reproducible from (scenario, seed, build).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/time.h"
#include "core/env/log.h"

namespace eddy::sim {
class SimWorld;
struct WorldOptions;
}  // namespace eddy::sim

namespace eddy::scenarios {

struct FaultSchedule;  // scenarios/nemesis.h

// Checker names every scenario uses alike (the others are listed in each scenario's header
// comment and in scenarios/README.md). A planted bug never names one of these: running out of
// time, or not making progress, is not proof that a checker saw the bug.
namespace checkers {
inline constexpr const char* run_timeout = "run-timeout";  // the run did not end in time
inline constexpr const char* liveness = "liveness";        // no progress after healing
inline constexpr const char* setup = "setup";              // the scenario could not start
inline constexpr const char* livelock = "livelock";  // time stood still (the world's step budget)
}  // namespace checkers

// The first violation a run's checkers report (later ones are usually its consequences): which
// checker (a short kebab-case name) and what it saw.
struct Violation {
    std::string checker;  // empty: none yet
    std::string message;

    bool empty() const { return checker.empty(); }
    void report(std::string checker_name, std::string why) {
        if (empty()) {
            checker = std::move(checker_name);
            message = std::move(why);
        }
    }
};

struct Verdict {
    bool pass = true;
    std::string checker;  // the checker that failed the run; empty on a pass
    std::string message;  // what it saw, or a short summary of a passing run

    static Verdict ok(std::string summary = {}) { return {true, {}, std::move(summary)}; }
    static Verdict violation(std::string checker, std::string why) {
        return {false, std::move(checker), std::move(why)};
    }
    static Verdict violation(const Violation& v) { return {false, v.checker, v.message}; }
};

struct RunOptions {
    uint64_t seed = 1;
    // Receives every trace line (JSON), e.g. to write a trace file. May be empty.
    std::function<void(std::string_view)> trace_sink;
    // A fault schedule to run instead of drawing one (`eddy sim run --faults FILE`; scenarios
    // that record theirs take it); null: drawn from the seed.
    std::shared_ptr<const FaultSchedule> faults;
    // Receives the schedule the run applied, at its end (`--write-faults FILE`). May be empty.
    std::function<void(const FaultSchedule&)> faults_sink;
    // The planted bug to plant (scenarios/planted_bugs.h), by name; empty: none.
    std::string plant_bug;
    // Where the nodes' logs go (`eddy sim run --log-level`), at these levels; null: nowhere.
    // Logging reads only the simulated clock: the run and its trace are the same either way.
    LogSink* log_sink = nullptr;
    LogLevels log_levels = LogLevel::info;
    LogFormat log_format = LogFormat::text;

    // Sends the world's logs where these options say (every scenario calls it on its options).
    void route_logs(sim::WorldOptions& wo) const;

    // Whether to plant the bug `name`, which must be in the registry (a misspelt name would
    // silently plant nothing). Scenarios set their knobs with it: `k.x = ro.planted("name")`.
    bool planted(std::string_view name) const;
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

// The usual verdict of a run: its first violation, else `run-timeout` when it did not finish
// within `limit` of simulated time, else `passed`.
Verdict judge(const Violation& violation, bool finished, Duration limit, Verdict passed);

// Fills the hash/event/step/time fields of a result from a finished world.
RunResult finish(sim::SimWorld& world, Verdict verdict);

}  // namespace eddy::scenarios
