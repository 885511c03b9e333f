// What the `eddy sim` commands share (sim_cmd.cpp, sim_suite.cpp): the result line a run prints
// and the suite reads back from its child processes, the replay command, planted-bug lookup.
//
// The result line of `eddy sim run` (one per run, always starting `scenario=`):
//   scenario=S seed=N [plant_bug=B] result=pass|fail [checker=C] trace_hash=<hex> events=E
//   steps=K simulated_s=X wall_s=Y [message="…"]
// `message` comes last and runs to the line's last quote, so it may hold anything but a newline.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "scenarios/planted_bugs.h"
#include "scenarios/scenario.h"

namespace eddy::cli::sim_cli {

std::string result_line(const scenarios::Scenario& s, uint64_t seed, std::string_view plant_bug,
                        const scenarios::RunResult& r, double wall_seconds);

// The last result line in `output` (a child's output); empty when there is none.
std::string_view find_result_line(std::string_view output);
// The fields of the last result line in `output` (message included, unquoted); nullopt when
// there is none.
std::optional<std::map<std::string, std::string>> parse_result_line(std::string_view output);

// `eddy sim run --scenario S --seed N [--plant-bug B] --trace S-N.jsonl`
std::string replay_command(std::string_view scenario, uint64_t seed, std::string_view plant_bug);

// The planted bug named `name` (an error on stderr and null when there is none).
const scenarios::PlantedBug* planted_bug_or_complain(std::string_view name);

// The bug a run of `s` plants: --plant-bug's (which `s` must hunt), or with --planted-bug the one
// `s` hunts. Empty: none. nullopt: refused, said on stderr ("eddy sim COMMAND: ...").
std::optional<std::string> bug_to_plant(const scenarios::Scenario& s, bool planted_bug,
                                        const std::string& plant_bug, std::string_view command);

// "eddy sim: no scenario named …" on stderr; returns the exit code 2.
int unknown_scenario(std::string_view name);

}  // namespace eddy::cli::sim_cli
