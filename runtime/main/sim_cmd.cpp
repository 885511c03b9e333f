// `eddy sim …`: list and run the simulation scenarios.
//
//   eddy sim list
//   eddy sim run --scenario NAME --seed N [--trace FILE] [--planted-bug | --plant-bug BUG]
//                [--faults FILE] [--write-faults FILE] [--hash-chain FILE]
//   eddy sim suite …                                         (sim_suite.cpp)
//   eddy sim shrink --scenario NAME --seed N [--planted-bug | --plant-bug BUG]  (sim_shrink.cpp)
//   eddy sim check-determinism --scenario NAME --seed N    (sim_check.cpp)
//   eddy sim viz elections TRACE [-o FILE.svg|.html|.dot]   (sim_viz.cpp)
//
// A run prints one result line (sim_cli.h): scenario=… seed=… result=pass|fail [checker=NAME]
// trace_hash=<hex> … simulated_s=… wall_s=…; a failure names the checker that failed it. Then the
// command that replays it bit for bit. With a planted bug (scenarios/planted_bugs.h) it also says
// whether the checker that bug targets caught it; the exit code stays that of the run (1 when it
// failed), so a caught bug exits 1.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "runtime/main/commands.h"
#include "runtime/main/sim_cli.h"
#include "runtime/posix_clock.h"
#include "scenarios/nemesis.h"
#include "scenarios/planted_bugs.h"
#include "scenarios/scenario.h"

