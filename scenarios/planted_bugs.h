// Planted bugs: known-wrong behaviours switched on by a knob in the code under test (off in
// production), each hunted by the scenario(s) built to find it. A bug counts as caught on a seed
// only when the run fails with the checker it targets: a timeout, a stall (liveness), a crash or
// another checker is a miss, since any broken run can produce those. `eddy sim suite
// --planted-bug` plants every bug in each scenario that hunts it and requires the targeted
// checker to catch it on at least 80% of the seeds (8 of 10); `--plant-bug NAME` selects one.
//
// A scenario plants a bug by asking its RunOptions: `knobs.x = ro.planted("name")`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.h"

namespace eddy::scenarios {

// One scenario hunting a bug, and the checker that must report it there.
struct Hunt {
    std::string scenario;
    std::string checker;
};

struct PlantedBug {
    std::string name;         // kebab-case, for --plant-bug
    std::string description;  // one line: what the planted code does wrong
    std::string knob;         // where it is planted: the knob in the code under test
    std::vector<Hunt> hunts;  // at least one
};

// Every planted bug, in a fixed order. Each hunt names a scenario of all_scenarios() and a
// safety checker (never run-timeout, liveness or setup); checked when the list is built.
const std::vector<PlantedBug>& all_planted_bugs();
const PlantedBug* find_planted_bug(std::string_view name);
// The bugs `scenario` hunts, in the registry's order.
std::vector<const PlantedBug*> planted_bugs_hunted_by(std::string_view scenario);
// The hunt of `bug` by `scenario`; null when that scenario does not hunt it.
const Hunt* find_hunt(const PlantedBug& bug, std::string_view scenario);

// The run failed with the checker the hunt targets (anything else is a miss).
bool planted_bug_caught(const Hunt& hunt, const RunResult& r);
// How many of `seeds` runs must catch a planted bug: 80% (8 of 10), rounded up.
inline constexpr uint64_t planted_catch_percent_min = 80;
uint64_t planted_catches_needed(uint64_t seeds);

}  // namespace eddy::scenarios