namespace eddy::cli {
namespace {

Result<scenarios::FaultSchedule, std::string> load_fault_schedule(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return fail("cannot read " + path);
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto s = scenarios::FaultSchedule::parse(text);
    if (!s.ok()) {
        return fail(path + ": " + s.error());
    }
    return std::move(s).value();
}

void list() {
    std::printf("scenarios:\n");
    for (const auto& s : scenarios::all_scenarios()) {
        std::printf("  %-36s %s\n", s.name.c_str(), s.description.c_str());
    }
    std::printf("\nplanted bugs (--plant-bug NAME; caught only by the checker named):\n");
    for (const auto& bug : scenarios::all_planted_bugs()) {
        std::printf("  %-24s %s\n", bug.name.c_str(), bug.description.c_str());
        std::printf("  %-24s   planted at %s\n", "", bug.knob.c_str());
        for (const auto& hunt : bug.hunts) {
            std::printf("  %-24s   hunted by %s, caught by %s\n", "", hunt.scenario.c_str(),
                        hunt.checker.c_str());
        }
    }
}

}  // namespace

void add_sim_commands(CLI::App& app, int& exit_code) {
    auto* sim = app.add_subcommand("sim", "Deterministic simulation: scenarios, seeds, traces");
    sim->require_subcommand(1);

    auto* list_cmd = sim->add_subcommand("list", "List the scenarios and the planted bugs");
    list_cmd->callback([] { list(); });

    struct RunArgs {
        std::string scenario;
        uint64_t seed = 1;
        std::string trace;
        bool planted = false;
        std::string plant_bug;
        std::string faults;        // a schedule to replay instead of drawing one
        std::string write_faults;  // where to write the schedule the run applied
        std::string log_level;     // empty: the nodes' logs go nowhere
        std::string log_format = "text";
    };
    auto run_args = std::make_shared<RunArgs>();
    auto* run = sim->add_subcommand("run", "Run one scenario with one seed");
    run->add_option("--scenario", run_args->scenario, "Scenario name (see `eddy sim list`)")
        ->required();
    run->add_option("--seed", run_args->seed, "Seed: the same seed replays the same run");
    run->add_option("--trace", run_args->trace, "Write the trace (JSON Lines) to this file");
    auto* planted_flag = run->add_flag("--planted-bug", run_args->planted,
                                       "Plant the bug this scenario hunts (its checker must catch "
                                       "it)");
    run->add_option("--plant-bug", run_args->plant_bug,
                    "Plant the named bug (see `eddy sim list`); the scenario must hunt it")
        ->excludes(planted_flag);
    run->add_option("--faults", run_args->faults,
                    "Replay this fault schedule instead of drawing one (the rest of the run "
                    "still comes from the seed; a run's own schedule replays it bit for bit; "
                    "a `size` line such as `size nodes=3 consumers=1` makes the run smaller)");
    run->add_option("--write-faults", run_args->write_faults,
                    "Write the fault schedule the run applied to this file");
    run->add_option("--log-level", run_args->log_level,
                    "Print the nodes' logs on stderr at these levels (as `eddy broker "
                    "--log-level`: info,raft=debug ...), stamped with simulated time; the run "
                    "and its trace hash do not change");
    run->add_option("--log-format", run_args->log_format, "text or json, for --log-level")
        ->check(CLI::IsMember({"text", "json"}));
    add_sim_run_determinism_options(*run);  // --hash-chain (sim_check.cpp)
    run->callback([run_args, &exit_code] {
        const auto* s = scenarios::find_scenario(run_args->scenario);
        if (s == nullptr) {
            exit_code = sim_cli::unknown_scenario(run_args->scenario);
            return;
        }
        const auto bug = sim_cli::bug_to_plant(*s, run_args->planted, run_args->plant_bug, "run");
        if (!bug) {
            exit_code = 2;
            return;
        }
        std::unique_ptr<std::ofstream> out;
        scenarios::RunOptions o;
        o.seed = run_args->seed;
        o.plant_bug = *bug;
        StderrLogSink stderr_sink;
        if (!run_args->log_level.empty()) {
            auto levels = parse_log_levels(run_args->log_level);
            if (!levels.ok()) {
                std::fprintf(stderr, "eddy sim: --log-level: %s\n", levels.error().c_str());
                exit_code = 2;
                return;
            }
            o.log_sink = &stderr_sink;
            o.log_levels = std::move(levels).value();
            o.log_format = *parse_log_format(run_args->log_format);
        }
        if (!run_args->faults.empty()) {
            auto loaded = load_fault_schedule(run_args->faults);
            if (!loaded.ok()) {
                std::fprintf(stderr, "eddy sim: %s\n", loaded.error().c_str());
                exit_code = 2;
                return;
            }
            o.faults = std::make_shared<const scenarios::FaultSchedule>(std::move(loaded).value());
        }
        if (!run_args->write_faults.empty()) {
            const std::string path = run_args->write_faults;
            o.faults_sink = [path](const scenarios::FaultSchedule& schedule) {
                std::ofstream f(path);
                f << schedule.to_text();
            };
        }
        if (!run_args->trace.empty()) {
            out = std::make_unique<std::ofstream>(run_args->trace);
            if (!*out) {
                std::fprintf(stderr, "eddy sim: cannot write %s\n", run_args->trace.c_str());
                exit_code = 2;
                return;
            }
            o.trace_sink = [&out](std::string_view line) {
                out->write(line.data(), static_cast<std::streamsize>(line.size()));
                out->put('\n');
            };
        }
        const auto started = std::chrono::steady_clock::now();
        const auto r = s->run(o);
        const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
        std::printf("%s\n", sim_cli::result_line(*s, o.seed, o.plant_bug, r, wall.count()).c_str());
        if (!o.plant_bug.empty()) {
            const auto* hunt =
                scenarios::find_hunt(*scenarios::find_planted_bug(o.plant_bug), s->name);
            std::printf("planted bug %s %s by %s\n", o.plant_bug.c_str(),
                        scenarios::planted_bug_caught(*hunt, r) ? "caught" : "NOT caught",
                        hunt->checker.c_str());
        }
        std::printf("replay: %s\n", sim_cli::replay_command(s->name, o.seed, o.plant_bug).c_str());
        if (!r.verdict.pass) {
            exit_code = 1;
        }
    });

    add_sim_suite_command(*sim, exit_code);
    add_sim_viz_command(*sim, exit_code);
    add_sim_shrink_command(*sim, exit_code);
    add_sim_check_command(*sim, exit_code);
}

}  // namespace eddy::cli
